"""The benchmark's data: schema, accounts, real applications and bulk filler (the timer copies and the round
reopened for gunicorn are prepared by their phases, in bench_load.py).

Real applications (the ones the benchmark works on) are driven through the service functions; everything
else is inserted in bulk from the row of a real application, with explicit ids, and the id sequences are
advanced afterwards so the service's own inserts keep working on PostgreSQL.
"""
from __future__ import annotations

import functools
import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import MetaData, func, insert, select, text
from werkzeug.security import generate_password_hash

from service.accounts.models import User
from service.accounts.service import issue_token
from service.applications.commands import complete_task, start_application
from service.applications.models import NO_DUE_DATE, Application, Attachment, WorkItem
from service.commands.demo import CITY_ACCOUNTS, DEMO_PASSWORD, seed_demo
from service.engine.bundle import Bundle
from service.platform.database import upgrade_database
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.models import Round
from service.organisations.models import Organisation
from service.versions.samples import SAMPLE_PDF, make_credit_code, sample_declaration, sample_verification
from service.commands.sample_reports import required_kinds

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)  # the in-process clock: the demo round is open
CITY_CODES = list(CITY_ACCOUNTS)
CHANGCHUN = CITY_CODES[0]
BATCH = 5000
EXPERTS, PROVINCE_STAFF = 30, 5
CREATOR = "bench_creator"
# Where filler applications stand: (share, bpmn id, name, role).
STEPS = [(0.35, "Task_declare_factory", "填报绿色工厂申报书", "applicant"),
         (0.25, "Task_city_review", "市州初审推荐", "city_reviewer"),
         (0.15, "Task_formal_review", "形式审查与遴选专家", "province_staff"),
         (0.10, "Task_expert_review", "专家评审", "expert"),
         (0.15, None, "列入名单", None)]
REVIEW = {"consult_ecology": "无", "consult_emergency": "无", "consult_market": "无", "decision": "recommend",
          "recommend_opinion": "同意推荐",
          # For the engine alone (no form check): the verification with stand-in attachment ids.
          **sample_verification("0", "0", queried_on="2024-05-06")}


def record_reports(application_id: int, declaration: dict, uploader: int) -> None:
    """The reports ``declaration`` needs, recorded as attachment rows (in the caller's transaction): one account
    builds thousands of declarations here, which the per-account upload limit would refuse, and the benchmark
    times the submit, not the uploads."""
    for required in required_kinds(db.session.get(Application, application_id), declaration):
        db.session.add(Attachment(application_id=application_id, original_name=f"{required.label}.pdf",
                                  stored_name=uuid.uuid4().hex, size=len(SAMPLE_PDF), sha256="0" * 64,
                                  kind=required.kind, uploaded_by=uploader))
    db.session.flush()


def review_for(application_id: int, reviewer: str = "changchun") -> dict:
    """REVIEW for one application, its evidence and the departments' reply recorded as attachment rows (the
    benchmark times the submit, not the uploads; nothing downloads these files)."""
    with transaction():
        uploader = db.session.scalar(select(User.id).where(User.username == reviewer))
        ids = []
        for kind in ("verification_evidence", "department_reply"):
            row = Attachment(application_id=application_id, original_name=f"{kind}.pdf", stored_name=uuid.uuid4().hex,
                             size=len(SAMPLE_PDF), sha256="0" * 64, kind=kind, uploaded_by=uploader)
            db.session.add(row)
            db.session.flush()
            ids.append(row.id)
    return {**REVIEW, **sample_verification(ids[0], ids[1], queried_on="2024-05-06")}


def unit_name(k: int) -> str:
    return f"基准单位{k:05d}"


def unit_code(k: int) -> str:
    """Unit k's credit code: the key its applications and accounts are scoped by."""
    return make_credit_code(k + 1, division=CHANGCHUN)


def insert_organisations(count: int, units: "Units") -> None:
    """One confirmed organisation per unit."""
    rows = [dict(credit_code=unit_code(k), name=unit_name(k), kind="enterprise", city_code=units.city(k),
                 county="", address="", legal_representative="", contact_name="", contact_phone="", contact_email="",
                 outside_jilin=False, status="confirmed", status_reason="", decided_by="bench", decided_at=START,
                 created_at=START) for k in range(count)]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Organisation), rows[start:start + BATCH])


def organisation_ids(ks) -> dict[int, int]:
    """{unit k: its organisation's id}, one query per batch."""
    ks, found = list(ks), {}
    for start in range(0, len(ks), BATCH):
        codes = {unit_code(k): k for k in ks[start:start + BATCH]}
        found.update({codes[code]: id_ for id_, code in db.session.execute(
            select(Organisation.id, Organisation.credit_code).where(Organisation.credit_code.in_(codes)))})
    return found


