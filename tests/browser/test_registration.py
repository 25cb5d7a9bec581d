"""In the browser: an enterprise registers from the login page. A wrong check digit is named at its field
in Chinese with everything typed still there (but the password); corrected, the registration goes through,
the mailed link verifies it, and the city confirms it from its queue."""
from __future__ import annotations


from service.platform.extensions import db
from tests.registration import credit_code, link_token, mails, registered, with_wrong_organisation_digit


def fill_registration(page, code: str, *, name: str = "长春绿源新材料有限公司",
                      contact_email: str = "wang@lvyuan.example.cn", username: str = "wangjb",
                      password: str = "Lvyuan-Green-2024"):
    page.fill("input[name=credit_code]", code)
    page.fill("input[name=name]", name)
    page.select_option("select[name=kind]", "enterprise")
    page.select_option("select[name=city_code]", "220100")
    page.fill("input[name=county]", "长春新区")
    page.fill("input[name=contact_name]", "王经办")
    page.fill("input[name=contact_phone]", "13900000001")
    page.fill("input[name=contact_email]", contact_email)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)


def test_an_enterprise_registers_and_its_city_confirms_it(browse):
    unit = browse()
    page = unit.page
    page.goto("/login")
    page.get_by_role("link", name="注册").click()
    page.wait_for_selector("#register")
    fill_registration(page, with_wrong_organisation_digit(credit_code(1)))
    page.click("#register button[type=submit]")
    page.wait_for_selector(".field-error")
    assert "组织机构代码（第9–17位）校验位不正确" in page.inner_text("label:has(input[name=credit_code])")
    assert page.input_value("input[name=name]") == "长春绿源新材料有限公司"
    assert page.input_value("input[name=contact_email]") == "wang@lvyuan.example.cn"
    assert page.input_value("select[name=city_code]") == "220100"
    assert page.input_value("input[name=username]") == "wangjb"
    assert page.input_value("input[name=password]") == ""  # never sent back into the page
    unit.screenshot("register-field-error")

    page.fill("input[name=credit_code]", credit_code(1))
    page.fill("input[name=password]", "Lvyuan-Green-2024")
    page.click("#register button[type=submit]")
    page.wait_for_load_state()
    page.wait_for_selector("#register-sent")
    assert "wang@lvyuan.example.cn" in page.inner_text("#register-sent")
    unit.screenshot("register-sent")

    db.session.remove()
    token = link_token(mails("verify_email")[0], "/register/verify/")
    db.session.remove()  # the test's own reading ends here: the server writes next
    page.goto(f"/register/verify/{token}")
    page.click("#verify button[type=submit]")
    page.wait_for_selector("#verify .flash.success")
    unit.login("wangjb", "Lvyuan-Green-2024")
    page.goto("/my-organisation")
    assert "待市州确认" in page.inner_text("h1")
    unit.screenshot("my-organisation-waiting")

    city = browse()
    page = city.login("changchun")
    page.goto("/inbox")
    page.get_by_role("link", name="1 个单位注册").click()
    row = page.locator("#registrations tr", has_text="长春绿源新材料有限公司")
    city.screenshot("registration-queue")
    row.get_by_role("button", name="确认").click()
    page.wait_for_selector(".flash.success")
    assert "已确认：长春绿源新材料有限公司" in page.inner_text(".flash.success")
    db.session.remove()
    assert registered().status == "confirmed"
    db.session.remove()

    page = unit.page
    page.goto("/my-organisation")
    assert "已确认" in page.inner_text("h1")
    page.fill("#invitations input[name=email]", "li@lvyuan.example.cn")
    page.click("#invitations button.primary")
    page.wait_for_selector(".flash.success")
    assert "li@lvyuan.example.cn" in page.inner_text("#invitations table")
    unit.screenshot("my-organisation-invited")
