"""A submit holds SQLite's write lock only for its writes: its reads and the engine run while another process
writes, and when that other writer changed what the submit read, the submit runs again with the lock and ends
as if the two had queued. PostgreSQL is unaffected (the row lock orders them)."""
import sqlite3
import threading
import uuid

import pytest
from sqlalchemy import func, select

from service.applications import commands
from service.applications.commands import claim_task
from service.applications.models import Application, ApplicationNumberCounter, Attachment
from service.rounds.models import Round
from service.applications.verification import EVIDENCE_KEY
from service.accounts.models import User
from service.audit.models import AuditEvent
from service.engine.clock import use_clock
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.api import ApiScenario, ok, refused, review_for


def _another_process_takes_the_lock() -> bool:
    """Another connection's BEGIN IMMEDIATE with timeout 0: True only if nobody holds the write lock now."""
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" at once if the request held the lock
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


@pytest.fixture
def sqlite_only():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL orders writers with row locks")


def _during_first_engine_run(monkeypatch, action):
    """Run ``action`` while the submit's first attempt is between its reads and its writes; count the runs."""
    runs = []
    engine_run = commands.run

    def run(operation, attempt=None):
        runs.append(attempt.kind if attempt else None)
        if len(runs) == 1:
            action()
        return engine_run(operation, attempt)

    monkeypatch.setattr(commands, "run", run)
    return runs


def _in_another_thread(app, clock, work):
    """``work`` in a thread of its own (its own session and transaction, the lock from its first statement)."""
    failures = []

    def target():
        with app.app_context(), use_clock(clock):
            try:
                with transaction():
                    work()
            except Exception as err:  # noqa: BLE001 - reported by the assertion below
                failures.append(err)
            finally:
                db.session.remove()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and not failures, failures


def test_the_engine_runs_while_another_process_holds_the_write_lock(sqlite_only, api, monkeypatch):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    version = ok(api.get(f"/api/tasks/{task_id}", "changchun"))["version"]
    took_lock = []
    runs = _during_first_engine_run(monkeypatch, lambda: took_lock.append(_another_process_takes_the_lock()))
    db.session.remove()
    detail = ok(api.post(f"/api/tasks/{task_id}/submit", "changchun",
                         json={"data": review_for(s.application_id), "version": version}))
    assert took_lock == [True] and runs == ["task"]  # one run: nobody changed what it read
    assert detail["stage"] == "等待市州推荐材料" and s.audit()["verified"]


def test_a_claim_between_the_reads_and_the_writes_runs_the_submit_again(sqlite_only, app, api, clock, monkeypatch):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    version = ok(api.get(f"/api/tasks/{task_id}", "changchun"))["version"]
    reviewer = db.session.scalar(select(User.id).where(User.username == "changchun"))
    # The reviewer's other tab claims the task while this submit runs the engine: the claim's audit event takes
    # the sequence number the submit read, so the submit's first attempt cannot be written.
    runs = _during_first_engine_run(monkeypatch, lambda: _in_another_thread(
        app, clock, lambda: claim_task(task_id=task_id, user=db.session.get(User, reviewer))))
    db.session.remove()
    detail = ok(api.post(f"/api/tasks/{task_id}/submit", "changchun",
                         json={"data": review_for(s.application_id), "version": version}))
    assert runs == ["task", "task"]  # run again, with the lock from its first statement
    assert detail["stage"] == "等待市州推荐材料"
    trail = s.audit()
    assert trail["verified"]
    actions = [e["action"] for e in trail["events"]]
    assert actions[actions.index("task_claimed") + 1] == "task_completed"  # the claim, then the submit


def test_a_submit_overtaken_by_another_ends_as_if_they_had_queued(sqlite_only, app, api, clock, monkeypatch):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    version = ok(api.get(f"/api/tasks/{task_id}", "changchun"))["version"]
    reviewer = db.session.scalar(select(User.id).where(User.username == "changchun"))
    data = review_for(s.application_id)
    runs = _during_first_engine_run(monkeypatch, lambda: _in_another_thread(
        app, clock, lambda: commands.complete_task(task_id=task_id, data=data, user=db.session.get(User, reviewer),
                                                   expected_version=version)))
    db.session.remove()
    response = api.post(f"/api/tasks/{task_id}/submit", "changchun", json={"data": data, "version": version})
    # What a submit queued behind the other answers on SQLite (test_api_double_submit): the task is done, by whom.
    assert "已由 长春市工信局 办理" in refused(response, 409, "task_not_ready")["message"]
    # The other submit's engine run is counted too: ours, theirs; ours again finds the task gone before the engine.
    assert runs == ["task", "task"]
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "task_completed", AuditEvent.element_id == "Task_city_review")) == 1
    assert s.audit()["verified"]


