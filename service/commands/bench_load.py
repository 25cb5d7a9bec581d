"""The benchmark's multi-process phases: throughput through gunicorn with 2 workers, and 2 `greenlist worker`
processes draining timers that all fall due at once, with what each prepares (the round reopened on the real
clock, the timer copies). Both run on the real clock; their processes are always stopped (SIGTERM, then
SIGKILL) however the phase ends."""
from __future__ import annotations

import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, update

from service.accounts.models import User
from service.accounts.service import issue_token
from service.applications.models import Application, Timer, TimerFiring, WorkItem
from service.audit.models import AuditEvent
from service.commands.bench_data import (BATCH, Units, advance_sequences, bulk_insert, count, template_row, unit_code,
                                         unit_name)
from service.engine.clock import SystemClock, use_clock
from service.platform.transactions import transaction
from service.rounds.models import Round
from service.commands.bench_http import Client, drive, start_gunicorn, start_workers, stop
from service.notify.models import Notification
from service.platform.extensions import db
from service.versions.samples import sample_declaration
from service.commands.sample_reports import SAMPLE_REPORT_PDF

GUNICORN_WORKERS = 2
TIMER_WORKERS = 2


def _figures(run: dict) -> dict:
    return {key: value for key, value in run.items() if key != "answers"}


def _tracebacks(log_path: Path) -> int:
    return log_path.read_bytes().count(b"Traceback") if log_path.exists() else 0


def gunicorn_phase(database_url: str, round_id: int, starters: list[dict], *, threads: int, seconds: float,
                   scratch: Path) -> dict:
    """Application starts, each by its own applicant account, then the same applicants' declarations."""
    log_path = scratch / "gunicorn.log"
    with open(log_path, "wb") as log:
        process, port = start_gunicorn(database_url, secrets.token_hex(32), log, GUNICORN_WORKERS)
        try:
            starts = drive(port, starters, lambda client, job: client.call(
                "POST", "/api/applications", job["token"], {"round": round_id, "category": "factory"}),
                threads=threads, seconds=seconds)
            declarations = [{**job, "task_id": body["open_tasks"][0]["task_id"], "version": body["version"],
                             "application_id": body["id"]} for job, body in starts["answers"]]
            _attach_reports(port, declarations)  # a declaration needs its evaluation report (not timed)
            submits = drive(port, declarations, lambda client, job: client.call(
                "POST", f"/api/tasks/{job['task_id']}/submit", job["token"],
                {"data": sample_declaration("factory", unit_name=job["unit"], serial=job["serial"]),
                 "version": job["version"]}), threads=threads, seconds=seconds)
        finally:
            stop(process)
    return {"workers": GUNICORN_WORKERS, "threads": threads, "seconds_limit": seconds, "starts": _figures(starts),
            "submits": _figures(submits), "server_tracebacks": _tracebacks(log_path)}


def _attach_reports(port: int, declarations: list[dict]) -> None:
    client = Client(port)
    try:
        for job in declarations:
            client.upload("/api/attachments", job["token"], {"application_id": job["application_id"],
                                                             "kind": "third_party_report"},
                          "第三方评价报告.pdf", SAMPLE_REPORT_PDF)
    finally:
        client.close()


def _in(column, ids: range):
    return column.between(ids.start, ids.stop - 1)


def _timer_state(ids: range) -> dict:
    now = datetime.now(timezone.utc)
    return {"due": count(Timer, _in(Timer.application_id, ids), Timer.due_at <= now),
            "fired": count(TimerFiring, _in(TimerFiring.application_id, ids)),
            "unsent": count(Notification, _in(Notification.application_id, ids), Notification.sent_at.is_(None)),
            "notifications": count(Notification, _in(Notification.application_id, ids))}


