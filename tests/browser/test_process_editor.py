"""In the browser, as admin: open a version as a draft in the modeler, add a task in a lane, see the
validation marker for its missing form, give it a form in the properties panel, deploy."""
from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from service.engine.bundle import Bundle
from service.engine.calendar import SHANGHAI
from service.platform.extensions import db
from service.versions.models import ProcessVersion
from tests.api import ApiScenario, ok


def test_add_a_task_with_lane_and_form_then_deploy(browse, api):
    this_year = ApiScenario(api).start().declare().city_review("reject")  # a 2024 application, finished
    admin = browse()
    page = admin.login("admin")
    page.get_by_role("link", name="流程管理").click()
    page.locator("#versions tr", has_text="第 1 版").get_by_role("button", name="以此新建草稿").click()
    page.wait_for_selector("#modeler[data-rendered=true]")

    # A new task dropped into the experts' lane, turned into a user task, named.
    assert page.get_attribute(".djs-palette [data-action='create.task']", "aria-label") == "添加任务"  # in Chinese
    page.click("#modeler .gl-zoom [data-zoom=fit]")  # the whole diagram: the expert lane all on screen
    lane = page.locator(".djs-element[data-element-id=Lane_expert]").bounding_box()
    page.click(".djs-palette [data-action='create.task']")
    page.mouse.move(lane["x"] + lane["width"] * 0.8, lane["y"] + lane["height"] / 2)
    page.mouse.click(lane["x"] + lane["width"] * 0.8, lane["y"] + lane["height"] / 2)
    # The wrench opens the change-type menu; Playwright's pointer sequence does not reach diagram-js's
    # context-pad handler in headless Chromium, so the click is dispatched to the entry itself.
    page.locator(".djs-context-pad [data-action='replace']").dispatch_event("click")
    page.click(".djs-popup [data-id='replace-with-user-task']")
    task_id = page.inner_text("#props h3").split("·")[1].strip()
    assert page.inner_text("#props h3").startswith("人工任务")
    assert "泳道：评审专家" in page.inner_text("#props")
    name = page.locator("#props label:has-text('名称') input")
    name.fill("专家复核说明")
    name.press("Tab")
    admin.screenshot("task-added")

    page.click("#validate")
    page.wait_for_selector(f".djs-element.gl-problem[data-element-id={task_id}]")
    assert "人工任务没有指定表单" in page.inner_text("#problems")
    admin.screenshot("validation-marker")

    page.locator("#problems li", has_text="人工任务没有指定表单").click()
    page.locator("#props label:has-text('表单') select").select_option("expert_review.form.json")
    page.click("#validate")
    page.wait_for_selector("#problems li.ok")
    assert page.locator(".djs-element.gl-problem").count() == 0

    page.select_option("#rehearse-round", label="2024")
    page.click("#rehearse")
    page.wait_for_selector("#rehearsal table")
    rehearsal = page.inner_text("#rehearsal")
    assert "批次真实申报" in rehearsal and f"{this_year.application_id} " in rehearsal and "结果相同" in rehearsal
    admin.screenshot("rehearsal")

    page.fill("#deploy-note", "2025年：增加专家复核说明")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#deploy")
    page.wait_for_selector("#banner.success")
    assert "已部署为第 2 版" in page.inner_text("#banner")
    admin.screenshot("deployed")

    page.get_by_role("link", name="返回流程管理").click()
    page.locator("tr", has_text="2024").get_by_role("link", name="以此新建下一年度批次").click()
    page.select_option("select[name=process_version_id]", label="第 2 版 · 2025年：增加专家复核说明")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash.success")
    previous = next(r for r in ok(api.get("/api/rounds", "admin")) if r["name"] == "2024")
    last_day = (datetime.fromisoformat(previous["city_deadline"]) - timedelta(seconds=1)).astimezone(SHANGHAI).date()
    assert "已新建批次“2025”" in page.inner_text(".flash.success")
    assert f"{last_day.replace(year=last_day.year + 1)}（含）" in page.inner_text("h1")  # the same day, a year on
    assert this_year.detail()["process_version"] == 1  # this year's application stays where it was

    db.session.remove()
    version = db.session.scalar(select(ProcessVersion).where(ProcessVersion.number == 2))
    assert version.note == "2025年：增加专家复核说明" and version.deployed_by == "admin"
    xml = next(iter(Bundle.from_json(version.bundle).bpmn_files().values()))
    assert f'<bpmn:userTask id="{task_id}" name="专家复核说明">' in xml
    assert 'name="form" value="expert_review.form.json"' in xml
    lane_xml = xml[xml.index('<bpmn:lane id="Lane_expert"'):]
    assert f"<bpmn:flowNodeRef>{task_id}</bpmn:flowNodeRef>" in lane_xml[:lane_xml.index("</bpmn:lane>")]
    assert "experts" in xml and "reviews" in xml  # the data objects bpmn-js needs are kept


def test_the_form_editor_and_the_align_menu_work_under_the_policy(browse):
    """The two parts of the editor that write styles inline (see service/security_headers.py)."""
    admin = browse()
    page = admin.login("admin")
    page.get_by_role("link", name="流程管理").click()
    page.locator("#versions tr", has_text="第 1 版").get_by_role("button", name="以此新建草稿").click()
    page.wait_for_selector("#modeler[data-rendered=true]")
    page.click(".djs-element[data-element-id=Task_city_review]")
    page.click(".djs-element[data-element-id=Task_eligibility]", modifiers=["Shift"])
    page.locator(".djs-context-pad [data-action='align-elements']").dispatch_event("click")
    page.wait_for_selector(".djs-popup [data-id='align-elements-left']")
    admin.screenshot("align-menu")
    page.keyboard.press("Escape")

    page.click("button[data-tab=forms]")
    page.locator("#form-editor .fjs-children .fjs-element").nth(1).click()
    page.locator("#form-editor .bio-properties-panel-group-header", has_text="常规").click()
    label = page.locator("#form-editor [data-group-id=group-general] .cm-editor").first  # CodeMirror
    expect(label).to_be_visible()
    assert label.evaluate("editor => getComputedStyle(editor).display") == "flex"  # its own <style> applied
    admin.screenshot("form-editor")
