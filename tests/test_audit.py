"""The audit trail is provably unaltered: any edit or deletion breaks the hash chain."""
from sqlalchemy import delete, update

from service.audit.chain import application_chain, verify_chain
from service.commands.cli import cli
from service.platform.extensions import db
from service.audit.models import AuditEvent
from tests.scenario import Scenario


def finished(users, round_, clock):
    return Scenario(users, round_, clock).start().declare().city_review("reject")


def test_intact_chain_verifies(users, round_, clock):
    s = finished(users, round_, clock)
    report = verify_chain(application_chain(s.application_id))
    assert report.ok and report.events == len(s.trail())


def test_edited_form_data_is_detected(users, round_, clock):
    s = finished(users, round_, clock)
    target = next(e for e in s.trail_events() if e.action == "task_completed" and e.element_id == "Task_city_review")
    db.session.execute(update(AuditEvent).where(AuditEvent.id == target.id)
                       .values(data=target.data.replace("reject", "recommend")))
    db.session.commit()
    report = verify_chain(application_chain(s.application_id))
    assert not report.ok and report.broken_at == target.seq and "被修改" in report.reason


def test_deleted_event_is_detected(users, round_, clock):
    s = finished(users, round_, clock)
    victim = s.trail_events()[3]
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == victim.id))
    db.session.commit()
    report = verify_chain(application_chain(s.application_id))
    assert not report.ok and report.broken_at == victim.seq and "删除" in report.reason


def test_audit_verify_command(app, users, round_, clock):
    s = finished(users, round_, clock)
    runner = app.test_cli_runner()
    ok = runner.invoke(cli, ["audit-verify"])
    assert ok.exit_code == 0, ok.output
    assert f"application:{s.application_id}" in ok.output
    last = s.trail_events()[-1]
    db.session.execute(update(AuditEvent).where(AuditEvent.id == last.id).values(actor="someone-else"))
    db.session.commit()
    bad = runner.invoke(cli, ["audit-verify", "--application", str(s.application_id)])
    assert bad.exit_code == 1
    assert f"第 {last.seq} 条事件校验失败" in bad.output


def test_deleting_a_whole_chain_is_caught_by_the_anchor(app, users, round_, clock):
    from datetime import date

    from service.audit.chain import write_anchor
    from service.platform.transactions import transaction

    s = finished(users, round_, clock)
    kept = Scenario(users, round_, clock).start(applicant="other_applicant")
    with transaction():
        write_anchor(date(2024, 5, 6))
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["audit-verify"]).exit_code == 0
    db.session.execute(delete(AuditEvent).where(AuditEvent.chain == application_chain(s.application_id)))
    db.session.commit()
    result = runner.invoke(cli, ["audit-verify"])
    assert result.exit_code == 1
    assert f"application:{s.application_id}: 2024-05-06 锚定的第" in result.output
    assert "整条链已被删除" in result.output
    assert f"application:{kept.application_id}: " in result.output and "校验通过" in result.output


def test_anchor_digest_covers_every_head(app, users, round_, clock):
    from datetime import date

    from service.audit.chain import chain_heads, write_anchor
    from service.platform.transactions import transaction

    s = finished(users, round_, clock)
    with transaction():
        anchor = write_anchor(date(2024, 5, 6))
        assert write_anchor(date(2024, 5, 6)) is anchor  # one per day
        anchored = dict(anchor.heads)
    heads = chain_heads()
    assert heads[application_chain(s.application_id)][0] == len(s.trail())
    assert anchored == heads


def test_audit_export_shows_the_whole_path(app, users, round_, clock, demo_passwords):
    import json as jsonlib

    from tests.api import ApiClient

    s = Scenario(users, round_, clock).start().declare().city_review("send_back").declare().city_review("reject")
    client = ApiClient(app.test_client())
    response = client.get(f"/api/applications/{s.application_id}/audit/export", "staff")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    export = jsonlib.loads(response.data)
    assert export["verification"] == {"verified": True, "broken_at": None, "reason": None}
    assert [(step["step"], step["by"]) for step in export["steps"]] == [
        ("Task_declare_factory", "applicant"), ("Task_city_review", "changchun"),
        ("Task_declare_factory", "applicant"), ("Task_city_review", "changchun")]
    assert export["steps"][1]["data"]["decision"] == "send_back"
    assert export["path"][:3] == ["Start_apply", "Gateway_category", "Task_declare_factory"]
    assert export["path"][-1] == "End_not_recommended"
    assert "green_round.bpmn" in export["diagrams"] and "state" not in export["application"]
    assert client.get(f"/api/applications/{s.application_id}/audit/export", "jilin").status_code == 404
