"""One search box finds applications by number, credit code or unit name: in the inbox, the done list and
the application lists, through the pages and the API, page by page, never beyond the searcher's scope."""
import pytest

from service.commands.demo import ensure_user
from service.platform.transactions import transaction
from tests.api import ApiClient, ok
from tests.pages import Visitor, text
from tests.scenario import Scenario


@pytest.fixture
def declared(users, demo_passwords, round_, clock):
    """Four Changchun units declared (waiting for the city); each as (number, credit code, unit name, id)."""
    found = []
    for n in range(4):
        s = Scenario(users, round_, clock).start(applicant=f"unit{n}").declare(who=f"unit{n}")
        a = s.application
        found.append((a.number, a.credit_code, a.unit_name, a.id))
    return found


@pytest.fixture
def api_client(app):
    return ApiClient(app.test_client())


def _ids(page):
    return [item["application_id"] for item in page["items"]]


def test_the_inbox_finds_by_number_credit_code_and_name(declared, api_client):
    number, credit_code, name, app_id = declared[2]
    for q in (number, number.lower(), credit_code, credit_code.lower(), credit_code[:10], name, name[2:]):
        page = ok(api_client.get(f"/api/tasks?q={q}", "changchun"))
        assert _ids(page) == [app_id] and page["total"] == 1, q
        assert page["items"][0]["number"] == number
    assert ok(api_client.get("/api/tasks?q=没有这个单位", "changchun"))["total"] == 0


def test_a_number_prefix_lists_every_match_page_by_page(declared, api_client):
    prefix = "2024-GC-220100-000"
    seen = []
    for page_number in (1, 2, 3, 4):
        page = ok(api_client.get(f"/api/tasks?q={prefix}&page_size=1&page={page_number}", "changchun"))
        assert page["total"] == 4 and len(page["items"]) == 1
        seen += _ids(page)
    assert sorted(seen) == sorted(a[3] for a in declared)


def test_search_stays_within_scope(declared, api_client):
    number = declared[0][0]
    assert ok(api_client.get(f"/api/tasks?q={number}", "jilin"))["total"] == 0  # another city's reviewer
    assert ok(api_client.get(f"/api/applications?q={number}", "jilin"))["total"] == 0
    assert ok(api_client.get(f"/api/applications?q={number}", "unit1"))["total"] == 0  # another unit
    assert ok(api_client.get(f"/api/applications?q={number}", "unit0"))["total"] == 1


def test_the_done_list_finds_what_i_decided(app, users, declared, round_, clock, api_client):
    for number, _, _, app_id in declared[:2]:
        s = Scenario(users, round_, clock)
        s.application_id = app_id
        s.city_review("recommend")
    done = ok(api_client.get("/api/tasks/done", "changchun"))
    assert done["total"] == 2
    number, credit_code, name, app_id = declared[1]
    for q in (number, credit_code, name):
        page = ok(api_client.get(f"/api/tasks/done?q={q}", "changchun"))
        assert _ids(page) == [app_id] and page["items"][0]["number"] == number, q
    assert ok(api_client.get(f"/api/tasks/done?q={declared[3][0]}", "changchun"))["total"] == 0  # not decided yet
    visitor = Visitor(app)
    visitor.login("changchun")
    body = text(visitor.get(f"/done?q={credit_code}"))
    assert number in body and declared[0][0] not in body
    assert 'placeholder="输入申报编号、统一社会信用代码或单位名称"' in body


def test_the_inbox_page_searches_and_keeps_the_other_filters(declared, app):
    visitor = Visitor(app)
    visitor.login("changchun")
    number, credit_code, name, _ = declared[3]
    body = text(visitor.get(f"/inbox?q={name}"))
    assert number in body and declared[0][0] not in body
    assert 'value="' + name + '"' in body  # the box shows what was searched
    body = text(visitor.get(f"/inbox?q={credit_code}&step=Task_city_review"))
    assert number in body and 'name="step" value="Task_city_review"' in body
    assert "没有符合筛选条件的待办" in text(visitor.get("/inbox?q=9999-XX"))


def test_the_application_list_pages_through_a_search(app, users, demo_passwords, round_, clock):
    with transaction():
        for n in range(22):
            users[f"search{n:02d}"] = ensure_user(username=f"search{n:02d}", display_name=f"搜索单位{n}",
                                                  roles=["applicant"], city_code="220100",
                                                  unit_name=f"长春搜索测试{n:02d}有限公司").id
    for n in range(22):
        Scenario(users, round_, clock).start(applicant=f"search{n:02d}")
    Scenario(users, round_, clock).start(applicant="applicant")  # not a match
    visitor = Visitor(app)
    visitor.login("staff")
    first = text(visitor.get("/applications?q=搜索测试"))
    assert "共 22 条" in first and "长春示范制造有限公司" not in first
    assert "q=%E6%90%9C%E7%B4%A2%E6%B5%8B%E8%AF%95" in first  # the next-page link keeps the search
    second = text(visitor.get("/applications?q=搜索测试&page=2"))
    assert "第 2 / 2 页" in second and second.count('class="number"') == 2
    api_client = ApiClient(app.test_client())
    page = ok(api_client.get("/api/applications?q=搜索测试&page_size=10&page=3", "staff"))
    assert page["total"] == 22 and len(page["items"]) == 2
    assert all(item["number"].startswith("2024-GC-220100-") for item in page["items"])


def test_a_search_with_control_characters_is_refused_by_the_api_and_ignored_by_the_page(declared, api_client, app):
    response = api_client.get("/api/tasks?q=%01abc", "changchun")
    assert response.status_code == 422 and "q" in str(response.json)
    response = api_client.get("/api/tasks?q=" + "x" * 61, "changchun")
    assert response.status_code == 422
    visitor = Visitor(app)
    visitor.login("changchun")
    assert visitor.get("/inbox?q=%01abc").status_code == 200
