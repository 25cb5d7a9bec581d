"""People by name beyond the trail: who deployed a version, changed the calendar or a deadline, decided on a
registration, entered a unit in the register or froze, sent and received a city package is shown as 单位/科室 +
姓名 (one query of the accounts per page); the city's verification names its evidence files (a link for who may
open them); the engine's own steps are the system's."""
import re

from sqlalchemy import event, select

from service.applications.models import Attachment
from service.platform.extensions import db
from service.register.models import RegisterEntry
from tests.api import ApiScenario, first_version_id, ok
from tests.test_names__trail import login_names_in, visible

PROVINCE = "省工信厅资源节约与综合利用处"  # the demo province account's name (it says its office already)
ADMIN = "系统管理员"


def user_queries(visitor, path) -> tuple[str, int]:
    """The page as its reader sees it, and how many statements of the request read the accounts table (the
    reader's own session lookup is one of them)."""
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = visible(visitor.get(path))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return page, len([s for s in statements if re.search(r'FROM "?user"?\s', s) and " IN " in s])


def test_admin_pages_name_who_deployed_drafted_and_entered_calendar_days(api, visitor):
    ok(api.post("/api/calendar/2024/days", "admin", json={"day": "2024-09-29", "is_workday": True, "note": "调休"}))
    ok(api.post("/api/calendar/2024/confirm", "admin"))
    draft = ok(api.post("/api/process-drafts", "admin", json={"from_version": first_version_id()}), 201)
    admin = visitor("admin")
    for path in ("/admin/versions", f"/admin/versions/{first_version_id()}", f"/admin/drafts/{draft['id']}",
                 "/admin/calendar/2024"):
        page, lookups = user_queries(admin, path)
        assert ADMIN in page and not re.search(r"(?<![\w/])admin(?![\w/])", page), path
        assert lookups <= 1, path  # everyone on the page in one IN query
    calendar = visible(admin.get("/admin/calendar/2024"))
    assert f"管理员录入（{ADMIN}）" in calendar and f"已由 {ADMIN}" in calendar


def test_round_registration_and_register_pages_name_who_acted(api, visitor, clock):
    from datetime import datetime, timezone

    s = ApiScenario(api).start()
    ok(api.call("PATCH", f"/api/rounds/{s.round_id}", "province",
                json={"city_deadline": "2024-06-20", "reason": "市州申请延期"}))
    s.declare().city_review("recommend").formal_review().expert_reviews().batch("start-notice")
    clock.set(datetime(2024, 8, 1, tzinfo=timezone.utc))
    s.run_worker()
    s.batch("publish")
    province = visitor("province")
    history = visible(province.get(f"/rounds/{s.round_id}"))
    assert re.search(rf"市州申请延期\s+{PROVINCE}", history) and login_names_in(history) == []
    entry = db.session.scalar(select(RegisterEntry.id).where(RegisterEntry.application_id == s.application_id))
    register = visible(province.get(f"/list-register/{entry}"))
    assert PROVINCE in register and login_names_in(register) == []
    confirmed = visible(province.get("/registrations?status=confirmed"))
    assert ADMIN in confirmed and "admin" not in confirmed  # the demo units were confirmed by the administrator
    organisation = visible(visitor("factory1").get("/my-organisation"))
    assert f"（{ADMIN}，" in organisation


def test_the_package_api_gives_each_actor_by_name_beside_the_login(api):
    s = ApiScenario(api).start().declare().city_review("recommend").seal_city_package()
    package = ok(api.get(f"/api/packages/{s.package['id']}", "province"))
    assert (package["frozen_by"], package["frozen_by_name"]) == ("changchun", "长春市工信局")
    assert (package["sent_by"], package["sent_by_name"]) == ("changchun", "长春市工信局")
    assert (package["received_by"], package["received_by_name"]) == ("province", PROVINCE)
    [row] = [r for r in ok(api.get(f"/api/rounds/{s.round_id}/packages", "province")) if r["city_code"] == "220100"]
    assert row["packages"][0]["received_by_name"] == PROVINCE
    schema = ok(api.client.get("/api/openapi.json"))["components"]["schemas"]["Package"]["properties"]
    assert {"frozen_by_name", "sent_by_name", "received_by_name"} <= set(schema)


