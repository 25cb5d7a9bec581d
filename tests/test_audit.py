"""The audit trail is provably unaltered: any edit or deletion breaks the hash chain."""
from sqlalchemy import delete, select, update

from service.audit import application_chain, verify_chain
from service.cli import cli
from service.extensions import db
from service.models import AuditEvent
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
