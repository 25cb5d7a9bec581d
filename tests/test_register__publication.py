"""The provincial register (名单库): a published unit enters it with the publication; a listed unit cannot declare
in that category again; a unit removed by 动态调整 is excluded by the eligibility decision whatever it answers."""
import io
import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from service.audit.chain import SYSTEM_CHAIN, trail, verify_chain
from service.platform.errors import Conflict
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.register import service as register
from service.register.models import RegisterEntry, RegisterStatusChange
from tests.api import ApiScenario, ok, refused
from tests.scenario import Scenario, fresh
from tests.conftest import OBJECTION_CHANNEL
from service.rounds.service import open_round
from service.accounts.models import User

NOTICE_OVER = datetime(2024, 8, 1, tzinfo=timezone.utc)
PDF = b"%PDF-1.4\n% adjustment notice\n%%EOF\n"


def published(users, round_, clock, who="applicant", category="factory") -> Scenario:
    s = Scenario(users, round_, clock).start(category=category, applicant=who).declare(category=category, who=who)
    s.city_review("recommend").formal_review().expert_review("expert1", 85).expert_review("expert2", 80)
    s.batch("start_notice")
    clock.set(NOTICE_OVER)
    s.run_worker()
    return s.batch("publish")


def next_round() -> int:
    """The following year's round: where a listed (or removed) unit would declare again."""
    with transaction():
        return open_round(name="2025年度省级绿色制造名单", year=2025, city_deadline=date(2025, 6, 10), actor="admin",
                          expert_count=2, **OBJECTION_CHANNEL).id


def removal(entry_id, staff_id, tmp_path, **overrides):
    values = {"reason": "2025年发生较大环境污染事故", "effective_on": date(2024, 8, 1), "document_number": "吉工信资源〔2024〕200号",
              "document": register.Document("调整通知.pdf", PDF)}
    values.update(overrides)
    with transaction():
        return register.remove(entry_id, **values, user=fresh(User, staff_id), folder=tmp_path).id


def test_publication_enters_the_register_in_the_same_transaction_and_on_the_chain(users, round_, clock):
    s = published(users, round_, clock)
    application = s.application
    entry = db.session.scalar(select(RegisterEntry).where(RegisterEntry.application_id == application.id))
    assert (entry.credit_code, entry.unit_name, entry.category, entry.category_name, entry.level) == (
        application.credit_code, application.unit_name, "factory", "绿色工厂", "省级")
    assert (entry.round_id, entry.round_name, entry.year, entry.status, entry.source) == (
        round_, "2024年度省级绿色制造名单", 2024, "listed", "published")
    assert entry.listed_on == date(2024, 8, 1) and entry.city_code == "220100"
    assert [(c.status, c.effective_on) for c in register.history(entry.id)] == [("listed", date(2024, 8, 1))]
    events = s.trail_events()
    assert [e.action for e in events[-2:]] == ["ended", "register_entered"]
    assert events[-1].payload["entry_id"] == entry.id and events[-1].payload["credit_code"] == entry.credit_code
    assert s.chain_ok()


def test_a_refused_publish_batch_enters_nobody(users, round_, clock):
    """All or nothing: one application not waiting for the publication refuses the batch, and no unit enters."""
    from service.applications.batch import batch_action

    early = Scenario(users, round_, clock).start(applicant="other_applicant").declare(who="other_applicant")
    ready = Scenario(users, round_, clock).start().declare()
    ready.city_review("recommend").formal_review().expert_review("expert1", 85).expert_review("expert2", 80)
    ready.batch("start_notice")
    clock.set(NOTICE_OVER)
    ready.run_worker()
    with pytest.raises(Conflict), transaction():
        batch_action(message="publish", round_id=round_, application_ids=[ready.application_id, early.application_id],
                     user=fresh(User, users["staff"]))
    db.session.remove()
    assert db.session.scalar(select(db.func.count()).select_from(RegisterEntry)) == 0


