"""The city's package: ranked, frozen once (hash on the audit chain), sealed, sent, received; the city's
recommendations wait for it before the formal review."""
import hashlib
import io
import json
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from service.accounts.models import User
from service.audit import chain as audit
from service.platform.extensions import db
from service.platform.storage import files_folder
from service.platform.transactions import transaction
from service.rounds import packages
from service.rounds.models import CityPackage
from tests.api import ApiClient, ok, refused
from tests.scenario import Scenario

PDF = b"%PDF-1.4 sealed scan"


@pytest.fixture
def client(app, demo_passwords):
    return ApiClient(app.test_client())


def recommended(users, round_, clock, unit, category="factory"):
    s = Scenario(users, round_, clock).start(category=category, applicant=unit).declare(category=category, who=unit)
    return s.city_review("recommend")


def package_url(round_, city="220100"):
    return f"/api/rounds/{round_}/cities/{city}/package"


def freeze_body(ranks: dict) -> dict:
    return {"ranks": [{"application_id": k, "rank": v} for k, v in ranks.items()], "filler_name": "王填报",
            "filler_phone": "0431-88886666"}


def test_duplicate_gapped_and_missing_ranks_are_refused_naming_the_rows(users, round_, clock, client):
    a, b, c = (recommended(users, round_, clock, f"unit{n}") for n in range(3))
    park = recommended(users, round_, clock, "unit3", category="park")
    ids = [s.application_id for s in (a, b, c)]

    body = refused(client.post(package_url(round_), "changchun", json=freeze_body(
        {ids[0]: 1, ids[1]: 1, ids[2]: 2, park.application_id: 1})), 422, "validation_failed", "ranks")
    errors = body["errors"]["ranks"]
    assert set(errors) == {str(ids[0]), str(ids[1])}
    assert "排序第 1 位重复" in errors[str(ids[0])][0] and "长春单位1" in errors[str(ids[0])][0]

    body = refused(client.post(package_url(round_), "changchun", json=freeze_body(
        {ids[0]: 1, ids[1]: 2, ids[2]: 4, park.application_id: 1})), 422, "validation_failed", "ranks")
    assert list(body["errors"]["ranks"]) == [str(ids[2])] and "1–3" in body["errors"]["ranks"][str(ids[2])][0]

    body = refused(client.post(package_url(round_), "changchun", json=freeze_body(
        {ids[0]: 1, ids[1]: 2, park.application_id: 1})), 422, "validation_failed", "ranks")
    assert "请填写推荐排序" in body["errors"]["ranks"][str(ids[2])][0]
    # Ranks count per category: the park is first among parks while a factory is first among factories.
    assert db.session.scalar(db.select(db.func.count()).select_from(CityPackage)) == 0  # nothing half-written

    ok(client.post(package_url(round_), "changchun", json=freeze_body(
        {ids[0]: 3, ids[1]: 1, ids[2]: 2, park.application_id: 1})), 201)


def test_the_frozen_table_is_every_later_download_and_its_hash_is_on_the_audit_chains(users, round_, clock, client):
    first, second = recommended(users, round_, clock, "unit0"), recommended(users, round_, clock, "unit1")
    package = ok(client.post(package_url(round_), "changchun", json=freeze_body(
        {first.application_id: 2, second.application_id: 1})), 201)
    assert package["number"] == 1 and package["status"] == "frozen"
    assert [m["application_id"] for m in package["members"]] == [second.application_id, first.application_id]

    downloaded = client.get(f"/api/packages/{package['id']}/table.xlsx", "changchun").data
    assert hashlib.sha256(downloaded).hexdigest() == package["table_sha256"]
    frozen = [json.loads(e.data) for e in audit.trail(audit.SYSTEM_CHAIN) if e.action == "city_package_frozen"]
    assert frozen[0]["table_sha256"] == package["table_sha256"] and frozen[0]["filler"] == "王填报"
    on_application = [json.loads(e.data) for e in audit.trail(audit.application_chain(first.application_id))
                      if e.action == "city_package_frozen"]
    assert on_application == [{**on_application[0], "table_sha256": package["table_sha256"], "rank": 2}]
    assert first.chain_ok()

    # Later the declarations' trail could say anything: the download is still the frozen file, byte for byte.
    clock.set(datetime(2024, 5, 20, tzinfo=timezone.utc))
    assert client.get(f"/api/packages/{package['id']}/table.xlsx", "staff").data == downloaded
    assert client.get(f"/api/rounds/{round_}/summary-table", "changchun").data == downloaded
    rows = list(load_workbook(io.BytesIO(downloaded))["绿色工厂"].iter_rows(min_row=3, max_row=4, values_only=True))
    assert [(r[0], r[1], r[4]) for r in rows] == [(1, 1, "长春单位1"), (2, 2, "长春单位0")]

    # A file altered on disk is refused rather than served as the frozen one.
    stored = db.session.get(CityPackage, package["id"]).table_stored
    (files_folder() / stored).write_bytes(downloaded + b"x")
    refused(client.get(f"/api/packages/{package['id']}/table.xlsx", "changchun"), 409, "package_file_altered")


