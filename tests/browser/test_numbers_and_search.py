"""In the browser: the business number shows where an application is named, and one search box finds it
by number, credit code or unit name in the inbox, the done list and the application list."""
from __future__ import annotations

import re

from tests.api import ApiScenario

NUMBER = re.compile(r"\d{4}-[A-Z]+-\d{6}-\d{4}")


def test_the_number_is_shown_and_found_by_each_key(browse, api):
    factory = ApiScenario(api).start().declare()
    park = ApiScenario(api, "park").start().declare()  # another unit and city: must not be found
    number, credit_code = factory.detail()["number"], factory.detail()["credit_code"]
    park_number = park.detail()["number"]
    assert NUMBER.fullmatch(number) and NUMBER.fullmatch(park_number)

    applicant = browse()
    page = applicant.login("factory1")
    page.goto("/my")
    assert number in page.inner_text("main")
    applicant.screenshot("my-applications")

    city = browse()
    page = city.login("changchun")
    page.goto("/inbox")
    search = page.get_by_placeholder("输入申报编号、统一社会信用代码或单位名称")
    for q in (number, credit_code.lower(), "示范汽车"):
        search.fill(q)
        search.press("Enter")
        page.wait_for_url("**/inbox?q=*")
        rows = page.locator("table.inbox tbody tr")
        assert rows.count() == 1 and number in rows.first.inner_text()
    city.screenshot("inbox-search")
    page.get_by_role("link", name="办理").first.click()
    assert number in page.inner_text(".task-meta")
    city.screenshot("task-header")
    page.goto(f"/applications/{factory.application_id}")
    assert page.inner_text("#application-number") == number

    factory.city_review("recommend")
    page.goto("/done")
    page.get_by_placeholder("输入申报编号、统一社会信用代码或单位名称").fill(number[:-2])  # a prefix
    page.get_by_role("button", name="搜索").click()
    assert number in page.inner_text("main")
    city.screenshot("done-search")

    province = browse()
    page = province.login("province")
    page.goto("/applications")
    page.get_by_placeholder("输入申报编号、统一社会信用代码或单位名称").fill(park_number)
    page.get_by_role("button", name="查询").click()
    body = page.inner_text("table.list")
    assert park_number in body and number not in body
    province.screenshot("list-search")
    page.goto(f"/applications/{factory.application_id}/audit")
    assert number in page.inner_text("table.meta")