@functools.cache
def password_hash() -> str:
    """One cheap hash for every bulk account (password "demo"): the benchmark tests no hashing strength."""
    return generate_password_hash(DEMO_PASSWORD, method="pbkdf2:sha256:1000")


@dataclass
class Units:
    """Applicant units: the first ``changchun`` drive real applications in Changchun, the ones up to
    ``reserved`` start their first application under gunicorn, the rest own the filler."""

    count: int
    changchun: int
    reserved: int

    def city(self, k: int) -> str:
        return CHANGCHUN if k < self.changchun else CITY_CODES[k % len(CITY_CODES)]

    def filler(self, n: int) -> int:
        return self.reserved + n % max(1, self.count - self.reserved)


def dialect() -> str:
    return db.engine.dialect.name


# -- schema and housekeeping ---------------------------------------------------------------

def reset_schema() -> None:
    """Drop everything in the (checked) benchmark database and migrate from nothing."""
    db.session.remove()
    with db.engine.begin() as connection:
        if dialect() == "postgresql":
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            existing = MetaData()
            existing.reflect(connection)
            existing.drop_all(connection)
    upgrade_database()


def analyze() -> None:
    """Planner statistics after a bulk load, as an operator would have after autovacuum or a restore; on
    PostgreSQL the inbox's tables are vacuumed too, as autovacuum would soon do (a server may run with it off):
    a counter update per bulk row leaves dead versions every total reads past, and index-only scans visit the heap.
    A checkpoint then writes the load out, so the measurements after it do not share the disk with its flush."""
    db.session.remove()
    if dialect() == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) work_count, work_item")
            connection.exec_driver_sql("CHECKPOINT")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    if dialect() == "sqlite":  # fold the bulk load out of the write-ahead log (outside any transaction)
        raw = db.engine.raw_connection()
        try:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def advance_sequences(*tables: str) -> None:
    """PostgreSQL: bulk rows came with explicit ids, so move each id sequence past max(id)."""
    if dialect() != "postgresql":
        return
    for table in tables:
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"COALESCE((SELECT max(id) FROM \"{table}\"), 1), (SELECT max(id) FROM \"{table}\") IS NOT NULL)"))


def count(model, *where) -> int:
    """A count in its own short transaction (SQLite: every transaction holds the write lock)."""
    try:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        db.session.remove()


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def bulk_insert(model, rows: list[dict]) -> None:
    """PostgreSQL COPY, else one executemany; rows carry every column they need."""
    if not rows:
        return
    if dialect() != "postgresql":
        db.session.execute(insert(model), rows)
        return
    columns = list(rows[0])
    raw = db.session.connection().connection.driver_connection  # psycopg, inside the session's transaction
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{model.__table__.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_plain(row[c]) for c in columns])


# -- accounts ------------------------------------------------------------------------------

def insert_accounts(specs: list[dict]) -> None:
    """Accounts in bulk with explicit ids; the role index (if the schema has one) written alongside."""
    first = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    now = START
    rows = [{"id": first + n, "password_hash": password_hash(), "active": True, "created_at": now, "email": None,
             "city_code": None, "unit_name": None, "organisation_id": None, "unit_code": None, **spec} for n, spec in enumerate(specs)]
    roles = db.metadata.tables.get("user_role")
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        db.session.execute(insert(User), batch)
        if roles is not None:
            db.session.execute(insert(roles), [{"user_id": row["id"], "role": role}
                                               for row in batch for role in row["roles"]])
    advance_sequences("user")


def seed(*, users: int, changchun: int, fresh: int) -> Units:
    """The demo's accounts, bundle and round, plus staff up to 30 experts and 5 province staff (~50 accounts)."""
    with transaction():
        seed_demo(Bundle.from_directories(ROOT / "processes", ROOT / "forms"), with_applications=False)
    with transaction():
        specs = [dict(username=f"expert{n}", display_name=f"评审专家{n}", roles=["expert"])
                 for n in range(6, EXPERTS + 1)]
        specs += [dict(username=f"province{n}", display_name=f"省工信厅{n}", roles=["province_staff"])
                  for n in range(2, PROVINCE_STAFF + 1)]
        specs.append(dict(username=CREATOR, display_name="基准建档", roles=["applicant"], city_code=CHANGCHUN,
                          unit_name="基准建档"))
        insert_accounts(specs)
    reserved = changchun + fresh
    units = Units(count=max(users - count(User), reserved + 1), changchun=changchun, reserved=reserved)
    with transaction():
        insert_organisations(units.count, units)
    return units


def add_unit_accounts(units: Units) -> None:
    """One applicant account per unit: the account table reaches its full size."""
    with transaction():
        ids = organisation_ids(range(units.count))
        insert_accounts([dict(username=f"unit{k:05d}", display_name=unit_name(k), roles=["applicant"],
                              city_code=units.city(k), unit_name=unit_name(k), email=f"unit{k:05d}@example.cn",
                              organisation_id=ids[k], unit_code=unit_code(k))
                         for k in range(units.count)])


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))