def test_recommendations_wait_for_the_package_until_the_province_registers_receipt(users, round_, clock, client):
    s = recommended(users, round_, clock, "unit0")
    assert s.items() == [] and s.application.stage == "等待市州推荐材料"
    package = ok(client.post(package_url(round_), "changchun", json=freeze_body({s.application_id: 1})), 201)
    pid = package["id"]
    assert s.items() == []  # frozen is not delivered

    refused(client.post(f"/api/packages/{pid}/sent", "changchun", json={}), 422, "validation_failed",
            "letter", "sealed_table")
    refused(client.post(f"/api/packages/{pid}/files/letter", "changchun",
                        data={"file": (io.BytesIO(b"<html>"), "letter.pdf")}, content_type="multipart/form-data"),
            422, "validation_failed", "file")
    for kind in ("letter", "sealed_table"):
        ok(client.post(f"/api/packages/{pid}/files/{kind}", "changchun",
                       data={"file": (io.BytesIO(PDF), f"{kind}.pdf")}, content_type="multipart/form-data"))
    refused(client.post(f"/api/packages/{pid}/received", "staff"), 409, "package_not_sent")
    sent = ok(client.post(f"/api/packages/{pid}/sent", "changchun", json={"note": "EMS 1100"}))
    assert sent["status"] == "sent" and sent["sent_note"] == "EMS 1100"
    refused(client.post(f"/api/packages/{pid}/files/letter", "changchun",
                        data={"file": (io.BytesIO(PDF), "letter.pdf")}, content_type="multipart/form-data"),
            409, "package_sent")
    assert s.items() == []

    received = ok(client.post(f"/api/packages/{pid}/received", "staff"))
    assert received["status"] == "received" and received["received_by"] == "staff"
    assert s.item().bpmn_id == "Task_formal_review"
    released = [json.loads(e.data) for e in audit.trail(audit.application_chain(s.application_id))
                if e.action == "city_package_received"]
    assert released[0]["table_sha256"] == package["table_sha256"]
    assert released[0]["letter_sha256"] == hashlib.sha256(PDF).hexdigest()
    refused(client.post(f"/api/packages/{pid}/received", "staff"), 409, "package_received")
    assert client.get(f"/api/packages/{pid}/letter.pdf", "staff").data == PDF


def test_freezing_waits_for_the_citys_open_reviews_and_late_recommendations_get_a_supplementary_package(
        users, round_, clock, client):
    early = recommended(users, round_, clock, "unit0")
    late = Scenario(users, round_, clock).start(applicant="unit1").declare(who="unit1")  # in the city review
    body = refused(client.post(package_url(round_), "changchun", json=freeze_body({early.application_id: 1})),
                   409, "city_reviews_open")
    assert "长春单位1" in body["message"]
    view = ok(client.get(package_url(round_), "changchun"))
    assert view["open_reviews"] == 1 and view["can_freeze"] is False

    late.city_review("reject")
    ok(client.post(package_url(round_), "changchun", json=freeze_body({early.application_id: 1})), 201)
    refused(client.post(package_url(round_), "changchun", json=freeze_body({})), 409, "nothing_to_freeze")

    later = recommended(users, round_, clock, "unit2")
    view = ok(client.get(package_url(round_), "changchun"))
    assert [r["application_id"] for g in view["pending"] for r in g["rows"]] == [later.application_id]
    second = ok(client.post(package_url(round_), "changchun", json=freeze_body({later.application_id: 1})), 201)
    assert second["number"] == 2
    sheet = load_workbook(io.BytesIO(client.get(f"/api/packages/{second['id']}/table.xlsx", "changchun").data))
    assert "补充推荐第 2 批" in sheet["绿色工厂"]["A1"].value


