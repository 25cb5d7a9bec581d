"""In the browser: the header counts unread messages; the message centre lists them, opens the
application and marks them read."""
from __future__ import annotations

from tests.api import ApiScenario


def test_the_header_counts_and_the_centre_marks_read(browse, api):
    scenario = ApiScenario(api).start().declare()
    number = scenario.detail()["number"]
    city = browse()
    page = city.login("changchun")
    assert page.inner_text("#unread-count") == "1"
    city.screenshot("header-unread")
    page.click("#message-link")
    message = page.locator("li.message.unread")
    assert message.count() == 1 and number in message.inner_text() and "市州初审推荐有新的待办" in message.inner_text()
    city.screenshot("message-centre")
    message.get_by_role("button", name="查看申报").click()
    page.wait_for_url(f"**/applications/{scenario.application_id}")
    assert page.locator("#unread-count").count() == 0

    scenario.city_review("send_back")
    applicant = browse()
    page = applicant.login("factory1")
    assert page.inner_text("#unread-count") == "2"  # the declaration to fill, then the send-back
    page.click("#message-link")
    assert "退回修改" in page.locator("li.message").first.inner_text()
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_selector(".flash.success")
    assert "已将 2 条消息标为已读" in page.inner_text(".flash.success")
    assert page.locator("#unread-count").count() == 0 and page.locator("li.message.unread").count() == 0
    applicant.screenshot("all-read")
