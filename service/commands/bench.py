"""`greenlist bench`: API latency at 10,000 and 100,000 applications, measured over HTTP.

For each size a scratch database is filled with applications spread over the cities
and the steps of the round (filler rows inserted in bulk, plus real applications
driven through the engine for the submit measurements), a real HTTP server is
started on 127.0.0.1, and each endpoint is timed from a keep-alive client.
"""
from __future__ import annotations

import http.client
import json
import random
import re
import secrets
import statistics
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event, insert, select
from werkzeug.serving import make_server

from service import create_app
from service.accounts.service import issue_token
from service.applications.commands import complete_task, start_application
from service.commands.demo import CITY_ACCOUNTS, DEMO_PASSWORD, seed_demo
from service.versions.samples import sample_declaration
from service.engine.bundle import Bundle
from service.engine.clock import ManualClock, use_clock
from service.platform.extensions import db
from service.applications.models import NO_DUE_DATE, Application, WorkItem
from service.rounds.models import Round
from service.accounts.models import User
from service.platform.database import upgrade_database
from service.platform.transactions import transaction

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)
# Where filler applications stand: (share, bpmn id, name, role).
STEPS = [(0.35, "Task_declare_factory", "填报绿色工厂申报书", "applicant"),
         (0.25, "Task_city_review", "市州初审推荐", "city_reviewer"),
         (0.15, "Task_formal_review", "形式审查与遴选专家", "province_staff"),
         (0.10, "Task_expert_review", "专家评审", "expert"),
         (0.15, None, "列入名单", None)]
REVIEW = {"consult_ecology": "无", "consult_emergency": "无", "consult_market": "无", "decision": "recommend",
          "recommend_rank": 1}


def _fill(count: int, round_id: int, version_id: int, creator_id: int, expert_ids: list[int], template: str):
    """Insert ``count`` filler applications and their open tasks in bulk (never loaded by the benchmark)."""
    rng = random.Random(count)
    cities = list(CITY_ACCOUNTS)
    categories = ["factory", "park", "supply_chain"]
    app_rows, item_rows = [], []
    next_id = (db.session.scalar(select(db.func.max(Application.id))) or 0) + 1
    for n in range(count):
        share, acc = rng.random(), 0.0
        for weight, bpmn_id, name, role in STEPS:
            acc += weight
            if share <= acc:
                break
        city, category = rng.choice(cities), rng.choice(categories)
        unit = f"填充单位{next_id + n}"
        created = START + timedelta(minutes=n % 10000)
        app_rows.append(dict(id=next_id + n, round_id=round_id, process_version_id=version_id, category=category,
                             city_code=city, applicant_unit=unit, unit_name=unit, created_by=creator_id,
                             state=template, version=2, stage=name, outcome=None if bpmn_id else name,
                             created_at=created, updated_at=created))
        if bpmn_id is None:
            continue
        assignees = [str(e) for e in rng.sample(expert_ids, 3)] if role == "expert" else [None]
        due = datetime(2024, 6, 10, 16, tzinfo=timezone.utc) if role in ("applicant", "city_reviewer") else None
        for assignee in assignees:
            item_rows.append(dict(application_id=next_id + n, task_id=str(uuid.uuid4()), bpmn_id=bpmn_id, name=name,
                                  role=role, form=None, city_code=city, category=category, applicant_unit=unit,
                                  assignee=assignee, created_at=created, due_at=due, due_order=due or NO_DUE_DATE))
        if len(app_rows) >= 5000:
            db.session.execute(insert(Application), app_rows)
            db.session.execute(insert(WorkItem), item_rows)
            app_rows, item_rows = [], []
    if app_rows:
        db.session.execute(insert(Application), app_rows)
        db.session.execute(insert(WorkItem), item_rows)


def _prepare(url: str, size: int, submits: int):
    # A scratch database on this machine: a throwaway signing key is enough.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32)})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade_database()
        with transaction():
            seed_demo(Bundle.from_directories(ROOT / "processes", ROOT / "forms"))
        round_ = db.session.scalar(select(Round))
        factory1 = db.session.scalar(select(User).where(User.username == "factory1"))
        experts = [u.id for u in db.session.scalars(select(User)) if u.has_role("expert")]
        # Real applications at city review in Changchun: one per submit measurement.
        real = []
        for n in range(submits):
            with transaction():
                unit = User(username=f"bench{n}", password_hash="!", display_name=f"基准单位{n}", roles=["applicant"],
                            city_code="220100", unit_name=f"基准单位{n}")
                db.session.add(unit)
                db.session.flush()
                application = start_application(round_id=round_.id, category="factory", user=unit)
                task = db.session.scalar(select(WorkItem.task_id).where(WorkItem.application_id == application.id))
                complete_task(application_id=application.id, task_id=task, user=unit,
                              data=sample_declaration("factory", unit_name=f"基准单位{n}", serial=n + 1))
                real.append(application.id)
        template = db.session.get(Application, real[0]).state
        with transaction():
            _fill(size - submits, round_.id, round_.process_version_id, factory1.id, experts, template)
        if url.startswith("sqlite"):
            # Steady state: fold the bulk load out of the write-ahead log before measuring
            # (outside any transaction, on the raw connection).
            db.session.remove()
            raw = db.engine.raw_connection()
            try:
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        with transaction():
            tokens = {name: issue_token(db.session.scalar(select(User).where(User.username == name)))
                      for name in ("changchun", "province", "factory1")}
        return app, real, tokens


