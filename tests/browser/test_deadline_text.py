"""In the browser: the notice's "6月10日前" is stored as the midnight that ends 10 June and reads as its last day,
"2024-06-10（含）", wherever a deadline is shown: the applicant's /my, the reviewer's inbox, the task page, the
message that announced the task, the round pages. The stored moment ("2024-06-11 00:00") is never what people read."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from service.platform.timeutil import last_day_text
from tests.api import ApiScenario, ok


class Deadline:
    def __init__(self, stored: str):
        moment = datetime.fromisoformat(stored)
        self.last_day = last_day_text(moment)
        self.moment = moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
        assert self.last_day.endswith("（含）"), "the demo round's deadlines end at midnight"

    def read_in(self, text: str) -> bool:
        return self.last_day in text and self.moment not in text


def test_a_deadline_reads_as_its_last_day_everywhere(browse, api):
    scenario = ApiScenario(api).start()
    round_ = ok(api.get(f"/api/rounds/{scenario.round_id}", "province"))
    unit, city_deadline = Deadline(round_["unit_deadline"]), Deadline(round_["city_deadline"])

    applicant = browse()
    page = applicant.login("factory1")
    page.goto("/my")
    assert unit.read_in(page.inner_text("main")), "/my"
    applicant.screenshot("my-applications")

    scenario.declare()
    city = browse()
    page = city.login("changchun")
    page.goto("/inbox")
    row = page.locator("tr", has_text=scenario.detail()["number"])
    assert city_deadline.read_in(row.inner_text()), "inbox row"
    city.screenshot("inbox")

    row.get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(r".*/tasks/.*"))
    task = page.inner_text("main")
    assert f"办理期限 {city_deadline.last_day}" in task and city_deadline.moment not in task
    city.screenshot("task-page")

    page.click("#message-link")
    message = page.locator("li.message", has_text="市州初审推荐有新的待办").first
    assert city_deadline.read_in(message.inner_text()), "message"
    city.screenshot("message")

    province = browse()
    page = province.login("province")
    page.goto(f"/rounds/{scenario.round_id}")
    settings = re.sub(r"\s+", " ", page.inner_text("main"))
    assert f"单位申报截止 {unit.last_day}" in settings and f"市州推荐截止 {city_deadline.last_day}" in settings
    assert unit.moment not in settings and city_deadline.moment not in settings
    province.screenshot("round")
    page.goto("/rounds")
    assert city_deadline.read_in(page.inner_text("main")), "/rounds"
    province.screenshot("rounds")
