"""Self-registration in the pages without a browser: the 注册 form keeps what was typed (never the password),
the verification page, the city's queue and the inbox tab, 我的单位 with an invitation, and the join page."""
from __future__ import annotations

from sqlalchemy import select

from service.accounts.models import User
from service.platform.extensions import db
from tests.registration import (credit_code, link_token, mails, registered, registration_form,
                                with_wrong_organisation_digit)


def test_the_register_page_names_bad_fields_and_keeps_the_values_but_not_the_password(visitor):
    person = visitor()
    login = person.get("/login").get_data(as_text=True)
    assert 'href="/register"' in login
    assert person.get("/register").status_code == 200
    form = registration_form(credit_code=with_wrong_organisation_digit(credit_code(1)), county="")
    response = person.post("/register", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "组织机构代码（第9–17位）校验位不正确" in html and "请填写所在县（市、区）" in html
    assert 'value="长春绿源新材料有限公司1"' in html and 'value="wang1@lvyuan.example.cn"' in html
    assert "Lvyuan-Green-2024" not in html
    assert registered() is None

    response = person.post("/register", registration_form())
    assert response.status_code == 201 and "验证邮件已发往" in response.get_data(as_text=True)
    duplicate = person.post("/register", registration_form(username="other1"))
    assert duplicate.status_code == 409 and "该统一社会信用代码已注册" in duplicate.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(visitor):
    person = visitor()
    person.get("/register")
    assert person.post("/register", registration_form(), with_token=False).status_code == 400
    assert registered() is None


def test_verify_then_the_city_confirms_from_its_queue_and_the_unit_invites_a_colleague(visitor):
    unit = visitor()
    unit.get("/register")
    unit.post("/register", registration_form())
    token = link_token(mails("verify_email")[0], "/register/verify/")
    page = unit.get(f"/register/verify/{token}")
    assert page.status_code == 200 and "确认验证" in page.get_data(as_text=True)
    assert registered().status == "pending_email"  # opening the link spends nothing
    assert "邮箱已验证" in unit.post(f"/register/verify/{token}").get_data(as_text=True)
    again = unit.post(f"/register/verify/{token}")
    assert again.status_code == 410 and "已使用过" in again.get_data(as_text=True)
    assert unit.get(f"/register/verify/{token}").status_code == 410

    waiting = visitor()
    waiting.login("lvyuan1", "Lvyuan-Green-2024")
    assert "正等待所在市州工信部门确认" in waiting.get("/my").get_data(as_text=True)
    city = visitor("changchun")
    assert "1 个单位注册" in city.get("/inbox").get_data(as_text=True)
    queue = city.get("/registrations").get_data(as_text=True)
    assert "长春绿源新材料有限公司1" in queue and credit_code(1) in queue
    assert "长春绿源新材料有限公司1" not in visitor("jilin").get("/registrations").get_data(as_text=True)
    organisation_id = registered().id
    refusal = city.post(f"/registrations/{organisation_id}/refuse", {"reason": ""}, follow_redirects=True)
    assert "请填写退回原因" in refusal.get_data(as_text=True)
    city.post(f"/registrations/{organisation_id}/confirm")
    assert registered().status == "confirmed"

    unit.login("lvyuan1", "Lvyuan-Green-2024")
    mine = unit.get("/my-organisation").get_data(as_text=True)
    assert "已确认" in mine and "王经办" in mine
    bad = unit.post("/my-organisation", {"form": "invite", "email": "nobody"})
    assert bad.status_code == 422 and 'value="nobody"' in bad.get_data(as_text=True)
    unit.post("/my-organisation", {"form": "invite", "email": "li@lvyuan.example.cn"})
    assert "li@lvyuan.example.cn" in unit.get("/my-organisation").get_data(as_text=True)

    join_token = link_token(mails("invite")[0], "/join/")
    colleague = visitor()
    assert "加入长春绿源新材料有限公司1" in colleague.get(f"/join/{join_token}").get_data(as_text=True)
    weak = colleague.post(f"/join/{join_token}", {"display_name": "李同事", "username": "li1", "password": "li1"})
    assert weak.status_code == 422 and 'value="李同事"' in weak.get_data(as_text=True)
    joined = colleague.post(f"/join/{join_token}", {"display_name": "李同事", "username": "li1",
                                                    "password": "Li-Colleague-2024"})
    assert "已加入" in joined.get_data(as_text=True)
    assert colleague.login("li1", "Li-Colleague-2024").status_code == 302
    assert "李同事" in colleague.get("/my-organisation").get_data(as_text=True)
    assert db.session.scalar(select(User.unit_code).where(User.username == "li1")) == credit_code(1)


def test_the_bureau_renames_from_the_unit_page_and_other_units_stay_closed(visitor):
    unit = visitor()
    unit.get("/register")
    unit.post("/register", registration_form())
    unit.post(f"/register/verify/{link_token(mails('verify_email')[0], '/register/verify/')}")
    organisation_id = registered().id
    city = visitor("changchun")
    refused = city.post(f"/organisations/{organisation_id}", {"name": "长春绿源科技有限公司", "reason": ""})
    assert refused.status_code == 422 and "请说明更名原因" in refused.get_data(as_text=True)
    city.post(f"/organisations/{organisation_id}", {"name": "长春绿源科技有限公司", "reason": "营业执照变更"})
    assert registered().name == "长春绿源科技有限公司"
    assert visitor("jilin").get(f"/organisations/{organisation_id}").status_code == 403
    assert visitor("factory1").get(f"/organisations/{organisation_id}").status_code == 403
