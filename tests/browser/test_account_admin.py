"""In the browser: the administrator finds 账号管理 in the navigation, creates a city reviewer (a refused
form keeps what was typed), imports experts from the template's format, and deactivates an account."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.test_accounts__import import xlsx


def test_the_administrator_manages_accounts_in_the_pages(browse, tmp_path):
    admin = browse()
    page = admin.login("admin")
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("link", name="新建账号").click()
    page.fill("input[name=username]", "gao.tonghua")
    page.fill("input[name=display_name]", "高审核")
    page.check("input[name=roles][value=city_reviewer]")
    page.fill("input[name=email]", "gao@")
    page.get_by_role("button", name="创建账号").click()
    expect(page.locator(".field-error").first).to_be_visible()
    assert "市州工信局账号必须选择所在市州" in page.inner_text("main")
    assert page.input_value("input[name=username]") == "gao.tonghua"
    admin.screenshot("refused-form")
    page.select_option("select[name=city_code]", "220500")
    page.fill("input[name=email]", "")
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_text("只显示这一次")).to_be_visible()
    temporary = page.inner_text("code")
    admin.screenshot("temporary-password")

    reviewer = browse()
    reviewer.login("gao.tonghua", temporary)
    assert "高审核" in reviewer.page.inner_text("header")

    upload = tmp_path / "专家.xlsx"
    pool = [[f"pool{n}", f"库专家{n}", "评审专家", "通化市", "某研究院", "绿色工厂", "C3670", "", f"pool{n}@example.cn"]
            for n in range(5)]
    upload.write_bytes(xlsx(pool + [["pool9", "错", "专家", "火星", "", "", "", "", ""]]))
    page.goto("/admin/accounts/import")
    page.set_input_files("input[name=file]", str(upload))
    page.get_by_role("button", name="开始导入").click()
    expect(page.locator(".import-problems li")).to_have_count(1)
    assert "第 7 行 “所在市州”" in page.inner_text(".import-problems")
    admin.screenshot("import-refused")
    upload.write_bytes(xlsx(pool))
    page.set_input_files("input[name=file]", str(upload))
    page.get_by_role("button", name="开始导入").click()
    expect(page.get_by_text("已导入 5 个账号")).to_be_visible()

    page.goto("/admin/accounts?q=gao")
    page.get_by_role("link", name="gao.tonghua").first.click()
    page.get_by_role("button", name="停用账号（立即退出其全部登录）").click()
    expect(page.get_by_role("button", name="重新启用账号")).to_be_visible()
    reviewer.page.goto("/inbox")
    assert "/login" in reviewer.page.url
