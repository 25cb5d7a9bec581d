"""The round pages: province staff create a round and change it, extend its deadlines once applications run,
see every setting and the history on the round page; a refused form keeps what was typed; others may not."""
import pytest

from tests.api import ApiScenario, demo_round_id, first_version_id, ok
from tests.conftest import OBJECTION_CHANNEL
from tests.pages import text

FORM = {"name": "2024年度第二批", "year": "2024", "categories": ["factory", "supply_chain"],
        "unit_deadline": "2024-06-01", "city_deadline": "2024-06-10", "notice_days": "7", "expert_count": "5",
        "pass_score": "70", **OBJECTION_CHANNEL}




def test_province_creates_a_round_in_the_page_and_the_round_page_shows_every_setting(api, visitor, clock):
    province = visitor("province")
    page = province.get("/rounds/new")
    assert page.status_code == 200 and "新建批次" in text(page)
    assert f'value="{first_version_id()}" selected' in text(page)  # the newest version is chosen
    response = province.post("/rounds/new", {**FORM, "process_version_id": str(first_version_id())})
    assert response.status_code == 302
    shown = text(province.get(response.headers["Location"]))
    for words in ("绿色工厂、绿色供应链管理企业", "单位申报截止</dt><dd>2024-06-01（含）", "市州推荐截止</dt><dd>2024-06-10（含）",
                  "7 个工作日", "<dd>70.0</dd>", "5 人", *OBJECTION_CHANNEL.values(), "第 1 版",
                  "可以修改全部设置", "没有调整过截止日期"):
        assert words in shown, words


def test_a_refused_form_keeps_what_was_typed_and_names_the_field(api, visitor, clock):
    province = visitor("province")
    province.get("/rounds/new")
    response = province.post("/rounds/new", {**FORM, "unit_deadline": "2024-06-20", "objection_email": "坏地址"})
    page = text(response)
    assert response.status_code == 422
    assert "单位申报截止日（2024-06-20）不能晚于市州推荐截止日（2024-06-10）" in page
    assert "异议受理邮箱格式不正确" in page
    assert 'value="2024年度第二批"' in page and 'value="坏地址"' in page and 'value="2024-06-20"' in page
    assert 'value="park" ' in page and 'value="park" checked' not in page  # the categories as ticked
    response = province.post("/rounds/new", {**FORM, "city_deadline": "六月十日"})
    assert response.status_code == 422 and "日期格式应为 YYYY-MM-DD" in text(response)
    assert ok(api.get("/api/rounds", "province"))[0]["name"] == "2024"  # nothing created


def test_settings_change_in_the_page_until_an_application_starts_then_only_deadlines_extend(api, visitor, clock):
    round_id = demo_round_id()
    province = visitor("province")
    province.get(f"/rounds/{round_id}/settings")
    form = {**FORM, "name": "2024", "process_version_id": str(first_version_id()), "notice_days": "6"}
    assert province.post(f"/rounds/{round_id}/settings", form).status_code == 302
    assert ok(api.get(f"/api/rounds/{round_id}", "province"))["notice_days"] == 6

    ApiScenario(api, "factory").start()
    page = text(province.get(f"/rounds/{round_id}/settings"))
    assert "已有申报开始" in page and 'name="notice_days" type="number" value="6" disabled' in page
    refused = province.post(f"/rounds/{round_id}/settings", {"unit_deadline": "2024-06-01", "city_deadline": "2024-06-30"})
    assert refused.status_code == 422 and "延长截止日期须说明原因" in text(refused)
    assert 'value="2024-06-30"' in text(refused)  # what was typed stays
    shorter = province.post(f"/rounds/{round_id}/settings", {"unit_deadline": "2024-05-30", "city_deadline": "2024-06-10",
                                                              "reason": "提前"})
    assert shorter.status_code == 422 and "只能延后，不能提前" in text(shorter)
    done = province.post(f"/rounds/{round_id}/settings", {"unit_deadline": "2024-06-01", "city_deadline": "2024-06-30",
                                                           "reason": "市州申请延期"})
    assert done.status_code == 302
    shown = text(province.get(f"/rounds/{round_id}"))
    assert "只能延长截止日期（须说明原因）" in shown and "市州申请延期" in shown
    assert "<td>2024-06-10（含）</td><td>2024-06-30（含）</td>" in shown  # the history, before and after


@pytest.mark.parametrize("who", ["auditor", "changchun", "factory1", "expert1"])
def test_only_province_staff_and_admin_open_the_round_forms(api, visitor, clock, who):
    visitor = visitor(who)
    assert visitor.get("/rounds/new").status_code == 403
    assert visitor.get(f"/rounds/{demo_round_id()}/settings").status_code == 403
    visitor.token = visitor.token or "x"
    assert visitor.post("/rounds/new", {**FORM, "name": "不该建成"}).status_code == 403
    assert all(r["name"] != "不该建成" for r in ok(api.get("/api/rounds", "admin")))


def test_admin_sees_the_form_on_the_round_list_and_next_years_page_carries_the_settings(api, visitor, clock):
    admin = visitor("admin")
    assert 'href="/rounds/new"' in text(admin.get("/rounds"))
    page = text(admin.get(f"/admin/rounds/{demo_round_id()}/next"))
    assert 'value="2025-06-10"' in page and 'value="0431-88914475"' in page  # the demo round's channel, carried
    response = admin.post(f"/admin/rounds/{demo_round_id()}/next", {
        "process_version_id": str(first_version_id()), "unit_deadline": "2025-05-31", "city_deadline": "2025-06-10",
        "objection_address": "新地址", "objection_phone": "0431-88914475", "objection_email": "jlzy8904578@163.com"})
    assert response.status_code == 302
    following = next(r for r in ok(api.get("/api/rounds", "admin")) if r["name"] == "2025")
    assert following["unit_deadline"].startswith("2025-05-31T16:00") and following["objection_address"] == "新地址"
