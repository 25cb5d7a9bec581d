"""People and steps by name: after a whole round, the application's trail and its printed audit record name
people as 单位/科室 + 姓名 and steps in Chinese — no login names, element ids or event codes — and name the
experts only to those allowed to know who reviewed."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select

from service.accounts.models import User
from service.accounts.names import display_names
from service.applications.models import Application
from service.applications.views import trail_view
from service.platform.extensions import db
from tests.api import ApiScenario, ok
from tests.pages import text

NOTICE_OVER = datetime(2024, 8, 1, tzinfo=timezone.utc)
ACTORS = ("factory1", "changchun", "province", "expert1", "expert2", "expert3", "auditor")
ELEMENT_ID = re.compile(r"\b(?:Task|Gateway|Event|End|Start|Activity|Flow|Lane)_\w+")
EVENT_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\bsystem:\w+")


def visible(response) -> str:
    """What a reader sees: the page without its scripts, styles and markup."""
    assert response.status_code == 200
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", text(response))
    return re.sub(r"<[^>]+>", " ", page)


def login_names_in(page: str) -> list[str]:
    return [name for name in ACTORS if re.search(rf"(?<![A-Za-z0-9]){name}(?![A-Za-z0-9])", page)]


@pytest.fixture
def listed(api, clock):
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review().expert_reviews() \
        .batch("start-notice")
    clock.set(NOTICE_OVER)
    assert s.run_worker() == 1
    return s.batch("publish")


@pytest.mark.parametrize("path", ["/applications/{}", "/applications/{}/audit"])
@pytest.mark.parametrize("reader", ["province", "auditor", "factory1"])
def test_the_trail_names_people_and_steps_in_chinese(listed, visitor, reader, path):
    page = visible(visitor(reader).get(path.format(listed.application_id)))
    assert login_names_in(page) == []
    assert ELEMENT_ID.findall(page) == []
    assert EVENT_CODE.findall(page) == []
    assert "长春市工信局 长春市工信局" not in page  # a name that already says the office is not repeated
    assert "长春市工信局" in page and "省工信厅" in page  # who recommended, who reviewed
    assert "系统（定时器）" in page  # the notice period ended by the clock


@pytest.mark.parametrize("path", ["/applications/{}", "/applications/{}/audit"])
def test_experts_are_named_to_the_auditor_and_the_province_only(listed, visitor, path):
    experts = ("评审专家1", "评审专家2", "评审专家3")
    for reader in ("auditor", "province"):
        page = visible(visitor(reader).get(path.format(listed.application_id)))
        assert all(name in page for name in experts), reader
    applicant = visible(visitor("factory1").get(path.format(listed.application_id)))
    assert not any(name in applicant for name in experts)
    assert "评审专家" in applicant  # the reviews are there, their authors unnamed


def test_a_whole_trail_is_named_with_one_query_of_the_accounts(listed):
    reader = db.session.scalar(select(User).where(User.username == "auditor"))
    application = db.session.get(Application, listed.application_id)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        view = trail_view(reader, application)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len({e["actor"] for e in view["events"]}) >= 5  # applicant, city, province, three experts, timer
    assert len([s for s in statements if re.search(r'FROM "?user"?\b', s)]) == 1


def test_system_actors_and_vanished_accounts_are_never_shown_by_login_name(listed):
    names = display_names(["factory1", "changchun", "expert1", "system:timer", "gone-user", "factory1"])
    assert names["system:timer"] == "系统（定时器）" and names["gone-user"] == "已删除的账户"
    assert names["changchun"] == "长春市工信局" and names["expert1"].endswith("评审专家1")


def test_every_action_code_written_in_the_service_has_a_chinese_name():
    from pathlib import Path

    from service.web.filters import ACTION_NAMES

    written = set()
    for source in Path("service").rglob("*.py"):
        code = source.read_text(encoding="utf-8")
        written |= set(re.findall(r'\baction="([a-z_]+)"', code))
        written |= set(re.findall(r'\bStep\("([a-z_]+)"', code))
        written |= set(re.findall(r'^[A-Z_]+ = "([a-z]+(?:_[a-z]+)+)"$', code, re.M)) & {
            "expert_panel_drawn", "expert_conflict_declared", "expert_substituted"}
    assert written and sorted(written - set(ACTION_NAMES)) == []


def test_the_chosen_panel_is_named_to_the_auditor_and_counted_for_the_applicant(listed, visitor):
    auditor = visible(visitor("auditor").get(f"/applications/{listed.application_id}/audit"))
    assert re.search(r"评审专家\s+[^#、]*评审专家1、[^#、]*评审专家2、[^#、]*评审专家3", auditor)
    applicant = visible(visitor("factory1").get(f"/applications/{listed.application_id}/audit"))
    assert "3 位（姓名仅省厅和审计可见）" in applicant
    assert not re.search(r"评审专家\s+\d+、\d+", applicant + auditor)  # never the accounts' ids


def test_the_task_page_and_the_city_package_page_name_who_acted(api, visitor):
    s = ApiScenario(api).start().declare().city_review("recommend").seal_city_package()
    task_page = visible(visitor("province").get(f"/tasks/{s.open_task('province', 'Task_formal_review')}"))
    assert "长春市工信局" in task_page and login_names_in(task_page) == []
    package_page = visible(visitor("changchun").get(f"/rounds/{s.round_id}/cities/220100/package"))
    assert "长春市工信局" in package_page and "省工信厅" in package_page  # frozen and sent by, received by
    assert login_names_in(package_page) == []


def test_the_audit_api_names_actors_and_keeps_the_experts_logins_from_the_applicant(listed, api):
    applicant = ok(api.get(f"/api/applications/{listed.application_id}/audit", "factory1"))["events"]
    reviews = [e for e in applicant if e["element_id"] == "Task_expert_review" and e["action"] == "task_completed"]
    assert len(reviews) == 3 and {(e["actor"], e["actor_name"]) for e in reviews} == {("评审专家", "评审专家")}
    auditor = ok(api.get(f"/api/applications/{listed.application_id}/audit", "auditor"))["events"]
    named = {e["actor"]: e["actor_name"] for e in auditor}
    assert named["expert1"] == "延边大学 评审专家1" and named["changchun"] == "长春市工信局"