def demo_round_id() -> int:
    return db.session.scalar(select(Round.id).order_by(Round.id).limit(1))


def tokens(*usernames: str) -> dict:
    with transaction():
        return {name: issue_token(db.session.scalar(select(User).where(User.username == name))) for name in usernames}


# -- real applications -----------------------------------------------------------------------

def _application_id(result) -> int:
    return getattr(result, "id", None) or result.application.id


def open_task(application_id: int, bpmn_id: str | None = None) -> str:
    query = select(WorkItem.task_id).where(WorkItem.application_id == application_id)
    if bpmn_id:
        query = query.where(WorkItem.bpmn_id == bpmn_id)
    return db.session.scalar(query.order_by(WorkItem.id).limit(1))


def start_declared(round_id: int, units: range, progress) -> list[int]:
    """One declared application per unit, waiting in Changchun's city review, each through the service.

    The units' own accounts do not exist yet (the ~50-account phase), so one applicant account joins
    each unit in turn; it belongs to none again at the end.
    """
    creator, made = user_id(CREATOR), []
    with transaction():
        ids = organisation_ids(units)
    for k in units:
        with transaction():
            user = db.session.get(User, creator)
            user.organisation_id, user.unit_code, user.unit_name = ids[k], unit_code(k), unit_name(k)
            application_id = _application_id(start_application(round_id=round_id, category="factory", user=user))
            data = sample_declaration("factory", unit_name=unit_name(k), serial=k + 1)
            record_reports(application_id, data, user.id)
            complete_task(application_id=application_id, task_id=open_task(application_id), user=user, data=data)
        made.append(application_id)
        progress.count(len(made), len(units))
    with transaction():
        user = db.session.get(User, creator)
        user.organisation_id, user.unit_code, user.unit_name = None, None, "基准建档"
    return made


def start_as(round_id: int, username: str) -> int:
    with transaction():
        user = db.session.scalar(select(User).where(User.username == username))
        return _application_id(start_application(round_id=round_id, category="factory", user=user))


# -- bulk filler -----------------------------------------------------------------------------

def template_row(application_id: int) -> dict:
    row = db.session.get(Application, application_id)
    return {c.key: getattr(row, c.key) for c in Application.__table__.columns}


def fill(count: int, *, template_id: int, units: Units, progress) -> None:
    """``count`` filler applications spread over the cities and steps, with their open tasks (never loaded)."""
    if count <= 0:
        return
    template = template_row(template_id)
    creator = user_id(CREATOR)
    experts = list(db.session.scalars(select(User.id).where(User.username.like("expert%"))))
    first = (db.session.scalar(select(func.max(Application.id))) or 0) + 1
    rng = random.Random(first)
    apps, items = [], []
    for n in range(count):
        share, acc = rng.random(), 0.0
        for weight, bpmn_id, name, role in STEPS:
            acc += weight
            if share <= acc:
                break
        k = units.filler(first + n)
        city, category, unit = units.city(k), rng.choice(("factory", "park", "supply_chain")), unit_code(k)
        created = START + timedelta(minutes=n % 10000)
        row = {**template, "id": first + n, "category": category, "city_code": city, "applicant_unit": unit,
               "unit_name": unit_name(k), "credit_code": unit, "number": f"2024-BENCH-{city}-{first + n:07d}",
               "created_by": creator, "version": 2, "stage": name,
               "outcome": None if bpmn_id else name, "outcome_element": None if bpmn_id else "End_listed",
               "created_at": created, "updated_at": created, "completed_at": None if bpmn_id else created}
        if "waiting" in row:
            row["waiting"] = bpmn_id or ""
        apps.append(row)
        if bpmn_id is not None:
            assignees = [str(e) for e in rng.sample(experts, 3)] if role == "expert" else [None]
            due = datetime(2024, 6, 10, 16, tzinfo=timezone.utc) if role in ("applicant", "city_reviewer") else None
            items += [dict(application_id=first + n, task_id=str(uuid.uuid4()), bpmn_id=bpmn_id, name=name, role=role,
                           form=None, city_code=city, category=category, applicant_unit=unit, assignee=assignee,
                           claimed_by=None, created_at=created, due_at=due, due_order=due or NO_DUE_DATE)
                      for assignee in assignees]
        if len(apps) >= BATCH or n == count - 1:
            bulk_insert(Application, apps)
            bulk_insert(WorkItem, items)
            apps, items = [], []
            progress.count(n + 1, count)
    advance_sequences("application", "work_item")


def application_count() -> int:
    return count(Application)
