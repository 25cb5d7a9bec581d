"""What scripts draw is read too: the server-side scan (tests/test_names__every_page.py) sees the pages as sent; here
the pages whose content is drawn in the browser (the diagram viewer with its step highlights, the statistics
heatmap, the version comparison, the process editor's tabs) are read as rendered and must hold no word in Latin
letters outside the same allowed places."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.api import ApiScenario, first_version_id, ok
from tests.test_names__every_page import ALLOWED_PATTERN, LATIN_WORD

# The bpmn.io watermark stays: its licence requires it (issue 16, item 6).
WATERMARK = "BPMN.io"


# What the administrator typed, shown as it is: elements marked class="literal" (as on the server-side scan),
# the form editor's CodeMirror fields (a label, an expression) and the selected field's label or the form's id
# in the properties panel's header (the form's id, e.g. Form_city_review, is a value the administrator edits),
# the titles of a list's items there (an option's label, a custom property's key such as requiredWhen), and the
# JSON a tooltip shows as the syntax to write (its keys are syntax, like a process file's).
OWN_TEXT = (".literal, .cm-content, .bio-properties-panel-header-label,"
            " .bio-properties-panel-collapsible-entry-header-title, .bio-properties-panel-tooltip pre")
# The words shown in the form editor beside its text: tooltips (title) and the hints in empty inputs. The
# watermark's link keeps its title "Powered by bpmn.io" (the licence forbids changing the watermark's code).
SHOWN_ATTRIBUTES = """root => [...root.querySelectorAll('[title], [placeholder]')]
    .filter(element => element.checkVisibility() && !element.closest('.cm-editor, .fjs-powered-by'))
    .map(element => [element.title, element.placeholder || ''].join(' ')).join(' ')"""


def latin_in(page, selector: str = "body") -> list[str]:
    page.wait_for_load_state("networkidle")
    root = page.locator(selector)
    shown = root.inner_text()
    for own in root.locator(OWN_TEXT).all():
        shown = shown.replace(own.inner_text(), " ", 1)
    shown = shown.replace(WATERMARK, " ")
    return LATIN_WORD.findall(ALLOWED_PATTERN.sub(" ", shown))


def latin_in_form_editor(page) -> list[str]:
    """The form editor's text, and its tooltips and input hints."""
    attributes = page.locator("#form-editor").evaluate(SHOWN_ATTRIBUTES)
    return latin_in(page, "main") + LATIN_WORD.findall(ALLOWED_PATTERN.sub(" ", attributes))


def assert_chinese(found: list[str], where) -> None:
    assert found == [], (where, " ".join(sorted(set(found))))


# The kinds of field the demo forms hold, each with its own groups of properties (options, validation, dates).
FIELD_TYPES = ("text", "radio", "select", "datetime", "textarea", "textfield", "number", "checkbox", "checklist",
               "taglist", "filepicker")


def open_every_group(page, where) -> None:
    """Open each group of the properties panel and read it, then each tooltip of its entries (shown on focus)."""
    headers = page.locator("#form-editor .bio-properties-panel-group-header")
    assert headers.count() > 0, where
    for index in range(headers.count()):
        header = headers.nth(index)
        if "open" not in (header.get_attribute("class") or "").split():
            header.click()
        assert_chinese(latin_in_form_editor(page), (where, header.inner_text()))
    tooltips = page.locator("#form-editor .bio-properties-panel-tooltip-wrapper")
    for index in range(tooltips.count()):
        tooltip = tooltips.nth(index)
        if tooltip.is_visible():
            tooltip.focus()
            expect(page.locator("#form-editor .bio-properties-panel-tooltip")).to_be_visible()
            assert_chinese(latin_in_form_editor(page), (where, "tooltip", tooltip.inner_text()))
            tooltip.press("Escape")


