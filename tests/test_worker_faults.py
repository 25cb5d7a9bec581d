"""Workers side by side, and a worker killed mid-run: every due timer fires exactly once."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from service.audit.chain import application_chain, verify_chain
from service.platform.extensions import db
from service.applications.models import Application, Timer, TimerFiring
from service.audit.models import AuditEvent
from tests.processes import spawn
from tests.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
TIMERS = int(os.environ.get("GREENLIST_FAULT_TIMERS", "2000"))


@pytest.fixture
def due_timers(app, users, round_, clock):
    """TIMERS applications waiting in city review, all with the city deadline (10 June 2024) long past.

    One is driven through the engine; the rest are copies of its row (state and timer), which the
    worker loads and fires like any other application.
    """
    s = Scenario(users, round_, clock).start().declare()
    original = db.session.get(Application, s.application_id)
    timer = db.session.scalar(select(Timer).where(Timer.application_id == original.id))
    columns = {c.key: getattr(original, c.key) for c in Application.__table__.columns if c.key != "id"}
    first = original.id + 1
    db.session.execute(insert(Application), [
        {**columns, "id": first + n, "applicant_unit": f"副本{n}", "unit_name": f"副本{n}",
         "number": f"{original.number}-{n}"} for n in range(TIMERS - 1)])
    db.session.execute(insert(Timer), [
        {"application_id": first + n, "task_id": timer.task_id, "element_id": timer.element_id, "due_at": timer.due_at}
        for n in range(TIMERS - 1)])
    db.session.commit()
    db.session.remove()
    return TIMERS


def worker(app, log):
    """A real `greenlist worker` process on the test database, polling every 50 ms (on the real clock).

    Its log goes to a file: a pipe nobody reads fills up and blocks the worker mid-transaction.
    """
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PYTHONPATH": str(ROOT),
           "GREENLIST_LOG_LEVEL": "WARNING"}
    return spawn([sys.executable, "-m", "service.commands.cli", "worker", "--interval", "0.05"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)


def count(model, *where):
    try:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        db.session.remove()  # on SQLite every transaction holds the write lock: give it back at once


def wait_until(condition, seconds=240):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def assert_each_fired_once(expected):
    assert count(TimerFiring) == expected
    assert count(AuditEvent, AuditEvent.action == "timer_fired") == expected
    assert count(Application, Application.outcome == "逾期未推荐") == expected
    assert count(Timer) == 0
    db.session.remove()
    for application_id in db.session.scalars(select(Application.id).order_by(func.random()).limit(20)):
        assert verify_chain(application_chain(application_id)).ok


def test_two_workers_fire_every_timer_exactly_once(app, due_timers, tmp_path):
    logs = [open(tmp_path / f"worker{n}.log", "wb") for n in range(2)]
    workers = [worker(app, log) for log in logs]
    try:
        assert wait_until(lambda: count(Timer) == 0), f"{count(Timer)} timers left"
    finally:
        for process in workers:
            process.terminate()
            process.wait(timeout=30)
    errors = b"".join((tmp_path / f"worker{n}.log").read_bytes() for n in range(2))
    assert b"Traceback" not in errors, errors.decode()[-2000:]
    assert_each_fired_once(due_timers)


def test_a_killed_worker_loses_no_timer(app, due_timers, tmp_path):
    log = open(tmp_path / "workers.log", "wb")
    first = worker(app, log)
    assert wait_until(lambda: count(TimerFiring) >= 50)
    first.send_signal(signal.SIGKILL)  # mid-run: no chance to clean up
    first.wait(timeout=30)
    assert 0 < count(TimerFiring) < due_timers
    second = worker(app, log)
    try:
        assert wait_until(lambda: count(Timer) == 0), f"{count(Timer)} timers left"
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert_each_fired_once(due_timers)
