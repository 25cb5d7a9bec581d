"""In the browser: 转办, 撤回, 放弃申报, 催办 and 抄送, each through its form and its confirmation dialog (which
names the consequence), each leaving screenshots of what the people involved see."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.api import ApiScenario, ok
from tests.test_task_actions__api import people, task_of  # noqa: F401  (the fixture)

UNIT = "长春示范汽车零部件有限公司"


def confirm(browser, what: str):
    """The dialog opens with the consequence; the screenshot shows it; 确认 sends the form."""
    dialog = browser.page.locator("#action-confirm")
    expect(dialog).to_be_visible()
    body = browser.page.inner_text("#action-confirm-body")
    browser.screenshot(f"{what}-confirm")
    browser.page.click("#action-confirm-ok")
    browser.page.wait_for_load_state()
    return body


def test_a_city_reviewer_hands_a_task_over_to_a_colleague(browse, api, people):
    s = ApiScenario(api).start().declare()
    task_id = task_of(api, "changchun", s.application_id)["task_id"]
    city = browse()
    page = city.login("changchun")
    page.goto(f"/tasks/{task_id}")
    expect(page.locator("#actions")).to_contain_text("转办")
    page.select_option("#hand-over-to", label="长春市工信局二科（长春市）")
    page.fill("#actions textarea[name=reason]", "本人出差一周，请二科办理")
    page.click("#hand-over")
    assert "从您的待办中移出" in confirm(city, "hand-over")
    expect(page.locator(".flash.success")).to_contain_text("已转办")
    city.screenshot("after-hand-over")

    colleague = browse()
    page = colleague.login("changchun2")
    page.goto("/inbox")
    row = page.locator(f"tr[data-task='{task_id}']")
    expect(row).to_contain_text("长春市工信局二科")
    colleague.screenshot("inbox-of-colleague")
    page.goto(f"/applications/{s.application_id}")
    expect(page.locator("#timeline")).to_contain_text("本人出差一周")


def test_the_applicant_takes_back_a_declaration_and_cannot_once_the_city_claimed_it(browse, api, people):
    s = ApiScenario(api).start().declare()
    applicant = browse()
    page = applicant.login("factory1")
    page.goto(f"/applications/{s.application_id}")
    page.fill("#take-back-block textarea[name=reason]", "产值数据填错，撤回修改")
    page.click("#take-back")
    assert "下一环节的待办将被撤销" in confirm(applicant, "take-back")
    expect(page.locator(".flash.success")).to_contain_text("已撤回")
    expect(page.locator("#draft-status")).to_contain_text("草稿")
    applicant.screenshot("declaration-back-with-its-data")

    page_data = ok(api.get(f"/api/tasks/{task_of(api, 'factory1', s.application_id)['task_id']}", "factory1"))
    s.submit("factory1", page_data["data"])
    ok(api.post(f"/api/tasks/{task_of(api, 'changchun', s.application_id)['task_id']}/claim", "changchun"))
    page.goto(f"/applications/{s.application_id}")
    expect(page.locator("#take-back-refusal")).to_contain_text("认领")
    expect(page.locator("#take-back")).to_have_count(0)
    applicant.screenshot("take-back-refused-after-claim")


def test_the_applicant_withdraws_the_application(browse, api, people):
    s = ApiScenario(api).start().declare()
    applicant = browse()
    page = applicant.login("factory1")
    page.goto(f"/applications/{s.application_id}")
    page.fill("#withdraw-block textarea[name=reason]", "企业战略调整，本年度不再申报")
    page.click("#withdraw")
    assert "不能恢复" in confirm(applicant, "withdraw")
    expect(page.locator(".flash.success")).to_contain_text("已放弃申报")
    expect(page.locator("#stage")).to_have_text("放弃申报")
    expect(page.locator("#timeline")).to_contain_text("企业战略调整")
    applicant.screenshot("withdrawn")
    page.goto("/my")
    expect(page.locator("main")).to_contain_text("放弃申报")
    applicant.screenshot("my-applications")


def test_the_province_urges_and_the_owner_sees_the_mark(browse, api, people):
    s = ApiScenario(api).start().declare()
    province = browse()
    page = province.login("province")
    page.goto(f"/applications/{s.application_id}")
    page.fill("#urge-block input[name=note]", "请于本周内完成初审")
    page.click("#urge-block .urge-button")
    assert "已催办" in confirm(province, "urge")
    expect(page.locator(".flash.success")).to_contain_text("已催办")
    expect(page.locator("#urge-block .urged")).to_contain_text("已催办")
    province.screenshot("urged")

    city = browse()
    page = city.login("changchun")
    page.goto("/inbox")
    mark = page.locator(".inbox .urged")
    expect(mark).to_contain_text("已催办")
    expect(mark).to_contain_text("省工信厅资源节约与综合利用处")
    city.screenshot("inbox-urge-mark")


def test_the_city_copies_an_application_to_its_leader(browse, api, people):
    s = ApiScenario(api).start().declare()
    city = browse()
    page = city.login("changchun")
    page.goto(f"/applications/{s.application_id}")
    page.select_option("#copy-to", label="长春市分管领导")
    page.fill("#copy-block input[name=note]", "请阅")
    page.click("#copy")
    assert "不能办理" in confirm(city, "copy")
    expect(page.locator(".flash.success")).to_contain_text("已抄送给 长春市分管领导")
    city.screenshot("copied")

    leader = browse()
    page = leader.login("leader")
    page.goto("/copied")
    expect(page.locator("table.copied")).to_contain_text(UNIT)
    leader.screenshot("copied-to-me")
    page.click(f"table.copied a:has-text('{UNIT}')")
    expect(page.locator("h1")).to_contain_text(UNIT)
    expect(page.locator("#actions")).to_have_count(0)  # read, nothing to do
    leader.screenshot("reads-the-application")
