"""`greenlist bench`: what a submit, an inbox, a page, a start under gunicorn and a timer drain cost, in one run.

The database it is given is emptied and rebuilt (a scratch SQLite file by default). A run goes:
schema → the demo's accounts plus staff (~50 accounts) → real applications driven through the service →
bulk filler to the first size → submits at ~50 accounts → applicant accounts up to 20,000 → for each
size: filler, then the submit against its unavoidable parts, the inboxes and the pages → the send-back
loop → starts and declarations through gunicorn → timers due at once drained by two workers.
The figures are explained in README.md, "Benchmark"; bench_report.py prints them.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from service import create_app
from service.accounts.models import User
from service.commands import bench_data as data
from service.commands.bench_http import Client, in_process_server
from service.commands.bench_load import (gunicorn_phase, quiet_everything_but, reopen_on_real_clock, set_deadline,
                                        timer_copies, timers_phase)
from service.commands.bench_phases import inbox, page, send_back_loop, submits, unavoidable_parts
from service.engine.clock import ManualClock, use_clock
from service.platform.config import normalise_database_url
from service.platform.extensions import db
from service.platform.transactions import transaction

FULL = {"users": 20_000, "timers": 10_000, "loops": 300, "starts": 2_000, "threads": 8, "load_seconds": 20.0,
        "timer_limit": 900.0}
WARM_UP = 3
QUICK = {**FULL, "timers": 500, "loops": 30, "starts": 200, "load_seconds": 5.0, "timer_limit": 120.0}


class BenchRefused(Exception):
    """The database named is not one the benchmark may empty."""


def check_database_url(url: str, *, force: bool = False) -> None:
    """The benchmark drops the schema: never the shared `test` database, and only a `bench` one unless forced."""
    parsed = make_url(normalise_database_url(url))
    name = parsed.database or ""
    base = Path(name).stem if parsed.get_backend_name() == "sqlite" else name
    if base.lower() == "test":
        raise BenchRefused(f"拒绝使用数据库 {name!r}：它是他人运行测试的库，基准测试会清空它")
    if "bench" not in base.lower() and not force:
        raise BenchRefused(f"数据库 {name!r} 的名称不含 bench：基准测试会删除并重建其中的全部表；确认无误请加 --force")


class Progress:
    """A line at the start and end of each phase with the seconds since the run began; a counter for long loads."""

    def __init__(self, echo):
        self.echo, self.began, self.phases, self._shown = echo, time.monotonic(), {}, None

    @contextmanager
    def phase(self, name: str):
        started = time.monotonic()
        self.echo(f"[{started - self.began:7.1f} s] {name}……")
        yield
        self.phases[name] = time.monotonic() - started
        self.echo(f"[{time.monotonic() - self.began:7.1f} s]   完成（{self.phases[name]:.1f} 秒）")

    def count(self, done: int, total: int) -> None:
        """Every tenth of a load of at least 1,000 items."""
        if total < 1000 or not done:
            return
        mark = (total, done * 10 // total)
        if mark != self._shown:
            self._shown = mark
            self.echo(f"            {done:,} / {total:,}")


def _measure_size(client: Client, tokens: dict, clock, *, pool: list[int], probe: int, shown: int, runs: int) -> dict:
    task = data.open_task(shown, "Task_city_review")
    db.session.remove()  # SQLite: a read left open would hold the write lock against the server thread
    parts = unavoidable_parts(client, probe, clock, runs)
    submit = submits(client, tokens, pool)
    return {"applications": data.application_count(), "users": data.count(User), "submit": submit,
            "unavoidable": parts, "submit_ratio": submit["median_ms"] / parts["sum_ms"],
            "inbox_city": inbox(client, tokens["changchun"], runs),
            "inbox_province": inbox(client, tokens["province"], runs),
            "task_page": page(client, f"/api/tasks/{task}", tokens["changchun"], runs),
            "application_page": page(client, f"/api/applications/{shown}", tokens["province"], runs)}


def _fill_to(size: int, template: int, units, progress) -> None:
    with progress.phase(f"批量填充至 {size:,} 个申报"):
        with transaction():
            data.fill(size - data.application_count(), template_id=template, units=units, progress=progress)
        data.analyze()


@dataclass
class Prepared:
    """What the in-process phases leave for the later ones."""

    units: data.Units
    round_id: int
    real: int  # applications driven through the service; the unit after them is the loop's, then the timers'


def run_benchmark(sizes=(10_000, 100_000), runs: int = 200, database_url: str | None = None, *, force=False,
                  quick=False, echo=print, **settings) -> dict:
    """Run every phase once; returns the figures (bench_report.format_report prints them)."""
    options = {**(QUICK if quick else FULL), **{k: v for k, v in settings.items() if v is not None}}
    scratch = Path(tempfile.mkdtemp(prefix="greenlist-bench-"))
    url = database_url or f"sqlite:///{scratch}/bench.sqlite"
    check_database_url(url, force=force)
    for noisy in ("werkzeug", "alembic"):  # no access or migration log lines in the report
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sizes, runs = sorted(sizes), max(1, runs)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32),
                      "GREENLIST_LOG_LEVEL": "WARNING"})
    progress, clock = Progress(echo), ManualClock(data.START)
    report = {"database": make_url(normalise_database_url(url)).render_as_string(hide_password=True),
              "dialect": None, "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "cpus": os.cpu_count(), "load_average_before": os.getloadavg()[0], "runs": runs, "quick": quick,
              "options": options, "sizes": {}}
    try:
        with app.app_context():
            report["dialect"] = data.dialect()
            with progress.phase("删除并重建数据库结构"):
                data.reset_schema()
            with use_clock(clock):
                prepared = _in_process_phases(app, clock, sizes, runs, options, progress, report)
                report["gunicorn"] = _gunicorn(url, options, progress, prepared, scratch)
                report["timers"] = _timers(url, options, progress, prepared, scratch)
            db.session.remove()
            db.engine.dispose()
    finally:
        _clean_up(scratch, report, echo)
    report["phases"] = progress.phases
    report["seconds"] = time.monotonic() - progress.began
    report["load_average_after"] = os.getloadavg()[0]
    return report


def _clean_up(scratch: Path, report: dict, echo) -> None:
    """The scratch directory (the SQLite file, the server and worker logs) goes, unless a log shows a traceback."""
    failed = report.get("gunicorn", {}).get("server_tracebacks") or report.get("timers", {}).get("worker_tracebacks")
    if failed or "timers" not in report:
        echo(f"日志保留在 {scratch}")
        for database in scratch.glob("bench.sqlite*"):
            database.unlink()
        return
    shutil.rmtree(scratch, ignore_errors=True)


def _in_process_phases(app, clock, sizes, runs, options, progress, report) -> Prepared:
    # A fresh set of city reviews to submit at ~50 accounts and at each size, after a few unmeasured ones.
    real = WARM_UP + runs * (len(sizes) + 1)
    with progress.phase("演示数据、职员账号（约 50 个账号）"):
        # Changchun units for the real applications, the probe, the page, the loop and the timer template;
        # then as many units as gunicorn may start applications for.
        units = data.seed(users=options["users"], changchun=real + 4, fresh=options["starts"])
        round_id = data.demo_round_id()
    with progress.phase(f"经服务开始并提交 {real + 2:,} 个真实申报（长春，待市州初审）"):
        applications = data.start_declared(round_id, range(real + 2), progress)
    warm_up, pool, (probe, shown) = applications[:WARM_UP], applications[WARM_UP:real], applications[real:]
    _fill_to(sizes[0], probe, units, progress)
    tokens = data.tokens("changchun", "province")
    db.session.remove()
    with in_process_server(app, clock) as port:
        client = Client(port)
        submits(client, tokens, warm_up)  # first requests, statement caches: not what a submit costs
        few = data.count(User)
        with progress.phase(f"{few} 个账号时的提交"):
            report["submit_few_users"] = {"users": few, "applications": data.application_count(),
                                          **submits(client, tokens, pool[:runs]),
                                          "unavoidable": unavoidable_parts(client, probe, clock, runs)}
        with progress.phase(f"申报单位账号增至 {options['users']:,} 个"):
            data.add_unit_accounts(units)
            data.analyze()
        for n, size in enumerate(sizes):
            if n:
                _fill_to(size, probe, units, progress)
            with progress.phase(f"{size:,} 个申报时的测量"):
                report["sizes"][str(size)] = _measure_size(client, tokens, clock, runs=runs, probe=probe, shown=shown,
                                                           pool=pool[runs * (n + 1):runs * (n + 2)])
        client.close()
    few, many = report["submit_few_users"], report["sizes"][str(sizes[0])]
    report["users_ratio"] = many["submit"]["median_ms"] / few["median_ms"]
    # The same ratio with each submit taken against its own (a+b+c): what is left once the machine's speed
    # at the two moments is divided out (other work on the machine moves both).
    report["users_ratio_normalised"] = many["submit_ratio"] / (few["median_ms"] / few["unavoidable"]["sum_ms"])
    with progress.phase(f"退回循环 {options['loops']} 次"):
        report["loop"] = send_back_loop(round_id, f"unit{real + 2:05d}", "changchun", options["loops"])
    return Prepared(units, round_id, real)


def _gunicorn(url, options, progress, prepared: Prepared, scratch) -> dict:
    """Starts in the round that holds every application, by units that have not declared yet."""
    with progress.phase(f"gunicorn 2 个进程：开始申报、提交申报书（{options['threads']} 个客户端线程，"
                        f"最多 {options['starts']:,} 次或 {options['load_seconds']:.0f} 秒）"):
        deadline, starters = reopen_on_real_clock(prepared.round_id, prepared.units, options["starts"])
        db.session.remove()
        try:
            return gunicorn_phase(url, prepared.round_id, starters, threads=options["threads"],
                                  seconds=options["load_seconds"], scratch=scratch)
        finally:
            set_deadline(prepared.round_id, deadline)


def _timers(url, options, progress, prepared: Prepared, scratch) -> dict:
    with progress.phase(f"准备 {options['timers']:,} 个同时到期的定时器"):
        template_id = data.start_as(prepared.round_id, f"unit{prepared.real + 3:05d}")
        with transaction():
            ids = timer_copies(template_id, options["timers"], prepared.units)
        quiet_everything_but(ids)
    with progress.phase(f"2 个 worker 处理到期定时器（最多 {options['timer_limit']:.0f} 秒）"):
        return timers_phase(url, ids, limit_seconds=options["timer_limit"], scratch=scratch, progress=progress)
