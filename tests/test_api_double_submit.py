"""Two clients submit the same task at the same moment: exactly one wins."""
import threading

from sqlalchemy import func, select

from service.engine.clock import use_clock
from service.platform.extensions import db
from service.audit.models import AuditEvent
from service.applications.models import WorkItem
from tests.api import ApiScenario, ok, review_for


def test_double_submit_one_wins(app, api, clock):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    version = ok(api.get(f"/api/tasks/{task_id}", "changchun"))["version"]
    token = api.login("changchun")
    body = {"data": review_for(s.application_id), "version": version}
    db.session.remove()
    barrier = threading.Barrier(2)
    statuses = []

    def submit():
        # A new thread starts with an empty context, like a request in a threaded server: own app
        # context and session; only the test's clock is carried over.
        client = app.test_client()
        with use_clock(clock):
            barrier.wait()
            response = client.post(f"/api/tasks/{task_id}/submit", json=body,
                                   headers={"Authorization": f"Bearer {token}"})
        statuses.append((response.status_code, response.json.get("code")))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # PostgreSQL: the loser waits on the row lock, then finds a newer version. SQLite: it waits for the
    # write lock, then finds the task already done. Either way a 409 that says what happened.
    assert sorted(statuses) in ([(200, None), (409, "stale_version")], [(200, None), (409, "task_not_ready")]), \
        statuses
    db.session.remove()
    completed = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "task_completed", AuditEvent.element_id == "Task_city_review"))
    assert completed == 1
    open_items = db.session.scalars(select(WorkItem.bpmn_id).where(WorkItem.application_id == s.application_id)).all()
    assert open_items == []  # recommended once: it waits for the city's package
    assert s.audit()["verified"]
