"""form-js's internals, which the task page uses only through service/web/static/form-adapter.js, checked
in Chromium against the version package-lock.json pins: an upgrade that moves one of them fails here
instead of on an applicant's task page."""
from __future__ import annotations

import json
from pathlib import Path

from tests.browser.test_declaration_and_review import start_declaration

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "service" / "web" / "static" / "form-adapter.js"

SCHEMA = {"type": "default", "id": "Form_adapter_check", "components": [
    {"type": "group", "id": "Group_unit", "label": "单位", "components": [
        {"type": "textfield", "id": "Field_name", "key": "name", "label": "名称", "validate": {"required": True}},
    ]},
    {"type": "number", "id": "Field_count", "key": "count", "label": "数量"},
]}


def pinned_form_js() -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/@bpmn-io/form-js"]["version"]


def test_the_served_form_js_is_the_one_package_lock_pins_and_the_adapter_names(app):
    served = app.test_client().get("/vendor/form-js/package.json")
    assert served.status_code == 200 and served.json["version"] == pinned_form_js()
    # Whoever upgrades form-js reads the adapter's header, runs the test below and updates the version there.
    assert f"@bpmn-io/form-js {pinned_form_js()}" in ADAPTER.read_text(encoding="utf-8")


def adapter(page, call: str):
    """Run `call` with `forms` (the adapter), `form` (the checked form) and `host` (its container) in scope."""
    return page.evaluate(f"() => {{ const forms = window.greenlist.formAdapter, form = window.checkedForm,"
                         f" host = document.getElementById('adapter-check'); return {call}; }}")


def field_error(page, field_id: str):
    return page.locator(f"#adapter-check .fjs-form-field:has([id$='-{field_id}']) .fjs-form-field-error")


def test_every_adapter_function_works_on_the_pinned_form_js(browse):
    applicant = browse()
    page = applicant.login("factory1")
    start_declaration(page)  # the task page: form-js's viewer and the adapter, as an applicant gets them
    assert sorted(page.evaluate("Object.keys(window.greenlist.formAdapter)")) == [
        "create", "firstFieldWithError", "localizedPlaceholder", "readData", "readErrors", "showErrors",
        "translateMessages"]
    # The viewer's own placeholders in Chinese (also used by form-editor-zh.js for the fields on the editor's canvas).
    assert [adapter(page, f"forms.localizedPlaceholder('{text}')") for text in (
        "yyyy/mm/dd", "dd.mm.yyyy", "hh:mm", "Search", "Select", "姓名")] == [
        "年/月/日", "日.月.年", "时:分", "搜索", "请选择", None]

    page.evaluate("""(schema) => {
      const host = Object.assign(document.createElement('div'), { id: 'adapter-check' });
      document.querySelector('main').append(host);
      window.checkedForm = window.greenlist.formAdapter.create(host);
      return window.checkedForm.importSchema(schema, { name: '甲', count: 3 });
    }""", SCHEMA)
    name = page.locator("#adapter-check [id$='-Field_name']")
    assert name.input_value() == "甲"
    assert adapter(page, "forms.readData(form)") == {"name": "甲", "count": 3}

    name.fill("乙")  # no blur: create() commits every keystroke at once
    assert adapter(page, "forms.readData(form)") == {"name": "乙", "count": 3}

    adapter(page, "forms.translateMessages(form, (message) => '译：' + message)")
    name.fill("")
    submitted = adapter(page, "form.submit()")
    assert submitted["errors"] == {"Field_name": ["译：Field is required."]}  # task.js translates this text
    assert adapter(page, "forms.readErrors(form)") == {"Field_name": ["译：Field is required."]}
    assert field_error(page, "Field_name").inner_text() == "译：Field is required."

    # The server's error replaces the ones shown, at the field it names.
    adapter(page, "forms.showErrors(form, { Field_count: ['数量与附表不一致'] })")
    assert adapter(page, "forms.readErrors(form)") == {"Field_count": ["数量与附表不一致"]}
    field_error(page, "Field_count").wait_for()
    assert field_error(page, "Field_count").inner_text() == "数量与附表不一致"
    assert field_error(page, "Field_name").count() == 0
    assert adapter(page, "forms.firstFieldWithError(host).querySelector('input').id").endswith("-Field_count")
    applicant.screenshot("adapter-server-error")

    adapter(page, "forms.showErrors(form, {})")
    assert adapter(page, "forms.readErrors(form)") == {}
    page.wait_for_selector("#adapter-check .fjs-has-errors", state="detached")
    assert adapter(page, "forms.firstFieldWithError(host)") is None
    assert adapter(page, "forms.readData(form)") == {"name": "", "count": 3}  # errors never touch the data
