"""Load: 50 clients work their inboxes against gunicorn + PostgreSQL; no 5xx, nothing lost or duplicated."""
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.applications.saving import load as _load
from service.audit.chain import application_chain, verify_chain
from service.platform.extensions import db
from service.applications.models import Application, WorkItem
from service.audit.models import AuditEvent
from service.accounts.models import User
from service.platform.transactions import transaction
from tests.api import REVIEW
from tests.processes import spawn
from service.commands.demo import ensure_user
from tests.scenario import Scenario
from tests.test_process_faults import free_port

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("GREENLIST_LOAD_SECONDS", "60"))
APPLICATIONS = int(os.environ.get("GREENLIST_LOAD_APPLICATIONS", "600"))
CLIENTS = 50

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                                reason="the load test targets gunicorn + PostgreSQL; CI runs it there")


class Client:
    def __init__(self, port, username):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = self.call("POST", "/api/auth/login", {"username": username, "password": "demo"})[1]["token"]

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        self.connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, json.loads(data or b"{}"), (time.perf_counter() - started) * 1000


def test_fifty_clients_for_a_minute(app, users, round_, clock, demo_passwords, tmp_path):
    with transaction():  # applicant units spread over Changchun; reviewers: changchun plus 9 more accounts
        reviewers = ["changchun"]
        for n in range(9):
            reviewer = User(username=f"cc_reviewer{n}", display_name=f"长春初审{n}", roles=["city_reviewer"],
                            city_code="220100")
            reviewer.set_password("demo")
            db.session.add(reviewer)
            reviewers.append(reviewer.username)
    Scenario(users, round_, clock).start(applicant="unit0").declare(who="unit0")
    for n in range(1, APPLICATIONS):
        applicant = f"unit{n % 8}" if n < 8 else None
        if applicant is None:
            with transaction():
                users[f"load{n}"] = ensure_user(username=f"load{n}", display_name=f"负载单位{n}", roles=["applicant"],
                                                city_code="220100", unit_name=f"负载单位{n}").id
            applicant = f"load{n}"
        Scenario(users, round_, clock).start(applicant=applicant).declare(who=applicant)
    db.session.remove()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GREENLIST_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "4",
           "GREENLIST_LOG_LEVEL": "WARNING", "SECRET_KEY": app.config["SECRET_KEY"]}
    log = open(tmp_path / "gunicorn.log", "wb")
    server = spawn([sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf", "service.wsgi:app"],
                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    statuses, latencies, submitted = [], [], []
    try:
        wait_for(port)
        stop = time.monotonic() + SECONDS

        def work(username):
            client = Client(port, username)
            while time.monotonic() < stop:
                status, inbox, ms = client.call("GET", "/api/tasks?claimed=no")
                statuses.append(status)
                latencies.append(ms)
                if status != 200 or not inbox["items"]:
                    time.sleep(0.05)
                    continue
                item = inbox["items"][hash((username, time.monotonic())) % len(inbox["items"])]
                status, page, ms = client.call("GET", f"/api/tasks/{item['task_id']}")
                statuses.append(status)
                if status != 200:
                    continue
                status, _, ms = client.call("POST", f"/api/tasks/{item['task_id']}/submit", {
                    "data": {**REVIEW, "decision": "recommend"}, "version": page["version"]})
                statuses.append(status)
                latencies.append(ms)
                if status == 200:
                    submitted.append(item["application_id"])

        threads = [threading.Thread(target=work, args=(reviewers[k % len(reviewers)],)) for k in range(CLIENTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SECONDS + 120)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not [s for s in statuses if s >= 500], (tmp_path / "gunicorn.log").read_text()[-3000:]
    assert len(submitted) == len(set(submitted)), "a task was completed twice"
    db.session.remove()
    completions = dict(db.session.execute(
        select(AuditEvent.application_id, func.count()).where(AuditEvent.action == "task_completed",
                                                              AuditEvent.element_id == "Task_city_review")
        .group_by(AuditEvent.application_id)).all())
    assert set(completions) == set(submitted) and set(completions.values()) <= {1}
    for application_id in db.session.scalars(select(Application.id)):
        loaded = _load(application_id)
        ready = sorted(t.id for t in loaded.engine.ready_tasks(loaded.workflow))
        indexed = sorted(db.session.scalars(select(WorkItem.task_id).where(WorkItem.application_id == application_id)))
        assert ready == indexed, application_id  # nothing lost from, nothing extra in, the inbox index
        assert verify_chain(application_chain(application_id)).ok
        db.session.rollback()
    ordered = sorted(latencies)
    print(f"\nload: {CLIENTS} clients, {elapsed:.0f} s, {len(submitted)} submits "
          f"({len(submitted) / elapsed:.1f}/s), {len(statuses)} requests, median {statistics.median(ordered):.1f} ms, "
          f"p99 {ordered[int(len(ordered) * 0.99) - 1]:.1f} ms, 409s {statuses.count(409)}")


def wait_for(port):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")
