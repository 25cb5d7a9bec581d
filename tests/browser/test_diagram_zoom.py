"""Diagrams people can read: each page's diagram opens at a legible scale inside its box, with zoom in,
zoom out and whole-diagram buttons (Chinese tooltips) and wheel zoom; the editor's palette never covers
the lanes; the bpmn.io watermark stays."""
from __future__ import annotations

from tests.api import ApiScenario, demo_round_id, first_version_id
from tests.browser.test_pages_under_csp import looked_up

LEGIBLE = 0.69  # viewer.js: 0.7, read back as a float32

SCALE = """sel => {
  const m = document.querySelector(sel + ' .djs-container svg .viewport').transform.baseVal.consolidate();
  return m ? m.matrix.a : 1;
}"""


def scale(page, selector):
    return page.evaluate(SCALE, selector)


def inside(page, selector, element_id):
    """Whether the element's box lies within the diagram's box on screen."""
    box = page.locator(selector).bounding_box()
    element = page.locator(f"{selector} .djs-element[data-element-id={element_id}]").bounding_box()
    return (element["x"] >= box["x"] - 1 and element["y"] >= box["y"] - 1
            and element["x"] + element["width"] <= box["x"] + box["width"] + 1
            and element["y"] + element["height"] <= box["y"] + box["height"] + 1)


def all_inside(page, selector):
    ids = page.eval_on_selector_all(f"{selector} .djs-shape", "els => els.map(e => e.dataset.elementId)")
    return all(inside(page, selector, element_id) for element_id in ids)


def check_zoom(page, selector):
    """The buttons and the wheel change the scale; 全图 shows every element."""
    bar = page.locator(f"{selector} .gl-zoom")
    assert [bar.locator("button").nth(n).get_attribute("title") for n in range(3)] == \
        ["放大", "缩小", "适应窗口，显示整个流程图"]
    start = scale(page, selector)
    bar.locator("[data-zoom=in]").click()
    assert abs(scale(page, selector) - start * 1.25) < 0.01
    bar.locator("[data-zoom=out]").click()
    bar.locator("[data-zoom=out]").click()
    assert abs(scale(page, selector) - start / 1.25) < 0.01
    page.locator(selector).scroll_into_view_if_needed()  # the wheel reaches only what is on screen
    box = page.locator(selector).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    before = scale(page, selector)
    page.mouse.wheel(0, -200)  # wheel up: closer
    page.wait_for_function(f"s => ({SCALE})(s) > {before} + 0.01", arg=selector)
    bar.locator("[data-zoom=fit]").click()
    assert all_inside(page, selector)
    assert page.locator(f"{selector} .bjs-powered-by").is_visible()  # the licence's watermark


def test_the_application_page_opens_legible_on_the_current_step_and_zooms(browse, api):
    scenario = ApiScenario(api).start().declare()
    viewer = browse()
    page = viewer.login("changchun")
    page.goto(f"/applications/{scenario.application_id}")
    page.wait_for_selector("#diagram[data-rendered=true]")
    assert scale(page, "#diagram") >= LEGIBLE
    assert inside(page, "#diagram", "Task_city_review")  # the step it waits in is on screen
    viewer.screenshot("application-diagram-legible")
    check_zoom(page, "#diagram")
    viewer.screenshot("application-diagram-whole")


def test_audit_statistics_and_compare_pages_zoom(browse, api):
    scenario = ApiScenario(api).start().declare().city_review("recommend")
    staff = browse()
    page = staff.login("province")
    page.goto(f"/applications/{scenario.application_id}/audit")
    page.wait_for_selector("#diagram[data-rendered=true]")
    check_zoom(page, "#diagram")
    page.goto(f"/rounds/{looked_up(demo_round_id)}/statistics")
    page.wait_for_selector("#heatmap[data-rendered=true]")
    assert scale(page, "#heatmap") >= LEGIBLE
    check_zoom(page, "#heatmap")
    staff.screenshot("statistics-diagram")

    admin = browse()
    page = admin.login("admin")
    version = looked_up(first_version_id)
    page.goto(f"/admin/compare?a={version}&b={version}")
    page.wait_for_selector("#new-diagram[data-rendered=true]")
    page.wait_for_selector("#old-diagram[data-rendered=true]")
    assert scale(page, "#old-diagram") >= LEGIBLE and scale(page, "#new-diagram") >= LEGIBLE
    check_zoom(page, "#new-diagram")
    admin.screenshot("compare-diagrams")


def test_the_editor_palette_leaves_the_lanes_free(browse):
    admin = browse()
    page = admin.login("admin")
    page.get_by_role("link", name="流程管理").click()
    page.locator("#versions tr", has_text="第 1 版").get_by_role("button", name="以此新建草稿").click()
    page.wait_for_selector("#modeler[data-rendered=true]")
    palette = page.locator("#modeler .djs-palette").bounding_box()
    pool = page.locator("#modeler .djs-element[data-element-id^=Participant]").first.bounding_box()
    assert pool["x"] >= palette["x"] + palette["width"], (pool, palette)  # the lanes' titles are not under it
    assert scale(page, "#modeler") >= LEGIBLE
    admin.screenshot("editor-legible")
    check_zoom(page, "#modeler")
    pool = page.locator("#modeler .djs-element[data-element-id^=Participant]").first.bounding_box()
    assert pool["x"] >= palette["x"] + palette["width"], (pool, palette)
    admin.screenshot("editor-whole")