def test_a_listed_unit_cannot_declare_in_the_same_category_but_may_in_another(users, round_, clock):
    published(users, round_, clock)
    following = next_round()
    with pytest.raises(Conflict) as refused_start:
        Scenario(users, following, clock).start(category="factory")
    assert refused_start.value.code == "already_listed"
    assert "绿色工厂" in refused_start.value.message and "2024年度省级绿色制造名单" in refused_start.value.message
    assert refused_start.value.details["round"] == "2024年度省级绿色制造名单"
    other = Scenario(users, following, clock).start(category="supply_chain")
    assert other.application.category == "supply_chain"


def test_a_removed_unit_is_excluded_by_the_eligibility_decision_although_it_answered_no(users, round_, clock, tmp_path):
    s = published(users, round_, clock)
    entry_id = db.session.scalar(select(RegisterEntry.id).where(RegisterEntry.application_id == s.application_id))
    removal(entry_id, users["staff"], tmp_path)
    # Removed: no longer listed, so the category is open again, but the removal excludes the unit for three years.
    again = Scenario(users, next_round(), clock).start(category="factory").declare()  # answered "no" to every exclusion
    assert again.application.outcome == "不予受理"
    rule = next(e for e in again.trail_events() if e.action == "rule_evaluated" and e.element_id == "Task_eligibility")
    assert rule.payload["exclusion_reasons"] == ["近三年被动态调整出绿色制造名单（经核对省级绿色制造名单库）"]
    started = next(e for e in again.trail_events() if e.action == "application_started")
    assert started.payload["register"]["register_removed"] == "yes"
    assert "2025年发生较大环境污染事故" in started.payload["register"]["register_removed_note"]


def test_a_removal_recorded_after_the_start_still_excludes_at_submit(users, round_, clock, tmp_path):
    s = published(users, round_, clock)
    entry_id = db.session.scalar(select(RegisterEntry.id).where(RegisterEntry.application_id == s.application_id))
    started = Scenario(users, next_round(), clock).start(category="park")  # nothing against the unit yet
    removal(entry_id, users["staff"], tmp_path)
    started.declare(category="park")
    assert started.application.outcome == "不予受理"


def test_an_old_removal_no_longer_excludes(users, round_, clock, tmp_path):
    """近三年: a removal more than three years before the declaration excludes nothing."""
    clock.set(datetime(2020, 5, 6, tzinfo=timezone.utc))
    with transaction():
        entry = RegisterEntry(credit_code="91350100M000100Y43", unit_name="旧单位", category="factory",
                              category_name="绿色工厂", city_code="220100", round_name="2019年度省级绿色制造名单",
                              year=2019, listed_on=date(2019, 12, 1), source="imported", created_by="admin")
        db.session.add(entry)
        db.session.flush()
        entry_id = entry.id
    removal(entry_id, users["staff"], tmp_path, effective_on=date(2020, 5, 1))
    clock.set(datetime(2024, 5, 6, tzinfo=timezone.utc))
    assert register.workflow_facts("91350100M000100Y43")["register_removed"] == "no"
    clock.set(datetime(2023, 4, 30, tzinfo=timezone.utc))
    assert register.workflow_facts("91350100M000100Y43")["register_removed"] == "yes"


def test_a_removal_needs_reason_date_and_document_and_is_audited(users, round_, clock, tmp_path):
    s = published(users, round_, clock)
    entry_id = db.session.scalar(select(RegisterEntry.id).where(RegisterEntry.application_id == s.application_id))
    from service.platform.errors import Forbidden, Invalid

    with pytest.raises(Invalid) as missing:
        removal(entry_id, users["staff"], tmp_path, reason="  ", effective_on=None, document=None)
    assert set(missing.value.fields) == {"reason", "effective_on", "document"}
    with pytest.raises(Invalid) as not_pdf:
        removal(entry_id, users["staff"], tmp_path, document=register.Document("a.pdf", b"<html>"))
    assert "PDF" in not_pdf.value.fields["document"][0]
    with pytest.raises(Invalid) as future:
        removal(entry_id, users["staff"], tmp_path, effective_on=date(2030, 1, 1))
    assert "不能晚于今天" in future.value.fields["effective_on"][0]
    with pytest.raises(Forbidden):
        removal(entry_id, users["changchun"], tmp_path)
    assert fresh(RegisterEntry, entry_id).status == "listed" and list(tmp_path.iterdir()) == []  # nothing written
    change_id = removal(entry_id, users["staff"], tmp_path)
    change = fresh(RegisterStatusChange, change_id)
    assert (change.status, change.reason, change.document_name, change.recorded_by) == (
        "removed", "2025年发生较大环境污染事故", "调整通知.pdf", "staff")
    assert (tmp_path / change.document_stored).read_bytes() == PDF
    events = [json.loads(e.data) | {"actor": e.actor} for e in trail(SYSTEM_CHAIN) if e.action == "register_removed"]
    assert events == [{"entry_id": entry_id, "credit_code": change_entry_code(entry_id), "unit": s.application.unit_name,
                       "category": "factory", "round": "2024年度省级绿色制造名单",
                       "reason": "2025年发生较大环境污染事故", "effective_on": "2024-08-01",
                       "document_number": "吉工信资源〔2024〕200号", "document": "调整通知.pdf",
                       "document_sha256": change.document_sha256, "actor": "staff"}]
    assert verify_chain(SYSTEM_CHAIN).ok
    with pytest.raises(Conflict) as twice:
        removal(entry_id, users["staff"], tmp_path)
    assert twice.value.code == "already_removed"