class _Client:
    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)

    def web_login(self, username: str) -> str:
        """Log in through the login page as a browser does; returns the session cookie."""
        self.connection.request("GET", "/login")
        response = self.connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie").split(";")[0]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf_token": csrf, "username": username, "password": DEMO_PASSWORD})
        self.connection.request("POST", "/login", body=form, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        response = self.connection.getresponse()
        response.read()
        if response.status != 302:
            raise RuntimeError(f"web login as {username} -> {response.status}")
        return response.getheader("Set-Cookie").split(";")[0]

    def page(self, path: str, cookie: str) -> float:
        started = time.perf_counter()
        self.connection.request("GET", path, headers={"Cookie": cookie})
        response = self.connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"GET {path} -> {response.status}")
        return elapsed

    def timed(self, method, path, token, body=None) -> tuple[float, dict]:
        headers = {"Authorization": f"Bearer {token}"}
        payload = None
        if body is not None:
            payload, headers["Content-Type"] = json.dumps(body), "application/json"
        started = time.perf_counter()
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} -> {response.status} {data[:200]!r}")
        return elapsed, json.loads(data) if data else {}


def _summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)]}


def _measure(app, real, tokens, runs: int, clock) -> dict:
    server = make_server("127.0.0.1", 0, app, threaded=False)

    def serve():
        with use_clock(clock):  # the server thread runs on the benchmark's clock too
            server.serve_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    statements = []

    with app.app_context():
        engine = db.engine

    def count_statement(*args, **kwargs):
        statements.append(1)

    try:
        client = _Client(server.server_port)
        results = {name: [] for name in ("baseline", "inbox_city", "inbox_province", "detail", "submit",
                                         "inbox_page_city", "inbox_page_province", "inbox_page_province_last")}
        cookies = {name: client.web_login(name) for name in ("changchun", "province")}
        for _ in range(runs):
            results["inbox_page_city"].append(client.page("/inbox", cookies["changchun"]))
            results["inbox_page_province"].append(client.page("/inbox", cookies["province"]))
            results["inbox_page_province_last"].append(client.page("/inbox?page=500", cookies["province"]))
            results["baseline"].append(client.timed("GET", "/api/me", tokens["province"])[0])
            results["inbox_city"].append(client.timed("GET", "/api/tasks", tokens["changchun"])[0])
            results["inbox_province"].append(client.timed("GET", "/api/tasks", tokens["province"])[0])
            results["detail"].append(client.timed("GET", f"/api/applications/{random.choice(real)}",
                                                  tokens["province"])[0])
        writes = []
        for application_id in real[:runs]:
            _, detail = client.timed("GET", f"/api/applications/{application_id}", tokens["province"])
            task_id = detail["open_tasks"][0]["task_id"]
            statements.clear()
            event.listen(engine, "before_cursor_execute", count_statement)
            elapsed, _ = client.timed("POST", f"/api/tasks/{task_id}/submit", tokens["changchun"],
                                      {"data": REVIEW, "version": detail["version"]})
            event.remove(engine, "before_cursor_execute", count_statement)
            results["submit"].append(elapsed)
            writes.append(len(statements))
        summary = {name: _summary(samples) for name, samples in results.items()}
        summary["sql_per_submit"] = {"median": statistics.median(writes), "max": max(writes)}
        return summary
    finally:
        server.shutdown()


def run_benchmark(sizes=(10_000, 100_000), runs: int = 200, database_url: str | None = None, echo=print) -> dict:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines in the report
    report = {}
    clock = ManualClock(START)
    with use_clock(clock):
        for size in sizes:
            scratch = tempfile.mkdtemp(prefix="greenlist-bench-")
            url = database_url or f"sqlite:///{scratch}/bench.sqlite"
            started = time.perf_counter()
            app, real, tokens = _prepare(url, size, runs)
            echo(f"已准备 {size:,} 个申报（{time.perf_counter() - started:.0f} 秒），开始测量……")
            report[size] = _measure(app, real, tokens, runs, clock)
    return report


def format_report(report: dict) -> list[str]:
    sizes = sorted(report)
    lines = [f"{'接口':<16}" + "".join(f"{f'{s:,} 中位数':>16}{'p99':>10}{'/基线':>8}" for s in sizes)
             + (f"{'大/小':>8}" if len(sizes) > 1 else "")]
    labels = {"baseline": "基线 GET /api/me", "inbox_city": "待办（市州）", "inbox_province": "待办（省厅）",
              "detail": "申报详情", "submit": "提交任务", "inbox_page_city": "待办网页（市州）",
              "inbox_page_province": "待办网页（省厅）", "inbox_page_province_last": "待办网页第500页"}
    for key, label in labels.items():
        row = f"{label:<16}"
        for size in sizes:
            figures, base = report[size][key], report[size]["baseline"]["median"]
            row += f"{figures['median']:>13.2f} ms{figures['p99']:>7.2f} ms{figures['median'] / base:>7.1f}x"
        if len(sizes) > 1:
            row += f"{report[sizes[-1]][key]['median'] / report[sizes[0]][key]['median']:>7.2f}x"
        lines.append(row)
    lines.append("每次提交的 SQL 语句数：" + "，".join(
        f"{s:,} 时中位数 {report[s]['sql_per_submit']['median']}、最多 {report[s]['sql_per_submit']['max']}"
        for s in sizes))
    return lines