def test_an_upload_between_the_reads_and_the_writes_runs_the_submit_again(sqlite_only, app, api, clock, monkeypatch):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    version = ok(api.get(f"/api/tasks/{task_id}", "changchun"))["version"]
    reviewer = db.session.scalar(select(User.id).where(User.username == "changchun"))

    def another_upload():  # no audit event, no new version: only the check of the files read catches it
        db.session.add(Attachment(application_id=s.application_id, original_name="另一份查询结果.pdf",
                                  stored_name=uuid.uuid4().hex, size=1, sha256="0" * 64, kind=EVIDENCE_KEY,
                                  uploaded_by=reviewer))

    runs = _during_first_engine_run(monkeypatch, lambda: _in_another_thread(app, clock, another_upload))
    db.session.remove()
    detail = ok(api.post(f"/api/tasks/{task_id}/submit", "changchun",
                         json={"data": review_for(s.application_id), "version": version}))
    assert runs == ["task", "task"]  # run again with the lock, reading the files afresh
    assert "另一份查询结果.pdf" in [a["name"] for a in detail["attachments"]]
    assert detail["stage"] == "等待市州推荐材料" and s.audit()["verified"]


# -- starts: the id is reserved, the reads and the engine run before the lock, every check again under it --

def _start_round(api):
    rounds = ok(api.get("/api/rounds", "factory1"))
    return next(r["id"] for r in rounds if r["name"] == "2024")


def _start_as(app, clock, round_id, username, category):
    def work():
        commands.start_application(round_id=round_id, category=category,
                                   user=db.session.scalar(select(User).where(User.username == username)))
    return lambda: _in_another_thread(app, clock, work)


def _applications(**where):
    db.session.remove()
    rows = db.session.scalars(select(Application).filter_by(**where).order_by(Application.id)).all()
    db.session.expunge_all()  # loaded: usable after the next request ends the session
    return rows


def test_a_start_runs_the_engine_while_another_process_holds_the_write_lock(sqlite_only, api, monkeypatch):
    round_id = _start_round(api)
    took_lock = []
    runs = _during_first_engine_run(monkeypatch, lambda: took_lock.append(_another_process_takes_the_lock()))
    db.session.remove()
    body = ok(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}), 201)
    assert took_lock == [True] and runs == [None]  # one run, no row written before the engine
    [application] = _applications(category="factory")
    assert body["id"] == application.id and body["number"] == application.number
    assert body["number"].endswith("-0001")
    trail = ok(api.get(f"/api/applications/{application.id}/audit", "province"))
    assert trail["verified"] and trail["events"][0]["action"] == "application_started"


def test_a_start_overtaken_by_the_same_units_start_ends_as_if_they_had_queued(sqlite_only, app, api, clock,
                                                                              monkeypatch):
    round_id = _start_round(api)
    runs = _during_first_engine_run(monkeypatch, _start_as(app, clock, round_id, "factory1", "factory"))
    db.session.remove()
    response = api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"})
    # The other start took the application (and the id reserved for ours): under the lock the duplicate check
    # answers otherwise, so ours runs again the usual way and is refused as a queued start would be.
    assert "已有进行中的" in refused(response, 409, "duplicate")["message"]
    assert runs == [None, None]  # ours, theirs; ours again stops at the duplicate check, before the engine
    [application] = _applications(category="factory")
    assert application.number.endswith("-0001")  # the refused start gave its serial back


def test_a_round_closed_between_the_reads_and_the_writes_refuses_the_start(sqlite_only, app, api, clock,
                                                                         monkeypatch):
    round_id = _start_round(api)

    def close():
        db.session.get(Round, round_id).status = "closed"

    runs = _during_first_engine_run(monkeypatch, lambda: _in_another_thread(app, clock, close))
    db.session.remove()
    response = api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"})
    assert "已关闭" in refused(response, 409, "round_closed")["message"]
    assert runs == [None] and _applications() == []
    assert db.session.scalars(select(ApplicationNumberCounter)).all() == []  # no serial taken


def test_an_id_taken_between_the_reads_and_the_writes_runs_the_start_again(sqlite_only, app, api, clock,
                                                                          monkeypatch):
    round_id = _start_round(api)
    # Another unit's start, run the usual way, takes max(id) + 1: the id this start reserved.
    runs = _during_first_engine_run(monkeypatch, _start_as(app, clock, round_id, "park1", "park"))
    db.session.remove()
    body = ok(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}), 201)
    assert runs == [None, None, None]  # ours, theirs, ours again with the lock
    park, factory = _applications()
    assert (park.category, factory.category) == ("park", "factory") and body["id"] == factory.id
    for application in (park, factory):
        assert ok(api.get(f"/api/applications/{application.id}/audit", "province"))["verified"]
