"""In the browser, under the Content-Security-Policy: an injected script does not run and is reported;
every page the other browser tests do not open still draws its diagrams, tables and API docs. The
`browse` fixture fails any test during which the policy blocked something."""
from __future__ import annotations

from playwright.sync_api import expect

from service.platform.extensions import db
from tests.api import ApiScenario, demo_round_id, first_version_id

INJECTIONS = """() => {
  const evil = document.createElement('div');
  evil.innerHTML = '<img src="/static/web/none.png" onerror="document.title = \\'pwned\\'">'
    + '<a id="evil-link" href="javascript:document.title = \\'pwned\\'">x</a>';
  document.body.append(evil);
  const script = document.createElement('script');
  script.textContent = "document.title = 'pwned'";
  document.body.append(script);
  document.getElementById('evil-link').click();
}"""


def looked_up(lookup) -> int:
    """An id read in the test's session, whose transaction then ends: on SQLite every transaction is
    BEGIN IMMEDIATE, so one left open would hold the lock the live server's requests wait for."""
    value = lookup()
    db.session.remove()
    return value


def test_a_script_slipped_into_a_page_does_not_run_and_is_reported(browse):
    visitor = browse()
    page = visitor.login("changchun")
    title = page.title()
    page.evaluate(INJECTIONS)  # as if an attacker had got markup past the templates' escaping
    expect(page.locator("img[onerror]")).to_have_js_property("complete", True)
    page.wait_for_timeout(300)  # the reports come back from the page asynchronously
    blocked = {violation.split()[1] for violation in visitor.csp_violations}
    assert blocked == {"script-src-attr", "script-src-elem"}, visitor.csp_violations
    assert page.title() == title != "pwned"
    visitor.csp_violations.clear()  # seen and expected: the fixture's check is for the pages themselves


def test_the_audit_record_statistics_and_category_filter_work(browse, api):
    scenario = ApiScenario(api).start().declare().city_review("recommend")
    staff = browse()
    page = staff.login("province")
    page.goto(f"/applications/{scenario.application_id}/audit")
    page.wait_for_selector("#diagram[data-rendered=true] .djs-element.gl-done")
    page.evaluate("window.print = () => { window.printed = true; }")  # no print dialog in a test
    page.get_by_role("button", name="打印 / 另存为 PDF").click()
    assert page.evaluate("window.printed") is True
    staff.screenshot("audit-record")

    round_id = looked_up(demo_round_id)
    page.goto(f"/rounds/{round_id}")
    page.select_option("select[name=category]", "park")  # the filter submits itself on change
    page.wait_for_url(f"**/rounds/{round_id}?category=park")
    assert "本批次还没有申报" in page.inner_text("main")  # the one application is a factory's
    page.goto(f"/rounds/{round_id}/statistics")
    page.wait_for_selector("#heatmap[data-rendered=true]")
    assert "市州初审" in page.inner_text("#durations")
    staff.screenshot("statistics")
    page.goto("/done")
    assert "您还没有办结的任务" in page.inner_text("main")  # the city reviewed, not the province


def test_the_version_pages_and_the_api_docs_work(browse):
    admin = browse()
    page = admin.login("admin")
    page.goto("/admin/versions")
    page.get_by_role("link", name="第 1 版").first.click()
    page.wait_for_selector("#diagram[data-rendered=true] .djs-element[data-element-id=Task_city_review]")
    admin.screenshot("version")
    version = looked_up(first_version_id)
    page.goto(f"/admin/compare?a={version}&b={version}")
    page.wait_for_selector("#new-diagram[data-rendered=true]")

    page.goto("/api/docs")  # swagger-ui, started by our script file instead of an inline one
    operations = page.locator(".opblock")
    operations.first.wait_for()
    assert operations.count() >= 20 and "/api/tasks/{task_id}/submit" in page.inner_text("#swagger-ui")
    page.locator(".opblock-summary", has_text="/api/me").first.click()
    page.wait_for_selector(".opblock.is-open .responses-wrapper")
    admin.screenshot("api-docs")

    missing = page.goto("/no-such-page")
    assert missing.status == 404 and "找不到页面" in page.inner_text("main")
