"""In the browser, as admin: add 绿色设计产品 to a draft (its branch and form uploaded, the category entered in the
申报类别 tab), validate, deploy, open next year's round with it; a unit declares in it and the city finds it
through its inbox's category filter."""
from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from service.engine.bundle import Bundle
from service.versions.samples import sample_declaration
from tests.api import ok
from tests.browser.formfill import attach_report, fill_form
from tests.design_product import FORM, design_product_files

ROOT = Path(__file__).resolve().parents[2]


def upload(page, path: Path):
    page.click("button[data-tab=upload]")
    page.set_input_files("#upload-file", str(path))
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_have_text(re.compile("^已保存"))


def test_add_a_category_in_the_editor_open_a_round_with_it_declare_and_filter(browse, api, tmp_path):
    files = design_product_files(Bundle.from_directories(ROOT / "processes", ROOT / "forms"))
    (tmp_path / "green_round.bpmn").write_text(files["processes/green_round.bpmn"], encoding="utf-8")
    (tmp_path / FORM).write_text(files[f"forms/{FORM}"], encoding="utf-8")

    admin = browse()
    page = admin.login("admin")
    page.get_by_role("link", name="流程管理").click()
    page.locator("#versions tr", has_text="第 1 版").get_by_role("button", name="以此新建草稿").click()
    page.wait_for_selector("#modeler[data-rendered=true]")
    upload(page, tmp_path / "green_round.bpmn")  # the factory's branch copied for the new category
    page.wait_for_selector(".djs-element[data-element-id=Task_declare_design_product]")
    upload(page, tmp_path / FORM)

    page.click("button[data-tab=categories]")
    assert page.locator("#category-table tbody tr").count() == 3  # the standard three
    page.click("#add-category")
    row = page.locator("#category-table tbody tr").last
    row.get_by_label("类别代码").fill("design_product")
    row.get_by_label("中文名称").fill("绿色设计产品")
    row.get_by_label("编号简称").fill("SJ")
    row.get_by_label("申报环节").select_option("Task_declare_design_product")
    assert row.get_by_label("申报表单").input_value() == FORM  # the step's form, filled in
    admin.screenshot("category-added")
    page.click("#save-categories")
    expect(page.locator("#category-status")).to_have_text(re.compile("^已保存"))

    page.click("#validate")
    page.wait_for_selector("#problems li.ok")
    # Rehearsal covers the new category: its own listed path, through its own declaration step.
    page.click("#rehearse")
    page.wait_for_selector("#rehearsal-coverage")
    assert "绿色设计产品" in page.inner_text("#rehearsal-coverage")
    new_path = page.locator("#rehearsal tr", has_text="列入名单（绿色设计产品）")
    expect(new_path.locator("td.status-same")).to_be_visible()
    admin.screenshot("rehearsed")
    page.fill("#deploy-note", "2025年：增加绿色设计产品")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#deploy")
    page.wait_for_selector("#banner.success")
    assert "已部署为第 2 版" in page.inner_text("#banner")

    page.get_by_role("link", name="返回流程管理").click()
    page.locator("tr", has_text="2024").get_by_role("link", name="以此新建下一年度批次").click()
    page.select_option("select[name=process_version_id]", label="第 2 版 · 2025年：增加绿色设计产品")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "绿色设计产品" in page.inner_text("main dl")  # 开放类别
    admin.screenshot("round-opened")
    new_round = next(r for r in ok(api.get("/api/rounds", "admin")) if r["name"] == "2025")
    assert new_round["categories"] == ["factory", "park", "supply_chain", "design_product"]

    applicant = browse()
    mine = applicant.login("factory1")
    mine.goto("/my")
    mine.select_option("select[name=round]", str(new_round["id"]))
    mine.select_option("select[name=category]", label="绿色设计产品")
    mine.click("text=开始申报")
    mine.wait_for_selector("#form .fjs-form")
    assert "填报绿色设计产品申报书" in mine.inner_text("h1")
    form = json.loads(files[f"forms/{FORM}"])
    fill_form(mine, form, sample_declaration("factory", unit_name="长春示范汽车零部件有限公司"))
    attach_report(mine, tmp_path)
    mine.click("#submit")
    mine.wait_for_url("**/applications/*?submitted=1")
    applicant.screenshot("declared")

    city = browse()
    inbox = city.login("changchun")
    inbox.goto("/inbox")
    inbox.get_by_role("link", name="绿色设计产品").click()
    inbox.wait_for_url("**category=design_product**")
    rows = inbox.locator("table tbody tr")
    assert rows.count() == 1 and "长春示范汽车零部件有限公司" in rows.first.inner_text()
    city.screenshot("inbox-filtered")

    # The round's matrix offers the version's categories and counts the new one.
    page.goto(f"/rounds/{new_round['id']}")
    options = page.locator("select[name=category] option").all_inner_texts()
    assert options == ["全部类别", "绿色工厂", "绿色工业园区", "绿色供应链管理企业", "绿色设计产品"]
    page.select_option("select[name=category]", "design_product")
    page.wait_for_url("**category=design_product")
    matrix = page.inner_text("#stage-matrix")
    assert "市州初审推荐" in matrix and "长春市" in matrix
    admin.screenshot("round-matrix-filtered")
