"""The same facts on the pages: the objection step's page lists the objections (the evidence's PDFs to download),
the site inspection's page the experts' results, and the round's notice batch each expert's score and opinion
and who asked for an inspection. Reading them costs a bounded number of statements."""
from __future__ import annotations

import io
import re

from lxml import html as lxml_html

from service.commands.sample_reports import SAMPLE_REPORT_PDF
from tests.api import ApiScenario, ok
from tests.pages import text
from tests.test_api_docs_and_seed import statements_of

LATIN = re.compile(r"[A-Za-z_]{4,}")


def reviewed_by_three_experts(api, site=True):
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review()
    for n, score in ((1, 82), (2, 75), (3, 70)):
        s.submit(f"expert{n}", {"score": score, "site_inspection": site and n == 1,
                                "opinion": "余热回收数据需到现场核实" if n == 1 else f"专家{n}：材料完整"})
    return s


def _box(page_html, box_id):
    found = lxml_html.fromstring(page_html).xpath(f'//*[@id="{box_id}"]')
    assert found, box_id
    return " ".join(found[0].text_content().split())


def test_the_site_inspection_page_shows_the_experts_results(api, visitor):
    s = reviewed_by_three_experts(api)
    task_id = s.open_task("province", "Task_site_inspection")
    page = text(visitor("province").get(f"/tasks/{task_id}"))
    box = _box(page, "expert-results")
    assert "专家评审结果（3 位专家）" in box and "平均分：75.67" in box
    rows = [[td.text_content().strip() for td in tr.iter("td")]
            for tr in lxml_html.fromstring(page).xpath('//*[@id="expert-results"]//tbody/tr')]
    assert rows == [["延边大学 评审专家1", "82", "余热回收数据需到现场核实", "是"],
                    ["通化市节能监察中心 评审专家2", "75", "专家2：材料完整", "否"],
                    ["白城师范学院 评审专家3", "70", "专家3：材料完整", "否"]]
    assert "建议现场核查：延边大学 评审专家1" in box
    assert not LATIN.search(box), box
    statements = statements_of(lambda: ok(api.get(f"/api/tasks/{task_id}", "province")))
    assert len(statements) <= 7, statements  # 6: the results come from the history already read


def test_the_objection_page_lists_the_objections_and_their_files(api, visitor):
    s = reviewed_by_three_experts(api, site=False).batch("start-notice")
    staff = visitor("province")
    form = staff.get(f"/applications/{s.application_id}/objection")
    assert 'name="evidence_files"' in text(form)
    response = staff.client.post(f"/applications/{s.application_id}/objection", data={
        "csrf_token": staff.token, "real_name": "陈某某", "contact": "13900000000", "unit": "长春某环保协会",
        "content": "该单位去年发生环境污染事故", "evidence": "行政处罚决定书复印件",
        "evidence_files": [(io.BytesIO(SAMPLE_REPORT_PDF), "处罚决定书.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    task_id = s.open_task("province", "Task_objection")
    page = text(staff.get(f"/tasks/{task_id}"))
    box = _box(page, "objections")
    assert "公示期异议（共 1 件）" in box and "第 1 件异议" in box and "本次待处理" in box
    assert "该单位去年发生环境污染事故" in box and "陈某某（长春某环保协会） · 联系电话 13900000000" in box
    assert "行政处罚决定书复印件" in box and "处罚决定书.pdf" in box
    link = re.search(r'id="objections".*?href="(/api/attachments/\d+)"', page, re.S).group(1)
    assert staff.get(link).status_code == 200
    assert visitor("factory1").get(link).status_code == 404  # the unit never downloads who objected
    statements = statements_of(lambda: ok(api.get(f"/api/tasks/{task_id}", "province")))
    # 7: the objections come from the trail already read; one query more for their files, when there are any.
    assert len(statements) <= 7, statements


def test_a_refused_objection_form_stores_no_file(api, visitor):
    s = reviewed_by_three_experts(api, site=False).batch("start-notice")
    staff = visitor("province")
    staff.get(f"/applications/{s.application_id}/objection")
    before = len(ok(api.get(f"/api/applications/{s.application_id}", "province"))["attachments"])
    response = staff.client.post(f"/applications/{s.application_id}/objection", data={
        "csrf_token": staff.token, "real_name": "陈", "contact": "123", "content": "短", "evidence": "",
        "evidence_files": [(io.BytesIO(SAMPLE_REPORT_PDF), "处罚决定书.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert len(ok(api.get(f"/api/applications/{s.application_id}", "province"))["attachments"]) == before
    # A complete objection whose file is not a PDF: the reason under the file choice, nothing recorded.
    response = staff.client.post(f"/applications/{s.application_id}/objection", data={
        "csrf_token": staff.token, "real_name": "陈某某", "contact": "13900000000", "content": "该单位去年发生环境污染事故",
        "evidence": "处罚决定书", "evidence_files": [(io.BytesIO(b"not a pdf"), "说明.txt")]},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "只接受 PDF 文件" in text(response)
    assert len(ok(api.get(f"/api/applications/{s.application_id}", "province"))["attachments"]) == before
    assert "objection_recorded" not in [e["action"] for e in s.audit()["events"]]


def test_the_notice_batch_names_each_experts_score_and_who_asked_for_an_inspection(api, visitor):
    s = reviewed_by_three_experts(api).site_inspection("pass")
    page = lxml_html.fromstring(text(visitor("province").get(f"/rounds/{s.round_id}")))
    row = next(r for r in page.xpath('//*[@id="ready-for-notice"]//tbody/tr')
               if r.xpath(f'.//input[@value="{s.application_id}"]'))
    scores = " ".join(row.xpath('.//td[@class="expert-scores"]')[0].text_content().split())
    assert scores.startswith("82 / 75 / 70")
    assert "延边大学 评审专家1 82 分（建议现场核查）：余热回收数据需到现场核实" in scores
    assert row.xpath('.//td[@class="inspection-requests"]')[0].text_content().strip() == "延边大学 评审专家1"
    assert row.xpath('.//td[@class="average"]')[0].text_content().strip() == "75.67"


def test_the_ranking_api_gives_the_same_reviews_to_who_sees_scores(api):
    s = reviewed_by_three_experts(api).site_inspection("pass")
    for reader in ("province", "auditor"):
        row = ok(api.get(f"/api/rounds/{s.round_id}/ranking", reader))["categories"][0]["rows"][0]
        assert [(r["expert"], r["score"], r["site_inspection"]) for r in row["reviews"]] == [
            ("延边大学 评审专家1", 82.0, True), ("通化市节能监察中心 评审专家2", 75.0, False),
            ("白城师范学院 评审专家3", 70.0, False)]
        assert row["reviews"][0]["opinion"] == "余热回收数据需到现场核实"
        assert row["inspection_requested"] == ["延边大学 评审专家1"] and row["average_score"] == 75.67
        assert "actor" not in row["reviews"][0]  # logins stay inside
    for outsider in ("changchun", "expert1", "factory1"):
        assert api.get(f"/api/rounds/{s.round_id}/ranking", outsider).status_code == 403
