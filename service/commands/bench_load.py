"""The benchmark's multi-process phases: throughput through gunicorn with 2 workers, and 2 `greenlist worker`
processes draining timers that all fall due at once. Both run on the real clock; their processes are
always stopped (SIGTERM, then SIGKILL) however the phase ends."""
from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from service.applications.models import Application, Timer, TimerFiring
from service.audit.models import AuditEvent
from service.commands.bench_data import count
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
