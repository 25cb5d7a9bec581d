"""Fill a form-js form as a user does: type, tick, pick from the dropdown, enter the date."""
from __future__ import annotations

from datetime import date

from service.forms.schema import input_components


def field(page, component: dict, suffix: str = ""):
    return page.locator(f"#form [id$='-{component['id']}{suffix}']").first


def fill_form(page, form: dict, data: dict) -> None:
    """Enter ``data`` into the task page's form, field by field in display order (taglists by label)."""
    for component in input_components(form):
        key = component["key"]
        if key not in data or component.get("readonly") is True:
            continue  # a read-only field (the unit's name and code) is filled by the server, not typed
        value, kind = data[key], component["type"]
        if kind in ("textfield", "textarea", "number"):
            box = field(page, component)
            box.fill(str(value))
            box.blur()  # form-js debounces typing; leaving the field commits it
        elif kind == "checkbox":
            field(page, component).set_checked(bool(value))
        elif kind == "radio":
            index = [str(v["value"]) for v in component["values"]].index(str(value))
            field(page, component, f"-{index}").check()
        elif kind == "select":
            label = next(v["label"] for v in component["values"] if str(v["value"]) == str(value))
            field(page, component, "-display").click()
            page.locator(".fjs-dropdownlist-item", has_text=label).first.click()
        elif kind == "taglist":
            # Options may come from the server (valuesKey): the test names them by their labels.
            search = field(page, component)
            for label in value:
                search.click()
                search.fill(label)
                page.locator(".fjs-dropdownlist-item", has_text=label).first.click()
        elif kind == "datetime":
            # form-js takes dates in the browser locale's format: zh-CN writes 2010/5/1.
            day = date.fromisoformat(value)
            box = field(page, component, "-date")
            box.fill(f"{day.year}/{day.month}/{day.day}")
            box.press("Enter")
        else:
            raise AssertionError(f"no way to fill a {kind} field ({key})")


def attach_report(page, folder, kind: str = "third_party_report", name: str = "第三方评价报告.pdf") -> None:
    """Upload the evaluation report a declaration needs (the samples are third-party evaluated), as a unit
    does on the task page: pick the kind, choose the file, 上传, and see it listed."""
    from service.commands.sample_reports import SAMPLE_REPORT_PDF

    path = folder / name
    path.write_bytes(SAMPLE_REPORT_PDF)
    page.select_option("#upload select[name=kind]", kind)
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button[type=submit]")
    page.wait_for_selector(f"#attachments a:has-text('{name}')")
