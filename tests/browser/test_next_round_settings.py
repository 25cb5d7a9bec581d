"""In the browser: next year's round form lists every setting the version reads, pre-filled from this year's
round (dates a year later); the administrator makes a 7-day notice and a 31 May unit filing deadline."""
from __future__ import annotations

from service.platform.extensions import db
from tests.api import demo_round_id, ok


def test_admin_makes_next_years_round_with_a_7_day_notice_and_a_31_may_filing_deadline(browse, api):
    round_id = demo_round_id()
    db.session.remove()  # no read left open: the server writes to the same SQLite file
    admin = browse()
    page = admin.login("admin")
    page.goto(f"/admin/rounds/{round_id}/next")
    fields = page.inner_text("fieldset.round-settings")
    for label in ("单位申报截止日", "市州推荐截止日", "公示期（工作日）", "评审专家人数", "合格分"):
        assert label in fields, label
    city_day = page.input_value("input[name=city_deadline]")
    assert city_day.endswith("-06-10") and page.input_value("input[name=notice_days]") == "5"
    year = city_day[:4]
    page.fill("input[name=notice_days]", "7")
    page.fill("input[name=unit_deadline]", f"{year}-05-31")
    admin.screenshot("filled")
    page.click("#next-round button.primary")
    page.wait_for_selector(".flash.success")
    settings = page.inner_text("#round-settings")
    assert "7 个工作日" in settings and f"{year}-05-31（含）" in settings and f"{year}-06-10（含）" in settings
    admin.screenshot("created")
    made = next(r for r in ok(api.get("/api/rounds", "admin")) if r["notice_days"] == 7)
    assert made["unit_deadline"].startswith(f"{year}-05-31T16:00")
