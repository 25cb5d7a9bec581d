"""The city package step clicked through in the browser: rank, freeze, upload the sealed PDFs, send; the
province registers receipt. Used by the package's own test and by the whole-round test."""
from __future__ import annotations

import hashlib
from pathlib import Path

SEALED = b"%PDF-1.4\n% sealed scan for the browser test\n"


def open_city_package(city_browser, round_name: str = "2024"):
    page = city_browser.page
    page.goto("/applications")
    page.click(f"p.downloads a:has-text('{round_name}')")
    page.wait_for_selector("h1:has-text('推荐材料')")
    return page


def freeze_upload_and_send(city_browser, tmp_path: Path) -> str:
    """On the city's 推荐材料 page (already open, ranks filled): freeze, check the download against the
    shown SHA-256, upload both sealed PDFs and confirm sending. Returns the frozen table's SHA-256."""
    page = city_browser.page
    page.check("#freeze-confirm")
    page.click("#freeze")
    page.wait_for_selector(".flash.success:has-text('已封存第 1 批推荐材料')")
    city_browser.screenshot("package-frozen")
    shown = page.inner_text("#package-1 .sha").split()[-1]
    with page.expect_download() as download:
        page.click("#package-1 .download-table")
    table = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(table).hexdigest() == shown
    scan = tmp_path / "sealed.pdf"
    scan.write_bytes(SEALED)
    for kind, label in (("letter", "推荐文件"), ("sealed_table", "推荐汇总表")):
        page.set_input_files(f"#package-1 .upload-{kind} input[type=file]", str(scan))
        page.click(f"#package-1 .upload-{kind} button")
        page.wait_for_selector(f".flash.success:has-text('已上传{label}')")
    page.fill("#package-1 input[name=note]", "EMS 1100 2233 4455")
    page.check("#package-1 input[name=paper]")
    page.click("#package-1 #send-form-1 button")
    page.wait_for_selector(".flash.success:has-text('已确认寄送')")
    city_browser.screenshot("package-sent")
    return shown


def register_receipt(staff_browser, city: str = "220100"):
    page = staff_browser.page
    page.goto("/rounds")
    page.get_by_role("link", name="2024").click()
    page.click("#packages-link")
    page.wait_for_selector("#city-packages")
    staff_browser.screenshot("packages-overview")
    page.click(f"#city-packages tr[data-city='{city}'] button:has-text('登记签收')")
    page.wait_for_selector(".flash.success:has-text('已登记签收')")
    staff_browser.screenshot("package-received")
