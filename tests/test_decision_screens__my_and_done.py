"""The unit's /my says 已退回 with the reviewer's comment when the city sent its declaration back (and stops
saying so once it is resubmitted); the reviewer's 已办 shows the decision taken, on the page and in the API."""
from __future__ import annotations

from tests.api import ApiScenario, ok
from tests.pages import text


def _row(html: str, number: str) -> str:
    start = html.index(number)
    return html[start:html.index("</tr>", start)]


def test_my_says_sent_back_with_the_comment_until_resubmitted(api, visitor):
    scenario = ApiScenario(api).start().declare()
    number = scenario.detail()["number"]
    scenario.submit(scenario.reviewer, {**scenario.verification(()), "decision": "send_back",
                                        "comments": "请补充第三方评价报告的盖章页"})

    unit = visitor("factory1")
    row = _row(text(unit.get("/my")), number)
    assert "已退回" in row and "市州初审推荐意见" in row and "请补充第三方评价报告的盖章页" in row

    scenario.declare()
    row = _row(text(unit.get("/my")), number)
    assert "已退回" not in row


def test_a_recommended_declaration_is_not_said_sent_back(api, visitor):
    scenario = ApiScenario(api).start().declare().city_review("recommend")
    row = _row(text(visitor("factory1").get("/my")), scenario.detail()["number"])
    assert "已退回" not in row


def test_done_shows_the_decision_i_took(api, visitor):
    ApiScenario(api).start().declare().city_review("send_back")
    done = ok(api.get("/api/tasks/done", "changchun"))
    assert done["items"][0]["name"] == "市州初审推荐" and done["items"][0]["decision"] == "退回修改"
    html = text(visitor("changchun").get("/done"))
    assert '<td class="decision">退回修改</td>' in html

    # A step without a decision (the unit's declaration) shows none.
    unit_done = ok(api.get("/api/tasks/done", "factory1"))
    assert unit_done["items"][0]["decision"] is None
