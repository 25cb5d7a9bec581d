"""A real round from an empty database, in the browser, as a province would start one: only the diagram
deployed and `greenlist create-admin` run, no demo seed. The administrator opens the round and imports the
staff and experts; a city reviewer sets a password through the mailed link; an enterprise registers,
verifies its address and is confirmed by its city; it declares, and the declaration reaches the city's inbox."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from service.commands.cli import cli
from service.platform.extensions import db
from service.platform.timeutil import to_shanghai, utcnow
from service.versions.samples import sample_declaration
from tests.browser.conftest import browsers
from tests.browser.formfill import attach_report, fill_form
from tests.browser.test_registration import fill_registration
from tests.browser.test_declaration_and_review import form, start_declaration, submit
from tests.registration import credit_code, link_token, mails
from tests.test_accounts__import import xlsx

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "Songhua-River-2025"
UNIT = "长春市绿源新材料有限公司"


@pytest.fixture
def empty_site(app, chromium, live_server, request):
    """The production start: migrations, the shipped diagram deployed, one administrator; browsers on it."""
    runner = app.test_cli_runner()
    deployed = runner.invoke(cli, ["deploy", "--processes", str(ROOT / "processes"), "--forms", str(ROOT / "forms"),
                                   "--note", "2025年流程"])
    assert deployed.exit_code == 0, deployed.output
    created = runner.invoke(cli, ["create-admin", "chief", "--name", "信息中心管理员"], input=f"{ADMIN_PASSWORD}\n")
    assert created.exit_code == 0, created.output
    db.session.remove()
    yield from browsers(chromium, live_server, request)


def mailed_link(kind: str, path: str, username: str) -> str:
    """The token of the last ``kind`` mail to ``username`` (read from the outbox, as the mail would carry it)."""
    db.session.remove()
    mail = [m for m in mails(kind) if username in [r["username"] for r in m.recipients]][-1]
    token = link_token(mail, path)
    db.session.remove()  # the server writes next
    return token


def test_a_province_runs_a_round_from_an_empty_database(empty_site, tmp_path):
    today = to_shanghai(utcnow()).date()

    # The administrator opens the year's round.
    admin = empty_site()
    page = admin.login("chief", ADMIN_PASSWORD)
    page.goto("/rounds/new")
    page.fill("input[name=name]", f"{today.year}年度省级绿色制造名单")
    page.fill("input[name=year]", str(today.year))
    for category in ("factory", "park", "supply_chain"):
        page.check(f"input[name=categories][value={category}]")
    page.fill("input[name=unit_deadline]", (today + timedelta(days=40)).isoformat())
    page.fill("input[name=city_deadline]", (today + timedelta(days=50)).isoformat())
    page.fill("input[name=objection_address]", "长春市人民大街 0000 号 吉林省工业和信息化厅节能与综合利用处")
    page.fill("input[name=objection_phone]", "0431-88888888")
    page.fill("input[name=objection_email]", "jnc@example.gov.cn")
    admin.screenshot("new-round")
    page.click("#round-settings button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "已新建批次" in page.inner_text(".flash.success")

    # ... and imports the staff and experts: the Changchun reviewer gets a set-password link by mail.
    staff = [["cc.li", "李审核", "市州工信局", "长春市", "", "", "", "13900000011", "li@cc.example.gov.cn"],
             ["prov.wang", "王处长", "省工信厅", "", "", "", "", "", "wang@jl.example.gov.cn"]]
    experts = [[f"expert.{n}", f"专家{n}", "评审专家", "吉林市", "吉林大学", "绿色工厂", "C3670", "",
                f"expert{n}@example.edu.cn"] for n in range(1, 6)]
    upload = tmp_path / "账号.xlsx"
    upload.write_bytes(xlsx(staff + experts))
    page.goto("/admin/accounts/import")
    page.set_input_files("input[name=file]", str(upload))
    page.get_by_role("button", name="开始导入").click()
    page.wait_for_load_state()
    assert "已导入 7 个账号" in page.inner_text("main"), page.inner_text("main")
    admin.screenshot("imported")

    reviewer = empty_site()
    page = reviewer.page
    page.goto(f"/password/set/{mailed_link('set_password', '/password/set/', 'cc.li')}")
    reviewer.screenshot("set-password")
    page.fill("input[name=password]", "Changchun-Review-2025")
    page.fill("input[name=password2]", "Changchun-Review-2025")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".flash.success")

    # An enterprise registers and verifies its address.
    unit = empty_site()
    page = unit.page
    page.goto("/login")
    page.get_by_role("link", name="注册").click()
    fill_registration(page, credit_code(2025), name=UNIT, contact_email="zhao@lvyuan.example.cn", username="lvyuan",
                      password="Green-Fields-2025")
    page.click("#register button[type=submit]")
    page.wait_for_selector("#register-sent")
    page.goto(f"/register/verify/{mailed_link('verify_email', '/register/verify/', 'lvyuan')}")
    page.click("#verify button[type=submit]")
    page.wait_for_selector("#verify .flash.success")

    # The city confirms it from its queue.
    page = reviewer.login("cc.li", "Changchun-Review-2025")
    page.goto("/inbox")
    page.get_by_role("link", name="1 个单位注册").click()
    page.locator("#registrations tr", has_text=UNIT).get_by_role("button", name="确认").click()
    page.wait_for_selector(".flash.success")
    reviewer.screenshot("registration-confirmed")

    # The unit declares; its name and code come from its registration.
    page = unit.login("lvyuan", "Green-Fields-2025")
    start_declaration(page)
    assert page.locator("#form [id$='-Field_unit_name']").input_value() == UNIT
    fill_form(page, form("declaration_factory"), sample_declaration("factory"))
    attach_report(page, tmp_path)
    unit.screenshot("declaration")
    submit(page)

    # The declaration is in the Changchun reviewer's inbox.
    page = reviewer.page
    page.goto("/inbox")
    row = page.locator("tr", has_text=UNIT)
    assert "市州初审推荐" in row.inner_text()
    reviewer.screenshot("city-inbox")
