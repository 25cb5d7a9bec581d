"""In the browser: province staff see the ranking per category on the round page before the notice, with
the priority signals beside the notice selection; an administrator edits the priority rule in a draft and
the rehearsal shows how the round's ranking would change."""
from __future__ import annotations

from playwright.sync_api import expect

from service.commands.demo import ensure_user
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.versions.samples import sample_declaration
from tests.api import ApiScenario

FIRST, SECOND = "长春示范汽车零部件有限公司", "长春第二示范制造有限公司"


def reviewed(api, category, applicant=None, **declared):
    scenario = ApiScenario(api, category)
    if applicant:
        scenario.applicant = applicant
    scenario.start()
    scenario.submit(scenario.applicant, {**sample_declaration(category), **declared})
    return scenario.city_review("recommend").formal_review().expert_reviews()


def test_the_round_page_ranks_and_a_draft_rule_reorders_the_preview(browse, api):
    with transaction():
        ensure_user(username="factory2", display_name=SECOND, roles=["applicant"], city_code="220100",
                    unit_name=SECOND)
    db.session.remove()
    # Both factories average 75; only the first reaches the national energy benchmark (weight 10).
    reviewed(api, "factory", energy_benchmark="yes")
    reviewed(api, "factory", applicant="factory2", energy_benchmark="no")
    reviewed(api, "park")
    reviewed(api, "supply_chain")

    staff = browse()
    page = staff.login("province")
    page.goto("/rounds")
    page.get_by_role("link", name="2024").click()
    factories = page.locator('#ranking table[data-category="factory"] tbody tr')
    assert factories.count() == 2
    first, second = factories.nth(0).inner_text(), factories.nth(1).inner_text()
    assert first.startswith("1") and FIRST in first and "75.00" in first and "能效达到国家标杆水平" in first
    assert second.startswith("2") and SECOND in second and "75.00" in second and "开展过工业节能诊断服务" in second
    assert "80 / 75 / 70（3 位专家）" in first
    chains = page.inner_text('#ranking table[data-category="supply_chain"]')
    assert "汽车产品生产者责任延伸试点企业" in chains and "汽车、机械、电子、纺织、通信制造等重点行业" in chains
    page.locator("#ranking").scroll_into_view_if_needed()
    staff.screenshot("round-ranking")
    notice = page.locator("#ready-for-notice tbody tr")
    assert notice.count() == 4
    assert FIRST in notice.nth(0).inner_text() and "能效达到国家标杆水平" in notice.nth(0).inner_text()
    page.locator("#ready-for-notice").scroll_into_view_if_needed()
    staff.screenshot("notice-selection-with-scores")

    admin = browse()
    page = admin.login("admin")
    page.get_by_role("link", name="流程管理").click()
    page.locator("#versions tr", has_text="第 1 版").get_by_role("button", name="以此新建草稿").click()
    page.wait_for_selector("#modeler[data-rendered=true]")
    page.click("[data-tab=rules]")
    page.select_option("#rule-file", "processes/priority.dmn")
    rule = page.input_value("#rule-text")
    old = '<outputEntry id="Output_energy_benchmark_weight">\n          <text>10</text>'
    assert old in rule
    page.fill("#rule-text", rule.replace(old, old.replace("<text>10</text>", "<text>0</text>")))
    page.click("#save-rule")
    expect(page.locator("#rule-status")).to_contain_text("已保存")
    page.select_option("#rehearse-round", label="2024")
    page.click("#rehearse")
    page.wait_for_selector("#ranking-preview", timeout=120_000)
    preview = page.locator('#rehearsal table.ranking-preview[data-category="factory"] tbody tr')
    assert preview.count() == 2
    assert "绿色工厂：1 个申报排名变化" in page.inner_text("#rehearsal")
    rows = [preview.nth(n).inner_text().split("\t") for n in range(2)]
    assert [(row[0], row[1], row[2]) for row in rows] == [("1", "1", FIRST), ("1", "2", SECOND)]
    page.locator("#ranking-preview").scroll_into_view_if_needed()
    admin.screenshot("draft-ranking-preview")