def read_form_editor(page, screenshot) -> None:
    """The 表单 tab beyond its first view: a selected field, and one field of each kind, each with every group of
    its properties opened; the palette's search (in Chinese, by a type's key, and with no match); a field dragged
    in from the palette; and the form's own properties."""
    editor = page.locator("#form-editor")
    editor.locator(".fjs-children .fjs-element").nth(1).click()
    open_every_group(page, "second field")
    screenshot("draft-forms-field")
    # The pop-up editor of a text or an expression, which form-js opens outside the tab (in <body>).
    editor.locator(".bio-properties-panel-open-feel-popup").first.dispatch_event("click")  # shown on hover
    popup = page.locator(".bio-properties-panel-popup-container")
    expect(popup.locator(".bio-properties-panel-popup__title")).to_contain_text("文本说明 / ")
    assert_chinese(latin_in(page, ".bio-properties-panel-popup-container"), "pop-up editor")
    screenshot("draft-forms-popup")
    popup.locator(".bio-properties-panel-popup__close").click()
    expect(popup).to_have_count(0)
    seen = []
    for field_type in FIELD_TYPES:
        field = editor.locator(".fjs-children .fjs-element").filter(has=page.locator(f".fjs-form-field-{field_type}"))
        if field.count():
            field.last.click()
            open_every_group(page, field_type)
            seen.append(field_type)
    assert len(seen) >= 5, seen  # the demo forms hold at least these kinds; the scan must not pass by finding none

    search, entries = editor.locator(".fjs-palette-search"), editor.locator(".fjs-palette-field")
    for term, found in (("文本", ["文本框", "多行文本", "文本说明"]), ("textfield", ["文本框"]), ("zzz", [])):
        search.fill(term)
        expect(entries).to_have_text(found)
        assert_chinese(latin_in_form_editor(page), ("palette search", term))
        screenshot(f"draft-forms-search-{term}")
    expect(editor.locator(".fjs-palette-no-entries")).to_have_text("未找到组件。")
    editor.locator(".fjs-palette-search-clear").click()

    # A new field's label is what the applicant reads until the administrator changes it: Chinese too.
    editor.locator(".fjs-palette-field[data-field-type=textfield]").drag_to(
        editor.locator(".fjs-children .fjs-element").first)
    expect(editor.locator(".bio-properties-panel-header-label")).to_have_text("文本框")
    expect(editor.locator(".fjs-children .fjs-element.fjs-editor-selected .fjs-form-field-label")).to_have_text("文本框")
    screenshot("draft-forms-new-field")
    # Every other kind of component too, each dropped in and read with all its groups open (the page is not saved).
    kinds = entries.evaluate_all("entries => entries.map(entry => [entry.dataset.fieldType, entry.innerText])")
    assert len(kinds) >= 20, kinds
    for kind, name in kinds:
        editor.locator(f".fjs-palette-field[data-field-type={kind}]").drag_to(
            editor.locator(".fjs-children .fjs-element").first, target_position={"x": 10, "y": 2})
        expect(editor.locator(".bio-properties-panel-header-type")).to_have_text(name)  # the new field is selected
        open_every_group(page, ("new field", kind))
    screenshot("draft-forms-every-kind")

    editor.locator(".fjs-form-container").click(position={"x": 5, "y": 5})  # nothing selected: the form itself
    assert_chinese(latin_in_form_editor(page), "form properties")
    screenshot("draft-forms-form")


def test_pages_drawn_by_scripts_hold_no_english(browse, api):
    scenario = ApiScenario(api).start().declare().city_review("send_back")
    draft = ok(api.post("/api/process-drafts", "admin", json={"from_version": first_version_id()}), 201)

    province = browse()
    page = province.login("province")
    for path in (f"/applications/{scenario.application_id}", f"/rounds/{scenario.round_id}",
                 f"/rounds/{scenario.round_id}/statistics"):
        page.goto(path)
        assert latin_in(page) == [], path
    province.screenshot("statistics")

    admin = browse()
    page = admin.login("admin")
    page.goto(f"/admin/compare?from={first_version_id()}&to={first_version_id()}")
    assert latin_in(page) == [], "/admin/compare"
    page.goto(f"/admin/drafts/{draft['id']}")
    for tab in ("diagram", "forms", "rules", "categories", "upload", "notice-files"):
        page.click(f"button[data-tab='{tab}']")
        assert_chinese(latin_in_form_editor(page) if tab == "forms" else latin_in(page, "main"), tab)
        admin.screenshot(f"draft-{tab}")
        if tab == "forms":
            read_form_editor(page, admin.screenshot)
