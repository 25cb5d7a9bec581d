"""The API names people as the pages do: beside every login field (who entered a calendar day, confirmed a year,
drafted or deployed a version, changed a deadline, recorded a register change, created a role) its ``<field>_name``,
so that no reader of the API has to map login names to people; a list is named with one query of the accounts."""
import re

from sqlalchemy import event

from service.platform.extensions import db
from tests.api import ApiScenario, first_version_id, ok

ADMIN = "系统管理员"
PROVINCE = "省工信厅资源节约与综合利用处"


def account_lookups(action) -> int:
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len([s for s in statements if re.search(r'FROM "?user"?\s', s) and " IN " in s])


def test_calendar_drafts_and_versions_name_the_administrator(api):
    ok(api.post("/api/calendar/2024/days", "admin", json={"day": "2024-09-29", "is_workday": True, "note": "调休"}))
    year = ok(api.post("/api/calendar/2024/confirm", "admin"))
    assert year["confirmed_by"] == "admin" and year["confirmed_by_name"] == ADMIN
    day = next(d for d in year["days"] if d["day"] == "2024-09-29")
    assert day["updated_by_name"] == ADMIN

    for _ in range(3):
        ok(api.post("/api/process-drafts", "admin", json={"from_version": first_version_id()}), 201)
    drafts = []
    lookups = account_lookups(lambda: drafts.extend(ok(api.get("/api/process-drafts", "admin"))))
    assert len(drafts) >= 3 and {d["created_by_name"] for d in drafts} == {ADMIN}
    assert {d["updated_by_name"] for d in drafts} == {ADMIN}
    assert lookups <= 2  # the caller's own account, and everyone named in the list at once

    versions = ok(api.get("/api/process-versions", "admin"))
    assert all(v["deployed_by_name"] and v["deployed_by_name"] != v["deployed_by"] for v in versions)


def test_a_deadline_change_and_a_register_change_name_who_made_them(api, clock):
    from datetime import datetime, timezone

    s = ApiScenario(api).start()
    ok(api.call("PATCH", f"/api/rounds/{s.round_id}", "province",
                json={"city_deadline": "2024-06-20", "reason": "市州申请延期"}))
    changes = ok(api.get(f"/api/rounds/{s.round_id}", "province"))["deadline_changes"]
    assert [(c["changed_by"], c["changed_by_name"]) for c in changes] == [("province", PROVINCE)]

    s.declare().city_review("recommend").formal_review().expert_reviews().batch("start-notice")
    clock.set(datetime(2024, 8, 1, tzinfo=timezone.utc))
    s.run_worker()
    s.batch("publish")
    entries = ok(api.get("/api/list-register", "province"))["items"]
    entry = ok(api.get(f"/api/list-register/{entries[0]['id']}", "province"))
    assert entry["history"] and all(h["recorded_by_name"] for h in entry["history"])
    assert all(h["recorded_by_name"] != h["recorded_by"] for h in entry["history"])
