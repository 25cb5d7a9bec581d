"""In the browser: an applicant declares with an upload, the city sends it back, the applicant resubmits,
the city recommends; and the application page draws the path on the diagram."""
from __future__ import annotations

import json
from pathlib import Path

from service.versions.samples import sample_declaration
from tests.api import REVIEW
from tests.browser.formfill import attach_report, fill_form, verify

FORMS = Path(__file__).resolve().parents[2] / "forms"
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def form(name: str) -> dict:
    return json.loads((FORMS / f"{name}.form.json").read_text(encoding="utf-8"))


def open_first_task(page, unit_name: str):
    page.goto("/inbox")
    page.locator("tr", has_text=unit_name).get_by_role("link", name="办理").click()
    page.wait_for_selector("#form .fjs-form")


def start_declaration(page, category="factory"):
    """From 我的申报: pick the category, start, and wait for the declaration form."""
    page.goto("/my")
    page.select_option("select[name=category]", category)
    page.click("text=开始申报")
    page.wait_for_selector("#form .fjs-form")


def submit(page):
    """Click 提交; an irreversible decision asks first (the page's dialog naming the consequence): confirm it."""
    page.click("#submit")
    for _ in range(200):
        if "submitted=1" in page.url:
            return
        try:
            if page.locator("#decision-confirm[open]").count():
                page.click("#decision-confirm-ok")
                break
        except Exception:  # the page navigated away while looking: the submit went through
            pass
        page.wait_for_timeout(50)
    page.wait_for_url("**/applications/*?submitted=1")


def test_declare_send_back_resubmit_recommend(browse, tmp_path):

    applicant = browse()
    page = applicant.login("factory1")
    assert page.url.endswith("/my")
    start_declaration(page)
    assert "填报绿色工厂申报书" in page.inner_text("h1")
    fill_form(page, form("declaration_factory"), sample_declaration("factory", unit_name="长春示范汽车零部件有限公司"))
    attach_report(page, tmp_path)  # the sample is evaluated by a third party: its report goes with it
    applicant.screenshot("declaration-filled")
    submit(page)
    assert page.inner_text("#stage") == "市州初审推荐"
    assert "第三方评价报告.pdf" in page.inner_text("main")
    assert "2010-05-01" in page.inner_text("main")  # the date typed as a Chinese user writes it
    applicant.screenshot("application-after-declaring")

    reviewer = browse()
    review = reviewer.login("changchun")
    reviewer.screenshot("city-inbox")
    open_first_task(review, "长春示范汽车零部件有限公司")
    assert "第三方评价报告.pdf" in review.inner_text("#attachments")
    verify(review, form("city_review"), tmp_path)
    fill_form(review, form("city_review"), {**REVIEW, "decision": "send_back", "comments": "请补充第三方评价报告的盖章页"})
    reviewer.screenshot("send-back")
    submit(review)
    assert "填报绿色工厂申报书" in review.inner_text("#stage")

    page.goto("/my")
    page.get_by_role("link", name="填报绿色工厂申报书").click()
    page.wait_for_selector("#form .fjs-form")
    assert "请补充第三方评价报告的盖章页" in page.inner_text("#previous-opinion")
    assert "退回修改" in page.inner_text("#previous-opinion")
    unit_name = page.locator("#form [id$='-Field_unit_name']")
    assert unit_name.input_value() == "长春示范汽车零部件有限公司"  # what was submitted comes back
    page.locator("#form [id$='-Field_highlights']").fill("余热回收、光伏发电，已补充盖章页")
    applicant.screenshot("resubmit")
    submit(page)

    open_first_task(review, "长春示范汽车零部件有限公司")
    assert "余热回收、光伏发电，已补充盖章页" in review.inner_text(".task-context")
    # What the unit changed since it was sent back, field by field; the earlier decision is not pre-chosen.
    changed = review.locator("#resubmitted-changes tr[data-key=highlights]")
    assert "主要亮点" in changed.inner_text() and "余热回收、光伏发电，已补充盖章页" in changed.inner_text()
    assert not review.locator("#form [id$='-Field_decision-1']").first.is_checked()
    assert review.locator("#form textarea[id$='-Field_comments']").input_value() == ""
    reviewer.screenshot("rereview-shows-changes")
    # The verification submitted at the send-back comes back filled in; recommending adds the opinion.
    fill_form(review, form("city_review"), {**REVIEW, "decision": "recommend",
                                            "recommend_opinion": "经核查，同意推荐"})
    submit(review)
    assert review.inner_text("#stage") == "等待市州推荐材料"  # the city's package comes next
    timeline = review.inner_text("#timeline")
    assert timeline.count("市州初审推荐") == 2 and "推荐" in timeline and "退回修改" in timeline
    assert "审计链校验通过" in review.inner_text("#chain-status")
    reviewer.screenshot("application-recommended")


def test_application_page_draws_the_path_and_the_current_step(browse, api):
    from tests.api import ApiScenario

    scenario = ApiScenario(api).start().declare()
    viewer = browse()
    page = viewer.login("changchun")
    page.goto(f"/applications/{scenario.application_id}")
    page.wait_for_selector("#diagram[data-rendered=true]")
    done = page.eval_on_selector_all(".djs-element.gl-done", "els => els.map(e => e.dataset.elementId)")
    current = page.eval_on_selector_all(".djs-element.gl-current", "els => els.map(e => e.dataset.elementId)")
    assert {"Start_apply", "Task_declare_factory", "Task_eligibility"} <= set(done)
    assert "Task_city_review" not in done and "Task_formal_review" not in done
    assert current == ["Task_city_review"]
    fill = page.eval_on_selector(".djs-element.gl-done[data-element-id=Task_declare_factory] .djs-visual > rect",
                                 "e => getComputedStyle(e).fill")
    assert fill == "rgb(185, 228, 201)"  # drawn green, not only marked
    viewer.screenshot("diagram")

    page.click("#diagram .gl-zoom [data-zoom=fit]")  # the first view centres the current step; the whole shows the rest
    page.click(".djs-element[data-element-id=Task_declare_factory]")
    shown = page.locator("#timeline li.event:not([hidden])")
    assert shown.count() == 1 and "填报绿色工厂申报书" in shown.inner_text()
    page.click("#show-all")
    assert page.locator("#timeline li.event:not([hidden])").count() > 1