def change_entry_code(entry_id):
    return fresh(RegisterEntry, entry_id).credit_code


# -- through the API --------------------------------------------------------------------------------

def api_published(api, clock) -> ApiScenario:
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review().expert_reviews()
    s.batch("start-notice")
    clock.set(NOTICE_OVER)
    s.run_worker()
    s.batch("publish")
    for who in ("factory1", "province", "auditor"):  # tokens from before the notice have expired
        api.login(who)
    return s


def api_next_round(api) -> int:
    return ok(api.post("/api/rounds", "province", json={"name": "2025", "year": 2025, "city_deadline": "2025-06-10",
                                                        **OBJECTION_CHANNEL}), 201)["id"]


def test_api_refuses_a_second_declaration_in_a_listed_category_naming_category_and_round(api, clock):
    api_published(api, clock)
    following = api_next_round(api)
    body = refused(api.post("/api/applications", "factory1", json={"round": following, "category": "factory"}),
                   409, "already_listed", "category")
    assert "绿色工厂" in body["message"] and "2024" in body["message"] and body["details"]["round"] == "2024"
    ok(api.post("/api/applications", "factory1", json={"round": following, "category": "supply_chain"}), 201)


def test_api_removal_then_the_exclusion_is_answered_from_the_register(api, clock):
    s = api_published(api, clock)
    found = ok(api.get("/api/list-register?q=" + s.detail()["unit_name"], "province"))
    assert found["total"] == 1
    entry = found["items"][0]
    assert entry["application_id"] == s.application_id and entry["status"] == "listed"
    url = f"/api/list-register/{entry['id']}/removal"
    body = refused(api.post(url, "province", data={"reason": ""}, content_type="multipart/form-data"),
                   422, "validation_failed")
    assert set(body["errors"]) >= {"effective_on"}
    body = refused(api.post(url, "province", data={"reason": "事故", "effective_on": "2024-08-01"},
                            content_type="multipart/form-data"), 422, "validation_failed", "document")
    refused(api.post(url, "factory1", data={"reason": "x", "effective_on": "2024-08-01",
                                            "document": (io.BytesIO(PDF), "a.pdf")},
                     content_type="multipart/form-data"), 403, "forbidden")
    removed = ok(api.post(url, "province", data={"reason": "发生安全事故", "effective_on": "2024-08-01",
                                                 "document": (io.BytesIO(PDF), "调整.pdf")},
                          content_type="multipart/form-data"))
    assert removed["status"] == "removed" and [h["status"] for h in removed["history"]] == ["listed", "removed"]
    document = api.get(f"/api/list-register/documents/{removed['history'][1]['id']}", "auditor")
    assert document.status_code == 200 and document.data == PDF
    assert api.get(f"/api/list-register/documents/{removed['history'][1]['id']}", "factory1").status_code == 403

    again = ApiScenario(api)
    again.round_id = api_next_round(api)
    again.application_id = ok(api.post("/api/applications", "factory1",
                                       json={"round": again.round_id, "category": "factory"}), 201)["id"]
    again.declare()  # "no" to every exclusion: the register says otherwise
    assert again.outcome() == "不予受理"