def test_a_city_sees_and_acts_only_on_its_own_package_and_only_the_province_registers_receipt(
        users, round_, clock, client):
    s = recommended(users, round_, clock, "unit0")
    assert client.get(package_url(round_), "jilin").status_code == 403
    assert client.get(package_url(round_), "applicant").status_code == 403
    assert client.get(package_url(round_), "expert1").status_code == 403
    refused(client.post(package_url(round_), "jilin", json=freeze_body({s.application_id: 1})), 403, "forbidden")
    refused(client.post(package_url(round_), "staff", json=freeze_body({s.application_id: 1})), 403, "forbidden")
    pid = ok(client.post(package_url(round_), "changchun", json=freeze_body({s.application_id: 1})), 201)["id"]
    assert client.get(package_url(round_), "staff").status_code == 200
    for who in ("jilin", "applicant", "expert1"):
        assert client.get(f"/api/packages/{pid}/table.xlsx", who).status_code == 403
        assert client.post(f"/api/packages/{pid}/files/letter", who, data={"file": (io.BytesIO(PDF), "a.pdf")},
                           content_type="multipart/form-data").status_code == 403
    refused(client.post(f"/api/packages/{pid}/files/letter", "staff", data={"file": (io.BytesIO(PDF), "a.pdf")},
                        content_type="multipart/form-data"), 403, "forbidden")
    for kind in ("letter", "sealed_table"):
        ok(client.post(f"/api/packages/{pid}/files/{kind}", "changchun", data={"file": (io.BytesIO(PDF), "a.pdf")},
                       content_type="multipart/form-data"))
    refused(client.post(f"/api/packages/{pid}/sent", "jilin", json={}), 403, "forbidden")
    ok(client.post(f"/api/packages/{pid}/sent", "changchun", json={}))
    refused(client.post(f"/api/packages/{pid}/received", "changchun"), 403, "forbidden")
    assert client.get(f"/api/rounds/{round_}/packages", "changchun").status_code == 403
    assert client.get(f"/api/rounds/{round_}/packages/consolidated.xlsx", "changchun").status_code == 403
    overview = ok(client.get(f"/api/rounds/{round_}/packages", "staff"))
    assert len(overview) == 11
    changchun = next(row for row in overview if row["city_code"] == "220100")
    assert changchun["packages"][0]["status"] == "sent" and changchun["pending"] == 0
    ok(client.post(f"/api/packages/{pid}/received", "staff"))


def test_declarations_end_at_the_unit_deadline_and_city_reviews_at_the_city_deadline(app, users, clock, version):
    from service.rounds.service import open_round
    from tests.conftest import OBJECTION_CHANNEL

    with transaction():
        round_id = open_round(name="分开截止的批次", year=2024, city_deadline=date(2024, 6, 10),
                              unit_deadline=date(2024, 5, 31), actor="admin", expert_count=2,
                              **OBJECTION_CHANNEL).id
    drafting = Scenario(users, round_id, clock).start()
    reviewing = Scenario(users, round_id, clock).start(applicant="other_applicant").declare(who="other_applicant")
    clock.set(datetime(2024, 6, 1, tzinfo=timezone.utc))  # 1 June in Changchun: past the units' deadline
    drafting.run_worker()
    assert drafting.application.outcome == "逾期未推荐" and drafting.application.outcome_element == \
        "End_overdue_declaration"
    assert reviewing.application.outcome is None and reviewing.item().bpmn_id == "Task_city_review"
    clock.set(datetime(2024, 6, 11, tzinfo=timezone.utc))
    reviewing.run_worker()
    assert reviewing.application.outcome_element == "End_overdue_review"


def test_the_drivers_step_seals_the_package_through_the_service(users, round_, clock):
    s = recommended(users, round_, clock, "unit0" if "unit0" in users else "applicant")
    s.seal_city_package()
    package = db.session.scalars(db.select(CityPackage)).one()
    assert package.status == "received" and s.item().bpmn_id == "Task_formal_review"
    assert packages.pending(round_, "220100") == []
    staff = db.session.get(User, users["staff"])
    assert packages.round_view(staff, db.session.get(packages.Round, round_))[0]["packages"][0]["number"] == 1


def test_the_province_hears_a_package_was_sent_and_the_city_that_it_was_received(users, round_, clock, client):
    from sqlalchemy import select

    from service.notify.models import Message

    s = recommended(users, round_, clock, "unit0")
    s.seal_city_package()
    messages = {(m.user_id, m.kind): m for m in db.session.scalars(
        select(Message).where(Message.kind.in_(("package_sent", "package_received"))))}
    db.session.remove()
    sent = messages[(users["staff"], "package_sent")]
    assert (users["staff2"], "package_sent") in messages  # every province staff member
    assert sent.subject == "【绿色制造】长春市推荐材料（2024年度省级绿色制造名单，首批，1 家）已寄送"
    assert "长春市初审员" in sent.body and "登记签收" in sent.body and sent.application_id is None
    received = messages[(users["changchun"], "package_received")]
    assert received.subject == "【绿色制造】长春市推荐材料（2024年度省级绿色制造名单，首批，1 家）已签收"
    assert "1 家申报进入形式审查" in received.body
    assert (users["jilin"], "package_received") not in messages  # another city's reviewers hear nothing
    assert not any(kind == "package_sent" and who in (users["changchun"], users["jilin"]) for who, kind in messages)
