"""`greenlist bench`: the cost of one task completion, measured on a scratch database."""
from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from . import create_app
from .applications import complete_task, start_application
from .demo import sample_declaration
from .engine.bundle import Bundle
from .engine.clock import ManualClock, use_clock
from .extensions import db
from .models import User, WorkItem
from .processes import deploy
from .rounds import open_round
from .transactions import transaction

ROOT = Path(__file__).resolve().parent.parent
CITY_REVIEW = {"consult_ecology": "无", "consult_emergency": "无", "consult_market": "无", "decision": "recommend",
               "recommend_rank": 1}


def _user(username, **fields) -> User:
    user = User(username=username, password_hash="!", **fields)  # no login needed: skip password hashing
    db.session.add(user)
    db.session.flush()
    return user


def _open_task(application_id) -> str:
    return db.session.query(WorkItem.task_id).filter_by(application_id=application_id).scalar()


def bench_task_completion(runs: int = 200, database_url: str | None = None) -> dict:
    scratch = tempfile.mkdtemp(prefix="greenlist-bench-")
    url = database_url or f"sqlite:///{scratch}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    clock = ManualClock(datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc))
    with app.app_context(), use_clock(clock):
        db.drop_all()
        db.create_all()
        with transaction():
            deploy(Bundle.from_directories(ROOT / "processes", ROOT / "forms"), actor="bench")
            round_id = open_round(name="基准测试批次", year=2024, city_deadline=date(2024, 6, 10), actor="bench").id
            reviewer_id = _user("reviewer", display_name="初审员", roles=["city_reviewer"], city_code="220100").id
        applications = []
        for n in range(runs):
            with transaction():
                applicant = _user(f"unit{n}", display_name=f"单位{n}", roles=["applicant"], city_code="220100",
                                  unit_name=f"单位{n}")
                application = start_application(round_id=round_id, category="factory", user=applicant)
                complete_task(application_id=application.id, task_id=_open_task(application.id),
                              data=sample_declaration("factory", unit_name=f"单位{n}", serial=n + 1), user=applicant)
                applications.append(application.id)
        db.session.remove()
        timings = []
        for application_id in applications:
            task_id = _open_task(application_id)
            reviewer = db.session.get(User, reviewer_id)
            started = time.perf_counter()
            with transaction():
                complete_task(application_id=application_id, task_id=task_id, data=dict(CITY_REVIEW), user=reviewer)
            timings.append((time.perf_counter() - started) * 1000)
            db.session.remove()
    timings.sort()
    return {"runs": runs, "median_ms": statistics.median(timings), "p90_ms": timings[int(len(timings) * 0.9) - 1],
            "database": url.split(":", 1)[0]}
