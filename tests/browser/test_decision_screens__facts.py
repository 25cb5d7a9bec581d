"""In the browser: what each decision needs on its screen. The province registers an objection with its PDF on
the objection page and finds it on the 异议处理 task (what, when, the evidence to download, who filed it); a second
objection after the first was dismissed lists both. The 现场核查 task and a 形式审查 done again after the experts
show each expert's score and opinion, the average and who asked for an inspection; the notice batch on the round
page opens each row's expert scores and opinions."""
from __future__ import annotations

from service.commands.sample_reports import SAMPLE_REPORT_PDF
from tests.api import ok
from tests.test_decision_screens__facts_pages import reviewed_by_three_experts

UNIT = "长春示范汽车零部件有限公司"


def _open_task(page, step_name):
    page.goto("/inbox")
    page.locator("tr", has_text=UNIT).filter(has_text=step_name).get_by_role("link", name="办理").click()
    page.wait_for_selector("#form .fjs-form")


def _register_objection(staff, application_id, content, pdf):
    page = staff.page
    page.goto(f"/applications/{application_id}/objection")
    page.fill("input[name=real_name]", "陈某某")
    page.fill("input[name=contact]", "13900000000")
    page.fill("input[name=unit]", "长春某环保协会")
    page.fill("textarea[name=content]", content)
    page.fill("textarea[name=evidence]", "行政处罚决定书复印件")
    page.set_input_files("#evidence-files", str(pdf))
    assert page.inner_text("#evidence-files-name") == pdf.name
    staff.screenshot("objection-form-with-evidence")
    page.click("form button.primary")
    page.wait_for_url(f"**/applications/{application_id}")
    assert "异议已登记" in page.inner_text("main")


def test_the_objection_task_shows_every_objection_and_its_evidence(browse, api, tmp_path):
    s = reviewed_by_three_experts(api, site=False).batch("start-notice")
    pdf = tmp_path / "处罚决定书.pdf"
    pdf.write_bytes(SAMPLE_REPORT_PDF)
    staff = browse()
    page = staff.login("province")
    _register_objection(staff, s.application_id, "该单位去年发生环境污染事故", pdf)
    _open_task(page, "异议处理")
    box = page.locator("#objections")
    text = box.inner_text()
    assert "公示期异议（共 1 件）" in text and "本次待处理" in text and "该单位去年发生环境污染事故" in text
    assert "陈某某（长春某环保协会）" in text and "行政处罚决定书复印件" in text
    with page.expect_download() as download:
        box.get_by_role("link", name="处罚决定书.pdf").click()
    assert download.value.suggested_filename == "处罚决定书.pdf"
    staff.screenshot("objection-task-one-objection")

    s.handle_objection("dismissed")
    second = tmp_path / "监测报告.pdf"
    second.write_bytes(SAMPLE_REPORT_PDF)
    _register_objection(staff, s.application_id, "该单位能耗数据与统计数据不符", second)
    _open_task(page, "异议处理")
    articles = page.locator("#objections article")
    assert articles.count() == 2
    assert "已处理：异议不成立" in articles.nth(0).inner_text() and "本次待处理" in articles.nth(1).inner_text()
    assert "监测报告.pdf" in articles.nth(1).inner_text()
    staff.screenshot("objection-task-two-objections")

    # The auditor reads the same step (who filed it included: the policy tells auditors).
    task_id = page.url.rsplit("/", 1)[-1]
    auditor = browse()
    auditor_page = auditor.login("auditor")
    auditor_page.goto(f"/tasks/{task_id}")
    assert "陈某某" in auditor_page.inner_text("#objections")
    auditor.screenshot("objection-task-as-auditor")


def test_the_site_inspection_and_formal_review_show_the_experts_results(browse, api):
    s = reviewed_by_three_experts(api)
    staff = browse()
    page = staff.login("province")
    _open_task(page, "现场核查")
    box = page.locator("#expert-results")
    text = box.inner_text()
    assert "专家评审结果（3 位专家）" in text and "平均分：75.67" in text
    assert "余热回收数据需到现场核实" in text and "建议现场核查：延边大学 评审专家1" in text
    assert box.locator("tbody tr").count() == 3
    staff.screenshot("site-inspection-expert-results")

    ok(api.post(f"/api/applications/{s.application_id}/rewind", "admin",
                json={"element_id": "Task_formal_review", "reason": "专家建议补充材料后重新审查"}))
    _open_task(page, "形式审查与遴选专家")
    assert "平均分：75.67" in page.inner_text("#expert-results")
    staff.screenshot("formal-review-again-expert-results")


def test_the_notice_batch_opens_each_experts_score_and_opinion(browse, api):
    s = reviewed_by_three_experts(api).site_inspection("pass")
    staff = browse()
    page = staff.login("province")
    page.goto(f"/rounds/{s.round_id}")
    row = page.locator("#ready-for-notice tbody tr", has_text=UNIT)
    assert row.locator("td.average").inner_text() == "75.67"
    assert row.locator("td.inspection-requests").inner_text() == "延边大学 评审专家1"
    row.locator("td.expert-scores summary").click()
    details = row.locator("td.expert-scores").inner_text()
    assert "延边大学 评审专家1 82 分（建议现场核查）：余热回收数据需到现场核实" in details
    assert "专家2：材料完整" in details
    row.scroll_into_view_if_needed()
    staff.screenshot("notice-batch-expert-scores")
