"""A link to a task someone has done since answers 409 naming who did it. Finding that event must not read the
whole audit trail (millions of events in a few rounds): it goes through the partial index on the event's task id
(migration 0043), on SQLite and on PostgreSQL alike."""
from sqlalchemy import select

from service.audit.models import AuditEvent, completed_task_event
from service.platform.extensions import db
from tests.api import ApiScenario, refused
from tests.plans import plan


def test_a_done_task_is_found_through_its_index_and_named(api):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    s.city_review("recommend")

    found = db.session.scalars(select(AuditEvent).where(completed_task_event(task_id))).all()
    assert [(e.action, e.actor, e.element_id) for e in found] == [("task_completed", "changchun", "Task_city_review")]
    assert "ix_audit_event_task" in plan(select(AuditEvent.id).where(completed_task_event(task_id)))

    response = api.get(f"/api/tasks/{task_id}", "changchun")
    assert "已由 长春市工信局 办理" in refused(response, 409, "task_not_ready")["message"]


def test_an_unknown_task_id_is_still_a_404(api):
    ApiScenario(api).start().declare().city_review("recommend")
    response = api.get("/api/tasks/00000000-0000-4000-8000-000000000000", "changchun")
    refused(response, 404, "task_not_found")
