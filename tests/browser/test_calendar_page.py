"""In the browser: the administrator opens the working-day calendar from the menu, pastes the 2027 holiday
notice with a mistake, sees the bad line named, corrects it, previews, saves and confirms the year."""
from __future__ import annotations

from tests.test_calendar__pages import NOTICE_2027

WRONG_WEEKDAY = "八、重阳节：10月14日（周五）放假。"


def test_admin_pastes_previews_saves_and_confirms_a_year(browse):
    admin = browse()
    page = admin.login("admin")
    page.get_by_role("link", name="工作日历").click()
    page.goto("/admin/calendar/2027")
    assert "2027年尚未确认" in page.inner_text("#calendar-status")

    page.fill("#notice-text", NOTICE_2027 + WRONG_WEEKDAY)
    page.click("#preview-notice")
    assert "第9行：2027-10-14不是周五，请核对年份和日期" in page.inner_text("#notice-problems")
    assert page.locator("#save-notice").count() == 0
    assert page.input_value("#notice-text").endswith(WRONG_WEEKDAY)  # what was pasted stays to be corrected
    admin.screenshot("bad-line")

    page.fill("#notice-text", NOTICE_2027)
    page.click("#preview-notice")
    preview = page.inner_text("#notice-preview")
    assert "将录入 33 天" in preview and "劳动节调休上班" in preview
    admin.screenshot("preview")
    page.click("#save-notice")
    page.wait_for_selector(".flash.success")
    assert "已保存：录入或更正 33 天" in page.inner_text(".flash.success")
    assert "2027-05-08" in page.inner_text("#calendar-days")

    page.click("#confirm-year")
    page.wait_for_selector(".flash.success")
    assert "已确认2027年" in page.inner_text(".flash.success")
    assert "2027年已由 系统管理员" in page.inner_text("#calendar-status")
    assert "已确认" in page.inner_text("#calendar-years")
    admin.screenshot("confirmed")
