"""The issue's done-when, in the browser: factory1, changchun, the province, three experts and the
province again carry one application from declaration to the published list. Only the passing of the
public notice's five working days is not clicked: the worker fires that timer, as it would that night."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from service.versions.samples import sample_declaration
from service.engine.clock import ManualClock, use_clock
from service.platform.extensions import db
from service.platform.timeutil import utcnow
from service.commands.worker import run_due_timers
from tests.api import REVIEW
from tests.browser.formfill import attach_report, fill_form, verify
from tests.browser.package_steps import freeze_upload_and_send, open_city_package, register_receipt
from tests.browser.test_declaration_and_review import form, open_first_task, start_declaration, submit

UNIT = "长春示范汽车零部件有限公司"


def test_one_application_from_declaration_to_the_published_list(browse, tmp_path):
    applicant = browse()
    page = applicant.login("factory1")
    start_declaration(page)
    fill_form(page, form("declaration_factory"), sample_declaration("factory", unit_name=UNIT))
    attach_report(page, tmp_path)
    submit(page)

    city_browser = browse()
    city = city_browser.login("changchun")
    open_first_task(city, UNIT)
    verify(city, form("city_review"), tmp_path)
    fill_form(city, form("city_review"), {**REVIEW, "decision": "recommend",
                                          "recommend_opinion": "经核查，同意推荐"})
    submit(city)
    # The city's package: rank, freeze, upload the sealed PDFs, send; the province registers receipt.
    package_page = open_city_package(city_browser)
    package_page.fill("input[name=filler_phone]", "0431-88886666")
    freeze_upload_and_send(city_browser, tmp_path)

    staff_browser = browse()
    staff = staff_browser.login("province")
    register_receipt(staff_browser)
    open_first_task(staff, UNIT)
    fill_form(staff, form("formal_review"), {"materials_complete": True, "decision": "accept"})
    # 随机抽取: factory1 is in Changchun, so the three eligible experts are expert1–expert3.
    staff.click("#expert-draw")
    staff.wait_for_selector(".flash.success:has-text('已从 3 位符合条件的专家中随机抽取')")
    staff_browser.screenshot("formal-review")
    submit(staff)

    for n, score in ((1, 88), (2, 82), (3, 79)):
        expert = browse().login(f"expert{n}")
        open_first_task(expert, UNIT)
        fill_form(expert, form("expert_review"), {"score": score, "site_inspection": False, "opinion": f"专家{n}意见"})
        submit(expert)

    staff.goto("/rounds")
    staff.get_by_role("link", name="2024").click()
    round_page = staff.url
    staff.wait_for_load_state()  # the page's script selects the rows when 全选 is ticked
    staff.check("#ready-for-notice .select-all")
    expect(staff.locator("#ready-for-notice tbody input[name=applications]").first).to_be_checked()
    staff.click("#ready-for-notice button[type=submit]")
    staff.click("#confirm-ok")
    staff.wait_for_selector(".flash.success")
    staff.get_by_role("link", name="公示名单（网页）").click()
    assert UNIT in staff.inner_text("body")

    # The notice closes at midnight after its fifth working day; the worker fires it then.
    db.session.remove()
    with use_clock(ManualClock(utcnow() + timedelta(days=15))):
        assert run_due_timers() == 1
    db.session.remove()

    staff.goto(round_page)
    assert staff.locator("#ready-for-publish tbody tr").count() == 1
    staff.wait_for_load_state()
    staff.check("#ready-for-publish .select-all")
    expect(staff.locator("#ready-for-publish tbody input[name=applications]").first).to_be_checked()
    staff.click("#ready-for-publish button[type=submit]")
    assert "列入省级绿色制造名单" in staff.inner_text("dialog#confirm")
    staff.click("#confirm-ok")
    staff.wait_for_selector(".flash.success")
    staff_browser.screenshot("published")

    page.goto("/my")
    assert "列入名单" in page.inner_text("main")
    staff.goto(round_page)
    staff.get_by_role("link", name="发布名单（网页）").click()
    assert UNIT in staff.inner_text("body")
    staff_browser.screenshot("public-list")

    staff.goto(round_page)
    staff.get_by_role("link", name="办理时长与超期统计（热力图）").click()
    staff.wait_for_selector("#heatmap[data-rendered=true]")
    heated = staff.eval_on_selector_all("[class*=gl-heat-]", "els => els.map(e => e.dataset.elementId)")
    assert {"Task_declare_factory", "Task_city_review", "Task_formal_review"} <= set(heated)
    assert "专家评审" in staff.inner_text("#durations")
    staff_browser.screenshot("statistics-heat-map")
    assert "没有超期记录" in staff.inner_text("main")  # the notice running its course is no missed deadline