def test_the_verification_names_its_evidence_files_and_links_them_for_who_may_open_them(api, visitor):
    s = ApiScenario(api).start().declare().city_review("recommend")
    evidence = db.session.scalar(select(Attachment.id).where(Attachment.application_id == s.application_id,
                                                             Attachment.kind == "verification_evidence"))
    for reader in ("province", "changchun"):
        html = visitor(reader).get(f"/applications/{s.application_id}").get_data(as_text=True)
        assert f'<a href="/api/attachments/{evidence}">信用中国查询结果.pdf</a>' in html, reader
        shown = visible(visitor(reader).get(f"/applications/{s.application_id}"))
        assert not re.search(r"核查证据（已上传的 PDF）\s+\d", shown) and "部门回函.pdf" in shown
    applicant = visible(visitor("factory1").get(f"/applications/{s.application_id}"))
    assert "信用中国查询结果.pdf" not in applicant  # the city's evidence stays with the city and the province
    s.seal_city_package()
    task = ok(api.get(f"/api/tasks/{s.open_task('province', 'Task_formal_review')}", "province"))
    city_review = next(h for h in task["history"] if h["step"] == "Task_city_review")
    assert city_review["data"]  # the province reads the verification on its task page


def test_two_evidence_files_of_one_name_are_told_apart_by_their_order_not_their_ids(api):
    s = ApiScenario(api).start().declare()
    for _ in range(2):
        s.upload("changchun", "verification_evidence", "信用中国查询结果.pdf")
    page = ok(api.get(f"/api/tasks/{s.open_task('changchun')}", "changchun"))
    labels = [o["label"] for o in page["options"]["verification_evidence"]]
    assert labels == ["信用中国查询结果.pdf（第 1 份）", "信用中国查询结果.pdf（第 2 份）"]


def test_the_engines_own_steps_are_the_systems_on_the_full_trail_and_in_the_api(api, visitor):
    s = ApiScenario(api).start().declare().city_review("reject")
    record = visible(visitor("auditor").get(f"/applications/{s.application_id}/audit"))
    assert re.search(r"分支判断[^\n]*?\s+系统自动", record) and "系统自动" in record
    events = ok(api.get(f"/api/applications/{s.application_id}/audit", "auditor"))["events"]
    automatic = [e for e in events if e["action"] in ("gateway_decision", "rule_evaluated", "ended")]
    assert automatic and {e["actor_name"] for e in automatic} == {"系统自动"}
    done_by_people = [e for e in events if e["action"] == "task_completed"]
    assert {e["actor_name"] for e in done_by_people} == {"长春示范汽车零部件有限公司", "长春市工信局"}


def test_a_task_already_done_names_who_did_it(api, visitor):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    s.city_review("recommend")
    for reader in ("changchun", "auditor"):
        response = visitor(reader).get(f"/tasks/{task_id}")
        page = response.get_data(as_text=True)
        assert response.status_code == 409 and "已由 长春市工信局 办理（2024-05-06 09:00）" in page, reader
        assert "changchun" not in page and task_id not in page, reader
        # Not a dead end: the page leads to the application the task belonged to.
        assert f'href="/applications/{s.application_id}">查看该申报' in page, reader
    body = api.get(f"/api/tasks/{task_id}", "changchun").get_json()
    assert body["details"] == {"application_id": s.application_id, "done_by": "长春市工信局",
                               "done_at": "2024-05-06T01:00:00+00:00"}


def test_a_done_task_on_an_application_the_reader_may_not_see_is_only_not_found(api, visitor):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    s.city_review("recommend")
    response = visitor("jilin").get(f"/tasks/{task_id}")  # another city's reviewer
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "长春市工信局" not in page and "查看该申报" not in page


def test_the_steps_an_experts_review_set_off_keep_the_experts_login_from_the_applicant(api):
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review().expert_reviews((60, 55, 50))
    events = ok(api.get(f"/api/applications/{s.application_id}/audit", "factory1"))["events"]
    after_review = [e for e in events if e["action"] in ("multi_instance_completed", "script_run", "ended")]
    assert after_review and {e["actor_name"] for e in after_review} == {"系统自动"}
    assert not {e["actor"] for e in events} & {"expert1", "expert2", "expert3"}


def test_the_citys_verification_is_recorded_under_each_exclusion_it_answers(api, visitor):
    """The city answers 核查结果 / 核查来源 / 查询日期 for each of six exclusions: the record names the exclusion above
    its answers, as the form did, so a reader can tell which answer is which."""
    s = ApiScenario(api).start().declare().city_review("recommend")
    if s.waits_for_city_package():
        s.seal_city_package()
    task_id = s.open_task("province")
    page = visible(visitor("province").get(f"/tasks/{task_id}"))
    first, second = page.index("1. 未正常经营生产"), page.index("2. 发生安全（含网络安全")
    assert first < page.index("核查结果（是否存在该情形）", first) < second
    assert page.count("核查结果（是否存在该情形）") == 6
    record = visible(visitor("auditor").get(f"/applications/{s.application_id}/audit"))
    assert record.index("1. 未正常经营生产") < record.index("核查结果（是否存在该情形）")
