"""In the browser, without logging in: the public notice (公示) of the round, on screen and as printed, then the
published list and the current provincial list; the province removes a unit from the register in its page."""
from __future__ import annotations

import re
from datetime import timedelta

from service.commands.worker import run_due_timers
from service.engine.clock import ManualClock, use_clock
from service.platform.extensions import db
from service.platform.timeutil import to_shanghai, utcnow
from tests.api import ApiScenario, ok

DATE = re.compile(r"^\d{4}年\d{2}月\d{2}日$")


def test_the_public_notice_reads_and_prints_as_a_notice(browse, api, tmp_path):
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review().expert_reviews()
    s.batch("start-notice")
    unit = s.detail()["unit_name"]

    reader = browse()  # anyone: no login
    page = reader.page
    page.goto(f"/lists/{s.round_id}/notice")
    assert page.inner_text(".issuer") == "吉林省工业和信息化厅"
    assert page.inner_text("h1") == "关于2024年度省级绿色制造名单的公示"
    assert DATE.match(page.inner_text("[data-period-from]")) and DATE.match(page.inner_text("[data-period-to]"))
    assert page.inner_text("[data-period-from]") <= page.inner_text("[data-period-to]")
    row = page.inner_text("table.units tbody tr")
    assert unit in row and "绿色工厂" in row and re.search(r"[0-9A-Z]{18}", row)
    assert page.inner_text("[data-contact]") == "资源节约与综合利用处 白佳齐"
    assert page.inner_text("[data-phone]") and page.inner_text("[data-email]")
    assert page.is_visible("button[data-print]")
    reader.screenshot("notice")
    page.emulate_media(media="print")
    assert not page.is_visible("button[data-print]")  # the page prints as the notice alone
    assert page.eval_on_selector("table.units thead", "e => getComputedStyle(e).display") == "table-header-group"
    reader.screenshot("notice-print")
    page.emulate_media(media="screen")

    db.session.remove()
    with use_clock(ManualClock(utcnow() + timedelta(days=15))):  # the notice's five working days pass
        assert run_due_timers() == 1
    db.session.remove()
    api.login("province")
    s.batch("publish")

    page.goto(f"/lists/{s.round_id}/published")
    assert unit in page.inner_text("table.units") and "共 1 家" in page.inner_text("main")
    reader.screenshot("published")
    page.goto("/lists/register")
    assert unit in page.inner_text("table.units")
    reader.screenshot("register-public")

    staff_browser = browse()
    staff = staff_browser.login("province")
    staff.get_by_role("link", name="名单库").first.click()
    staff.get_by_role("link", name=unit).click()
    staff.fill("textarea[name=reason]", "发生较大环境污染事故")
    # Today in China: the listing date is Beijing's, so after 16:00 UTC "today" in UTC is the day before it.
    staff.fill("input[name=effective_on]", f"{to_shanghai(utcnow()).date():%Y-%m-%d}")
    pdf = tmp_path / "调整通知.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    staff.set_input_files("#removal-document", str(pdf))
    staff.click("#removal button[type=submit]")
    staff.wait_for_selector(".flash.success")
    assert staff.inner_text("#entry-status") == "已动态调整出名单"
    assert "调整通知.pdf" in staff.inner_text("#register-history")
    staff_browser.screenshot("removed")
    page.goto("/lists/register")
    assert unit not in page.inner_text("main")
    assert ok(api.get("/api/list-register?status=removed", "province"))["total"] == 1
