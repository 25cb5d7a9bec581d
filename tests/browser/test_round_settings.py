"""In the browser: province staff make a round in the page (a refused form keeps what was typed), a unit starts
a declaration in it, and the deadlines are extended with a reason; the round page shows settings and history."""
from __future__ import annotations

from datetime import timedelta

from service.platform.timeutil import to_shanghai, utcnow
from tests.api import ok


def test_province_makes_a_round_and_extends_its_deadline(browse, api):
    today = to_shanghai(utcnow()).date()
    unit_day, city_day, later = today + timedelta(days=30), today + timedelta(days=40), today + timedelta(days=50)
    staff = browse()
    page = staff.login("province")
    page.goto("/rounds")
    page.get_by_role("link", name="新建批次").click()
    page.fill("input[name=name]", "试点批次")
    page.fill("input[name=year]", str(today.year))
    page.uncheck("input[name=categories][value=supply_chain]")
    page.fill("input[name=unit_deadline]", later.isoformat())  # after the city deadline: refused
    page.fill("input[name=city_deadline]", city_day.isoformat())
    page.fill("input[name=objection_address]", "长春市人民大街 3555 号")
    page.fill("input[name=objection_phone]", "0431-88914475")
    page.fill("input[name=objection_email]", "yiyi@example.cn")
    page.click("#round-settings button[type=submit]")
    assert "不能晚于市州推荐截止日" in page.inner_text("label:has(input[name=unit_deadline])")
    assert page.input_value("input[name=name]") == "试点批次" and not page.is_checked("input[value=supply_chain]")
    staff.screenshot("refused")
    page.fill("input[name=unit_deadline]", unit_day.isoformat())
    page.click("#round-settings button[type=submit]")
    page.wait_for_selector(".flash.success")
    settings = page.inner_text("#round-settings")
    assert "绿色工厂、绿色工业园区" in settings and f"{unit_day}（含）" in settings and "0431-88914475" in settings
    staff.screenshot("created")

    round_id = next(r["id"] for r in ok(api.get("/api/rounds", "province")) if r["name"] == "试点批次")
    ok(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}), 201)
    page.reload()
    page.get_by_role("link", name="延长截止日期").click()
    assert page.is_disabled("input[name=notice_days]")
    page.fill("input[name=city_deadline]", later.isoformat())
    page.fill("textarea[name=reason]", "市州申请延期")
    page.click("#round-settings button[type=submit]")
    page.wait_for_selector(".flash.success")
    history = page.inner_text("#deadline-history")
    assert f"{city_day}（含）" in history and f"{later}（含）" in history and "市州申请延期" in history
    staff.screenshot("extended")