def timers_phase(database_url: str, ids: range, *, limit_seconds: float, scratch: Path, progress) -> dict:
    """Time until no timer of ``ids`` is due and each fired once, then until their notifications are sent."""
    expected = len(ids)
    log_path = scratch / "workers.log"
    fired_after = sent_after = None
    db.session.remove()
    with open(log_path, "wb") as log:
        workers = start_workers(database_url, log, TIMER_WORKERS)
        started = time.monotonic()
        try:
            while time.monotonic() - started < limit_seconds:
                time.sleep(0.5)
                state = _timer_state(ids)
                progress.count(state["fired"], expected)
                if fired_after is None and state["due"] == 0 and state["fired"] >= expected:
                    fired_after = time.monotonic() - started
                if fired_after is not None and state["unsent"] == 0:
                    sent_after = time.monotonic() - started
                    break
                if any(worker.poll() is not None for worker in workers):
                    break
        finally:
            for worker in workers:
                stop(worker)
    state = _timer_state(ids)
    distinct = db.session.scalar(select(func.count(func.distinct(TimerFiring.application_id)))
                                 .where(_in(TimerFiring.application_id, ids)))
    audited = count(AuditEvent, _in(AuditEvent.application_id, ids), AuditEvent.action == "timer_fired")
    ended = count(Application, _in(Application.id, ids), Application.outcome.is_not(None))
    return {"timers": expected, "workers": TIMER_WORKERS, "limit_seconds": limit_seconds,
            "complete": sent_after is not None, "fired": state["fired"], "still_due": state["due"],
            "exactly_once": state["fired"] == expected == distinct == audited, "applications_ended": ended,
            "seconds_to_fire": fired_after, "notifications": state["notifications"],
            "notifications_unsent": state["unsent"], "seconds_to_send": sent_after,
            "fired_per_second": expected / fired_after if fired_after else None,
            "worker_tracebacks": _tracebacks(log_path)}


# -- the timer phase's copies ------------------------------------------------------------------

def timer_copies(template_id: int, copies: int, units: Units) -> range:
    """``copies`` applications like the template (declaration open, city-deadline timer waiting): the same
    state and Timer row, their own open declaration task, each owned by a unit with an account."""
    template = template_row(template_id)
    timer = db.session.scalar(select(Timer).where(Timer.application_id == template_id))
    item = db.session.scalar(select(WorkItem).where(WorkItem.application_id == template_id))
    first = (db.session.scalar(select(func.max(Application.id))) or 0) + 1
    for start in range(0, copies, BATCH):
        ids = range(first + start, first + min(start + BATCH, copies))
        apps, timers, items = [], [], []
        for app_id in ids:
            k = units.filler(app_id)
            apps.append({**template, "id": app_id, "applicant_unit": unit_code(k), "unit_name": unit_name(k),
                         "city_code": units.city(k), "number": f"2024-BENCH-{units.city(k)}-{app_id:07d}"})
            timers.append(dict(application_id=app_id, task_id=timer.task_id, element_id=timer.element_id,
                               due_at=timer.due_at))
            items.append(dict(application_id=app_id, task_id=str(uuid.uuid4()), bpmn_id=item.bpmn_id, name=item.name,
                              role=item.role, form=item.form, city_code=units.city(k), category=item.category,
                              applicant_unit=unit_code(k), assignee=None, claimed_by=None, created_at=item.created_at,
                              due_at=item.due_at, due_order=item.due_order))
        bulk_insert(Application, apps)
        bulk_insert(Timer, timers)
        bulk_insert(WorkItem, items)
    advance_sequences("application", "timer", "work_item")
    return range(first, first + copies)


def quiet_everything_but(timer_set: range) -> None:
    """The timer phase measures its own applications: other applications' deadlines are not due during
    it, and notifications queued by earlier phases count as delivered."""
    now = datetime.now(timezone.utc)
    with transaction():
        db.session.execute(Timer.__table__.delete().where(
            Timer.due_at <= now + timedelta(days=1),
            ~Timer.application_id.between(timer_set.start, timer_set.stop - 1)))
        db.session.execute(update(Notification).where(Notification.sent_at.is_(None)).values(sent_at=now))


# -- the gunicorn phase's round and accounts ----------------------------------------------------

def reopen_on_real_clock(round_id: int, units: Units, count: int) -> tuple[datetime, list[dict]]:
    """gunicorn runs on the real clock: the round holding every application gets a deadline 180 days from
    now (returns the old one), and ``count`` units that have not declared yet get bearer tokens."""
    with use_clock(SystemClock()), transaction():
        round_ = db.session.get(Round, round_id)
        previous = round_.city_deadline
        round_.city_deadline = round_.unit_deadline = datetime.now(timezone.utc) + timedelta(days=180)
        names = [f"unit{k:05d}" for k in range(units.changchun, min(units.reserved, units.changchun + count))]
        accounts = db.session.scalars(select(User).where(User.username.in_(names)).order_by(User.id)).all()
        return previous, [{"token": issue_token(user), "unit": user.unit_name, "serial": user.id} for user in accounts]


def set_deadline(round_id: int, deadline: datetime) -> None:
    with transaction():
        round_ = db.session.get(Round, round_id)
        round_.city_deadline = round_.unit_deadline = deadline  # the bench's round files until the city deadline
