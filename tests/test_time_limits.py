"""办理时限: a user task with a time limit in working days (the modeler property time_limit_days) gets a due date
counted on the working-day calendar from the day it arrives; the inbox, the task page, the reminders and the
statistics use it. The shipped diagram gives formal review 10, expert review 7, site inspection 10 and
objection handling 5 working days."""
from datetime import datetime, timezone

from sqlalchemy import select

from service.engine.bundle import Bundle
from service.engine.definition import ProcessDefinition
from service.engine.validation import validate_bundle
from service.notify.models import Notification
from service.notify.outbox import queue_deadline_reminders
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.calendar import current_calendar
from tests.api import ApiScenario, ok
from tests.pages import Visitor

FRIDAY_7_JUNE = datetime(2024, 6, 7, 2, 0, tzinfo=timezone.utc)  # 10:00 in Changchun; Monday 10 June is 端午节
# Ten working days after Friday 7 June: 11–14, 17–21 and Monday 24 June (weekends and the holiday skipped),
# so due at midnight after 24 June in Changchun.
DUE = datetime(2024, 6, 24, 16, 0, tzinfo=timezone.utc)


def reminders():
    with transaction():
        queue_deadline_reminders(current_calendar())
    found = db.session.scalars(select(Notification.idempotency_key).where(Notification.kind == "deadline_soon")).all()
    db.session.remove()
    return found


def test_the_shipped_diagram_gives_the_province_and_expert_steps_time_limits(bundle):
    limits = {t.bpmn_id: t.time_limit_days for t in ProcessDefinition(bundle).user_tasks.values()}
    assert (limits["Task_formal_review"], limits["Task_expert_review"], limits["Task_site_inspection"],
            limits["Task_objection"]) == (10, 7, 10, 5)
    assert limits["Task_declare_factory"] is None and limits["Task_city_review"] is None  # the round's deadlines


def test_a_formal_review_arriving_on_a_friday_is_due_ten_working_days_later_shown_and_reminded(app, api, clock):
    s = ApiScenario(api, "factory").start().declare()
    clock.set(FRIDAY_7_JUNE)
    s.city_review("recommend").seal_city_package()

    task = next(t for t in ok(api.get("/api/tasks", "province"))["items"] if t["application_id"] == s.application_id)
    assert task["step"] == "Task_formal_review" and task["due_at"].startswith("2024-06-24T16:00")
    page = ok(api.get(f"/api/tasks/{task['task_id']}", "province"))
    assert page["task"]["time_limit_days"] == 10 and page["task"]["due_at"].startswith("2024-06-24T16:00")

    province = Visitor(app)
    province.login("province")
    inbox = province.get("/inbox").get_data(as_text=True)
    assert "2024-06-24（含）" in inbox  # stored as the midnight ending 24 June (Changchun): shown as that day
    shown = province.get(f"/tasks/{task['task_id']}").get_data(as_text=True)
    assert "办理期限 2024-06-24（含）" in shown and "办理时限 10 个工作日" in shown

    clock.set(datetime(2024, 6, 19, 1, 0, tzinfo=timezone.utc))  # Wednesday: four working days left
    assert f"deadline_soon:{task['task_id']}" not in reminders()
    clock.set(datetime(2024, 6, 20, 1, 0, tzinfo=timezone.utc))  # Thursday: 20, 21 and 24 June left
    assert f"deadline_soon:{task['task_id']}" in reminders()

    clock.set(datetime(2024, 6, 26, 1, 0, tzinfo=timezone.utc))  # done after the limit: a missed deadline
    s.formal_review()
    experts = [t for t in ok(api.get("/api/tasks", "expert1"))["items"] if t["application_id"] == s.application_id]
    # Seven working days after Wednesday 26 June: 27, 28 June, 1–5 July → midnight after 5 July.
    assert experts[0]["due_at"].startswith("2024-07-05T16:00")
    figures = ok(api.get(f"/api/rounds/{s.round_id}/statistics", "province"))
    step = next(row for row in figures["steps"] if row["step"] == "Task_formal_review")
    assert step["time_limit_days"] == 10
    assert {"step": "Task_formal_review", "name": step["name"], "count": 1} in figures["missed_deadlines"]


def test_a_time_limit_that_is_no_whole_number_of_days_is_refused_at_validation(bundle):
    main = next(name for name in bundle.processes if name.endswith(".bpmn"))
    text = bundle.processes[main].replace('name="time_limit_days" value="10"', 'name="time_limit_days" value="十"', 1)
    problems = validate_bundle(Bundle({**bundle.processes, main: text}, bundle.forms))
    assert [p.element for p in problems] == ["Task_formal_review（形式审查与遴选专家）"]
    assert "应为 1–365 的整数（工作日）" in problems[0].message
