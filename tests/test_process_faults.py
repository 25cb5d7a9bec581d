"""Processes that die, and several serving at once: the state is before or after, never in between."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.platform.extensions import db
from service.applications.models import Application, WorkItem
from service.audit.models import AuditEvent
from tests.api import review_for
from tests.processes import spawn
from tests.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent

CRASHING_SUBMIT = """
import json, os, sys
from service import create_app
from service.accounts.models import User
from service.applications.commands import complete_task
from service.platform.extensions import db
from service.platform.transactions import transaction

app = create_app()
mode, application_id, task_id, user_id, version = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
decision = json.loads(sys.argv[6])
with app.app_context():
    if mode == "before-commit":
        db.session.commit = lambda: os._exit(17)  # the engine ran and the rows were flushed; the commit never happens
    with transaction():
        complete_task(application_id=application_id, task_id=task_id, user=db.session.get(User, user_id),
                      data=decision, expected_version=version)
    os._exit(18)  # committed; the process dies before anyone hears back
"""


def snapshot(application_id):
    db.session.remove()
    try:
        application = db.session.get(Application, application_id)
        items = db.session.scalars(select(WorkItem.bpmn_id).where(WorkItem.application_id == application_id)).all()
        events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.application_id == application_id))
        return application.version, application.stage, sorted(items), events
    finally:
        db.session.remove()


def run_child(app, *args):
    decision = json.dumps(review_for(args[1]), ensure_ascii=False)
    db.session.remove()  # hold no lock while the child works
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PYTHONPATH": str(ROOT),
           "GREENLIST_LOG_LEVEL": "WARNING", "SECRET_KEY": app.config["SECRET_KEY"]}
    return subprocess.run([sys.executable, "-c", CRASHING_SUBMIT, *map(str, args), decision], cwd=ROOT, env=env,
                          capture_output=True, timeout=120)


@pytest.fixture
def at_review(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare()
    return s, s.item().task_id, s.application.version


def test_killed_after_the_engine_step_before_commit_leaves_it_as_before(app, users, at_review):
    s, task_id, version = at_review
    before = snapshot(s.application_id)
    child = run_child(app, "before-commit", s.application_id, task_id, users["changchun"], version)
    assert child.returncode == 17, child.stderr.decode()[-2000:]
    assert snapshot(s.application_id) == before
    # A retry completes it, once.
    s.complete("changchun", review_for(s.application_id), bpmn_id="Task_city_review")
    assert snapshot(s.application_id)[1:3] == ("等待市州推荐材料", [])  # recommended once: waits for the package


def test_killed_after_commit_before_the_response_leaves_it_as_after(app, users, at_review):
    s, task_id, version = at_review
    child = run_child(app, "after-commit", s.application_id, task_id, users["changchun"], version)
    assert child.returncode == 18, child.stderr.decode()[-2000:]
    after = snapshot(s.application_id)
    assert after[1] == "等待市州推荐材料" and after[2] == []
    # The client never heard back and retries: refused, and nothing happens twice.
    retry = run_child(app, "retry", s.application_id, task_id, users["changchun"], version)
    assert retry.returncode == 1 and b"StaleVersion" in retry.stderr
    assert snapshot(s.application_id) == after
    db.session.remove()
    completions = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.application_id == s.application_id, AuditEvent.element_id == "Task_city_review",
        AuditEvent.action == "task_completed"))
    assert completions == 1


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_two_gunicorn_processes_under_concurrent_submits(app, users, round_, clock, demo_passwords, tmp_path):
    applications = []
    for n in range(8):
        s = Scenario(users, round_, clock).start(applicant=f"unit{n}").declare(who=f"unit{n}")
        applications.append((s.application_id, s.item().task_id, s.application.version))
    reviews = {application_id: review_for(application_id) for application_id, _, _ in applications}
    db.session.remove()  # hold no lock while the servers work
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PYTHONPATH": str(ROOT),
           "GREENLIST_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "GREENLIST_LOG_LEVEL": "WARNING",
           "SECRET_KEY": app.config["SECRET_KEY"]}  # gunicorn refuses to serve without one
    log = open(tmp_path / "gunicorn.log", "wb")  # a file, not a pipe nobody drains
    server = spawn([sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf",
                               "service.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, body = request(port, "POST", "/api/auth/login", {"username": "changchun", "password": "demo"})
        assert status == 200, body
        token = body["token"]
        results = []

        def client(order):
            for application_id, task_id, version in order:
                results.append((task_id, request(port, "POST", f"/api/tasks/{task_id}/submit",
                                                 {"data": reviews[application_id], "version": version}, token)[0]))

        threads = [threading.Thread(target=client, args=(applications[k:] + applications[:k],)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = (tmp_path / "gunicorn.log").read_bytes()
    assert b"Traceback" not in errors, errors.decode()[-2000:]
    for _, task_id, _ in applications:
        statuses = sorted(status for t, status in results if t == task_id)
        assert statuses[0] == 200 and statuses[1:] == [409, 409, 409], (task_id, statuses)
    for application_id, _, _ in applications:
        assert snapshot(application_id)[1:3] == ("等待市州推荐材料", [])
