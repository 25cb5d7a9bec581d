"""In the browser: an auditor and the province read a finished application's trail, its printable record and a
task page, and see people by name (单位/科室 + 姓名, the experts by name to them), steps and events in Chinese,
the system's own steps as 系统自动, and the city's evidence by its file name — never a login name, an element
id or an event code."""
from __future__ import annotations

import re

from tests.api import ApiScenario
from tests.test_names__every_page import ALLOWED_PATTERN, LATIN_WORD

LOGINS = ("factory1", "chain1", "changchun", "siping", "province", "expert1", "expert2", "expert3", "auditor")
ELEMENT_ID = re.compile(r"\b(?:Task|Gateway|Event|End|Start|Activity|Flow|Lane)_\w+")
EVENT_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\bsystem:\w+")


def finished(api) -> ApiScenario:
    """factory1's declaration, sent back once, recommended, inspected on site, scored, put on notice, objected
    to and the objection upheld: the application's own end (异议成立)."""
    s = ApiScenario(api).start().declare().city_review("send_back")
    s.declare().city_review("recommend").formal_review(site=True).expert_reviews(site=True).site_inspection("pass")
    s.batch("start-notice").objection().handle_objection("upheld")
    assert s.outcome() == "异议成立"
    return s


def shown(page) -> str:
    """What the page shows once its scripts ran (the diagram's labels too), checked: no login names, element
    ids or event codes, and no Latin word outside the places the page scan allows."""
    text = page.inner_text("main")
    assert not [login for login in LOGINS if re.search(rf"(?<![A-Za-z0-9]){login}(?![A-Za-z0-9])", text)], text
    assert ELEMENT_ID.findall(text) == [] and EVENT_CODE.findall(text) == []
    assert LATIN_WORD.findall(ALLOWED_PATTERN.sub(" ", text)) == [], page.url
    return text


def test_an_auditor_and_the_province_read_people_and_steps_by_name(browse, api):
    s = finished(api)
    waiting = ApiScenario(api, "supply_chain").start().declare().city_review("recommend").seal_city_package()
    task_id = waiting.open_task("province", "Task_formal_review")
    for reader in ("auditor", "province"):
        person = browse()
        page = person.login(reader)

        page.goto(f"/applications/{s.application_id}")
        page.wait_for_selector("#diagram svg")
        trail = shown(page)
        for name in ("长春示范汽车零部件有限公司", "长春市工信局", "省工信厅资源节约与综合利用处", "延边大学 评审专家1",
                     "评审专家2", "评审专家3", "系统自动", "填报绿色工厂申报书", "异议处理", "现场核查"):
            assert name in trail, (reader, name)
        assert page.locator("#timeline a", has_text="信用中国查询结果.pdf").count() >= 1  # the evidence, by name
        person.screenshot("trail")

        page.goto(f"/applications/{s.application_id}/audit")
        record = shown(page)
        assert "系统自动" in record and "长春市工信局" in record and "评审专家1" in record and "登记异议" in record
        person.screenshot("printable-record")

        page.goto(f"/tasks/{task_id}")
        page.wait_for_selector("#form .fjs-form")
        task = shown(page)
        assert "四平示范装备制造集团有限公司" in task and "四平市工信局" in task
        history = page.locator("details.history", has_text="市州初审推荐")
        assert history.locator("a", has_text="信用中国查询结果.pdf").count() == 6  # one per exclusion checked
        person.screenshot("task-page")
