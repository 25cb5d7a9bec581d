"""The round page shows the province its ranking before the notice, and the notice selection shows each
application's place, average and priority signals; nobody else sees them."""
from lxml import html

from tests.pages import Visitor, text
from tests.test_ranking__priority import client, ranked_round  # noqa: F401  (fixtures)


def cells(page, path):
    return [[" ".join(td.text_content().split()) for td in row.iter("td")] for row in page.xpath(path)]


def test_the_round_page_ranks_each_category_before_the_notice(app, round_, ranked_round, client):
    staff = Visitor(app)
    assert staff.login("staff").status_code == 302
    response = staff.get(f"/rounds/{round_}")
    assert response.status_code == 200
    page = html.fromstring(text(response))
    factories = cells(page, '//*[@id="ranking"]//table[@data-category="factory"]/tbody/tr')
    assert [(row[0], row[1], row[3], row[4], row[5], row[6]) for row in factories] == [
        ("1", "长春单位0", "91.00", "90 / 92（2 位专家）", "—", "0"),
        ("2", "长春单位2", "80.00", "78 / 82（2 位专家）", "能效达到国家标杆水平", "10"),
        ("3（并列）", "长春单位1", "80.00", "80 / 80（2 位专家）", "开展过工业节能诊断服务", "1"),
        ("3（并列）", "长春单位3", "80.00", "81 / 79（2 位专家）", "开展过工业节能诊断服务", "1")]
    assert factories[0][2] == "长春市"
    parks = cells(page, '//*[@id="ranking"]//table[@data-category="park"]/tbody/tr')
    assert parks[0][5] == "园区内绿色工厂数量多（5家及以上） 园区内绿色工厂占比高（20%及以上）"
    assert "另有 1 个申报专家评审尚未完成" in page.xpath('//*[@id="ranking"]//*[@class="pending-review"]')[0].text_content()
    assert page.xpath('//*[@id="ranking"]//a[contains(@href, "/expert-summary.xlsx")]')
    # The notice selection: by category, in rank order, with the average and the signals.
    notice = cells(page, '//*[@id="ready-for-notice"]//tbody/tr')
    assert [(row[2], row[5], row[6], row[7]) for row in notice] == [
        ("长春单位0", "1", "91.00", "—"), ("长春单位2", "2", "80.00", "能效达到国家标杆水平"),
        ("长春单位1", "3（并列）", "80.00", "开展过工业节能诊断服务"),
        ("长春单位3", "3（并列）", "80.00", "开展过工业节能诊断服务"),
        ("长春单位4", "1", "72.50", "园区内绿色工厂数量多（5家及以上） 园区内绿色工厂占比高（20%及以上）")]
    # Beside them each expert by name with score and opinion, and who asked for an inspection (nobody here).
    assert notice[0][8].startswith("90 / 92") and "专家一 90 分：评审意见" in notice[0][8] \
        and "专家二 92 分：评审意见" in notice[0][8]
    assert [row[9] for row in notice] == ["—"] * 5


def test_the_auditor_sees_the_ranking_and_the_city_not_even_the_page(app, round_, ranked_round, client):
    auditor = Visitor(app)
    assert auditor.login("auditor").status_code == 302
    page = html.fromstring(text(auditor.get(f"/rounds/{round_}")))
    assert len(page.xpath('//*[@id="ranking"]//table[@data-category="factory"]/tbody/tr')) == 4
    city = Visitor(app)
    assert city.login("changchun").status_code == 302
    response = city.get(f"/rounds/{round_}")
    assert response.status_code == 403 and "长春单位0" not in text(response)
