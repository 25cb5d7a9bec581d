"""In the browser: the province draws the panel with 随机抽取专家 and submits it; an expert declares a
conflict with 声明回避; the province sees the declaration and the substitutes and draws one; the trail
shows both."""
from __future__ import annotations

from tests.api import ApiScenario, ok
from tests.browser.formfill import fill_form
from tests.browser.test_declaration_and_review import form, open_first_task, submit

UNIT = "四平示范装备制造集团有限公司"  # chain1's organisation (ApiScenario declares supply_chain as chain1)


def test_draw_a_panel_declare_a_conflict_and_draw_a_substitute(browse, api):
    scenario = ApiScenario(api, "supply_chain").start().declare().city_review("recommend")
    scenario.seal_city_package()

    staff_browser = browse()
    staff = staff_browser.login("province")
    open_first_task(staff, UNIT)
    assert "从 4 位符合遴选条件的专家中抽取 3 位" in staff.inner_text("#panel-draw")
    fill_form(staff, form("formal_review"), {"materials_complete": True, "decision": "accept"})
    staff.click("#expert-draw")
    staff.wait_for_selector(".flash.success:has-text('随机抽取')")
    seed = staff.locator("#form [id$='-Field_panel_seed']").first.input_value()
    assert len(seed) == 16
    assert staff.locator("#form .fjs-taglist-tag").count() == 3
    staff_browser.screenshot("panel-drawn")
    submit(staff)

    # Three of the four eligible experts have the review in their inbox now.
    drawn = [f"expert{n}" for n in range(1, 5) if ok(api.get("/api/tasks", f"expert{n}"))["total"] == 1]
    left_out = next(f"expert{n}" for n in range(1, 5) if f"expert{n}" not in drawn)
    assert len(drawn) == 3 and scenario.detail()["stage"] == "专家评审"

    declaring = drawn[0]
    expert_browser = browse()
    page = expert_browser.login(declaring)
    open_first_task(page, UNIT)
    page.fill("#conflict-form textarea[name=reason]", "本人近三年为该集团提供过咨询服务")
    expert_browser.screenshot("conflict-declared")
    page.click("#declare-conflict")
    page.wait_for_url("**/inbox")
    assert UNIT not in page.inner_text("main")

    open_first_task_any(staff, UNIT, "更换回避专家")
    assert "本人近三年为该集团提供过咨询服务" in staff.inner_text("#declared-reason")
    assert staff.locator("#candidates tbody tr").count() == 1
    staff_browser.screenshot("substitutes")
    staff.click("#substitute-draw button[type=submit]")
    staff.wait_for_selector(".flash.success")
    assert f"评审专家{left_out[-1]}替补评审专家{declaring[-1]}" in staff.inner_text(".flash.success")
    timeline = staff.inner_text("#timeline")
    assert "专家回避声明" in timeline and "更换评审专家" in timeline and "随机抽取专家" in timeline
    staff_browser.screenshot("trail")


def open_first_task_any(page, unit_name: str, step: str):
    page.goto("/inbox")
    page.locator("tr", has_text=unit_name).filter(has_text=step).get_by_role("link", name="办理").click()
    page.wait_for_selector("#conflict")
