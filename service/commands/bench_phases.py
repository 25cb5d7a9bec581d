"""What the benchmark measures in process and over the in-process server: a submit against its
unavoidable parts, the SQL it issues, the inboxes, the task and application pages, the send-back loop."""
from __future__ import annotations

import statistics
import time

from sqlalchemy import event, select, update

from service.accounts.models import User
from service.applications.commands import complete_task
from service.applications.models import Application
from service.commands.bench_data import REVIEW, open_task, review_for, start_as
from service.commands.bench_http import Client, summary
from service.engine.workflow import Engine
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.calendar import current_calendar
from service.versions.deploy import definition_of
from service.versions.models import ProcessVersion
from service.versions.samples import sample_declaration
from service.commands.sample_reports import attach_sample_reports

BUNDLE_COLUMN = "process_version.bundle"


class Statements:
    """Every statement the engine sends while the block runs (the in-process server's requests included)."""

    def __init__(self):
        self.engine, self.sent = db.engine, []

    def _note(self, conn, cursor, statement, parameters, context, executemany):
        self.sent.append(statement)

    def __enter__(self):
        self.sent = []
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._note)

    @property
    def bundle_reads(self) -> int:
        return sum(BUNDLE_COLUMN in s.lower() for s in self.sent)


def _median_ms(action, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


# -- 1. a submit and what it cannot avoid ---------------------------------------------------

def engine_only(application_id: int, clock):
    """(a) as a step to repeat: load the application's stored state, complete the city review, run the engine,
    serialise (no database, no form check)."""
    application = db.session.get(Application, application_id)
    state, task_id = application.state, open_task(application_id, "Task_city_review")
    engine = Engine(definition_of(db.session.get(ProcessVersion, application.process_version_id)), clock=clock,
                    calendar=current_calendar())
    db.session.remove()

    def step():
        workflow = engine.load(state)
        engine.complete(workflow, task_id, dict(REVIEW))
        engine.dump(workflow)
    return step


def state_commit(connection, application_id: int):
    """(b) as a step to repeat on ``connection``: an UPDATE of the application's state column, and COMMIT."""
    table = Application.__table__
    state = connection.execute(select(table.c.state).where(table.c.id == application_id)).scalar_one()
    connection.commit()

    def step():
        connection.execute(update(table).where(table.c.id == application_id).values(state=state))
        connection.commit()
    return step


def unavoidable_parts(client: Client, application_id: int, clock, runs: int) -> dict:
    """(a) the engine alone: load the stored state, complete the city review, run the engine, serialise;
    (b) one commit of a state: UPDATE of the state column + COMMIT; (c) GET /healthz on the same client."""
    engine_ms = _median_ms(engine_only(application_id, clock), runs)
    with db.engine.connect() as connection:
        commit_ms = _median_ms(state_commit(connection, application_id), runs)
    healthz_ms = _median_ms(lambda: client.timed("GET", "/healthz"), runs)
    return {"engine_ms": engine_ms, "commit_ms": commit_ms, "healthz_ms": healthz_ms,
            "sum_ms": engine_ms + commit_ms + healthz_ms}


def prepared_submit(client: Client, tokens: dict, application_id: int) -> tuple[str, dict]:
    """What a city review submit sends, read as the page reads it: (path, body)."""
    _, detail = client.timed("GET", f"/api/applications/{application_id}", tokens["province"])
    task_id = next(t["task_id"] for t in detail["open_tasks"] if t["step"] == "Task_city_review")
    return f"/api/tasks/{task_id}/submit", {"data": review_for(application_id), "version": detail["version"]}


def submits(client: Client, tokens: dict, application_ids: list[int]) -> dict:
    """City review submits over HTTP (reviewer changchun), each after reading the application as the page does."""
    samples, counts = [], []
    for application_id in application_ids:
        path, body = prepared_submit(client, tokens, application_id)
        with Statements() as statements:
            elapsed, _ = client.timed("POST", path, tokens["changchun"], body)
        samples.append(elapsed)
        counts.append(len(statements.sent))
    return {**summary(samples), "runs": len(samples),
            "sql": {"median": statistics.median(counts), "max": max(counts)}}


# -- 5. inboxes, 6. pages ------------------------------------------------------------------------

def inbox(client: Client, token: str, runs: int) -> dict:
    samples, total = [], 0
    for _ in range(runs):
        elapsed, page = client.timed("GET", "/api/tasks", token)
        samples.append(elapsed)
        total = page["total"]
    return {**summary(samples), "total": total}


def page(client: Client, path: str, token: str, runs: int) -> dict:
    """A page's server time over HTTP, and the statements one view of it sends (and how many read the bundle)."""
    samples, counts, bundle = [], [], []
    for _ in range(runs):
        with Statements() as statements:
            samples.append(client.timed("GET", path, token)[0])
        counts.append(len(statements.sent))
        bundle.append(statements.bundle_reads)
    return {**summary(samples), "sql": statistics.median(counts), "bundle_reads": statistics.median(bundle)}


# -- 8. the send-back loop -----------------------------------------------------------------------

def send_back_loop(round_id: int, applicant: str, reviewer: str, loops: int, sample: int = 5) -> dict:
    """One application declared and sent back ``loops`` times through the service; the submits (declaration and
    send-back) are timed in the first ``sample`` loops and in the ``sample`` loops after ``loops``."""
    application_id = start_as(round_id, applicant)
    people = {name: db.session.scalar(select(User.id).where(User.username == name)) for name in (applicant, reviewer)}
    timed, sizes = {}, {}

    def submit(who, data, loop):
        task_id = open_task(application_id)
        user = db.session.get(User, people[who])
        started = time.perf_counter()
        with transaction():
            complete_task(application_id=application_id, task_id=task_id, user=user, data=data)
        if loop < sample or loop >= loops:
            timed.setdefault(0 if loop < sample else loops, []).append((time.perf_counter() - started) * 1000)

    unit = db.session.scalar(select(User.unit_name).where(User.id == people[applicant]))
    with transaction():  # the declaration's report, once: it stays through every send-back
        attach_sample_reports(user=db.session.get(User, people[applicant]), application_id=application_id,
                              declaration=sample_declaration("factory", unit_name=unit, serial=7))
    review = review_for(application_id, reviewer)
    for loop in range(loops + sample):
        if loop in (0, loops):
            sizes[loop] = len(db.session.get(Application, application_id).state)
        submit(applicant, sample_declaration("factory", unit_name=unit, serial=7), loop)
        send_back = dict(review)
        submit(reviewer, {**send_back, "decision": "send_back", "comments": f"第 {loop + 1} 次退回"}, loop)
        db.session.remove()
    first, last = statistics.median(timed[0]), statistics.median(timed[loops])
    return {"loops": loops, "at_start": {"median_ms": first, "state_bytes": sizes[0]},
            "at_end": {"median_ms": last, "state_bytes": sizes[loops]}, "ratio": last / first}
