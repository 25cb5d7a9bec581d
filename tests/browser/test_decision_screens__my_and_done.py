"""In the browser: after the city sends factory1's declaration back, the unit's 我的申报 says 已退回 with the
reviewer's comment, and the reviewer's 已办 shows 退回修改 as the decision taken."""
from __future__ import annotations

from tests.api import ApiScenario

COMMENT = "请补充第三方评价报告的盖章页"


def test_my_says_sent_back_and_done_shows_my_decision(browse, api):
    scenario = ApiScenario(api).start().declare()
    scenario.submit(scenario.reviewer, {**scenario.verification(()), "decision": "send_back", "comments": COMMENT})

    unit = browse()
    page = unit.login("factory1")
    page.goto("/my")
    row = page.locator("tr", has=page.locator(".sent-back"))
    assert row.locator(".sent-back").inner_text() == "已退回"
    assert COMMENT in row.locator(".sent-back-comment").inner_text()
    assert row.get_by_role("link", name="填报绿色工厂申报书").count() == 1  # the way back to the form
    unit.screenshot("my-sent-back")

    reviewer = browse()
    done = reviewer.login("changchun")
    done.goto("/done")
    assert done.locator("td.decision").first.inner_text() == "退回修改"
    reviewer.screenshot("done-shows-decision")
