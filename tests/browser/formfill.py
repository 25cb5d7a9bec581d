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
            # Options from the server (valuesKey: e.g. the uploaded PDFs) are named by their labels.
            label = value if component.get("valuesKey") else \
                next(v["label"] for v in component["values"] if str(v["value"]) == str(value))
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


def upload_pdf(page, folder, kind: str, name: str) -> None:
    """Upload a PDF from the task page's attachment box as ``kind`` and wait until it is listed."""
    from service.commands.sample_reports import SAMPLE_REPORT_PDF

    path = folder / name
    path.write_bytes(SAMPLE_REPORT_PDF)
    page.select_option("#upload select[name=kind]", kind)
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button[type=submit]")
    page.wait_for_selector(f"#attachments a:has-text('{name}')")


def attach_report(page, folder, kind: str = "third_party_report", name: str = "第三方评价报告.pdf") -> None:
    """Upload the evaluation report a declaration needs (the samples are third-party evaluated), as a unit
    does on the task page: pick the kind, choose the file, 上传, and see it listed."""
    upload_pdf(page, folder, kind, name)


def verify(page, form: dict, folder, found=(), **answers) -> dict:
    """The city reviewer's verification as a clerk does it: the credit-query result and the departments' reply
    uploaded as PDFs, then every exclusion and department answered choosing those files. Returns the data."""
    from service.applications.verification import DEPARTMENTS, EXCLUSIONS
    from service.engine.clock import current_clock
    from service.platform.timeutil import to_shanghai

    upload_pdf(page, folder, "verification_evidence", "信用中国查询结果.pdf")
    upload_pdf(page, folder, "department_reply", "三部门回函.pdf")
    today = to_shanghai(current_clock().now()).date().isoformat()
    data = {}
    for exclusion in EXCLUSIONS:
        data.update({exclusion.answer: "yes" if exclusion.key in found else "no",
                     exclusion.source: exclusion.sources[0], exclusion.date: today,
                     exclusion.evidence: "信用中国查询结果.pdf"})
    for department in DEPARTMENTS:
        data.update({department.conclusion: "no_objection", department.reply: "三部门回函.pdf"})
    data.update(answers)
    fill_form(page, form, data)
    return data
