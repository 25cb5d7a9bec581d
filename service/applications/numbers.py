"""Business numbers (申报编号) such as 2025-GC-220100-0007, and finding applications by what people type.

A number is the round's year, the category's short code (categories.json ``code``), the applicant's city
and a serial counted per round, category and city: the serial then says "the 7th green-factory declaration
from Changchun this round", and a city's clerks can tell their own numbers apart from the province's
whole list. The round, category and city are all in the number, so it is unique per round as long as each
bucket's serials are; the unique index (round_id, number) makes that a guarantee.
"""
from __future__ import annotations

import re

from sqlalchemy import ColumnElement, select, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from service.applications.models import Application, ApplicationNumberCounter
from service.organisations.models import Organisation
from service.platform.extensions import db
from service.platform.inputs import text_problem

SERIAL_WIDTH = 4  # 0007; a bucket past 9999 simply grows a digit, still unique
MAX_QUERY = 60


def format_number(year: int, code: str, city_code: str, serial: int) -> str:
    return f"{year}-{code}-{city_code}-{serial:0{SERIAL_WIDTH}d}"


def next_serial(round_id: int, category: str, city_code: str) -> int:
    """The next serial of the bucket, taken inside the caller's transaction.

    One statement: insert the bucket's counter at 1, or add 1 to it. On PostgreSQL the upsert holds the
    counter row's lock until the start commits, so a concurrent start in the same bucket waits and then
    reads the committed value; SQLite has one writer at a time. Either way no two starts get one serial,
    and a start that fails rolls its serial back with everything else."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = ApplicationNumberCounter.__table__
    statement = insert(table).values(round_id=round_id, category=category, city_code=city_code, last=1)
    statement = statement.on_conflict_do_update(index_elements=["round_id", "category", "city_code"],
                                                set_={"last": table.c.last + 1}).returning(table.c.last)
    return db.session.execute(statement).scalar_one()


def assign_number(round_, category, city_code: str) -> str:
    """The number of a new application of ``category`` (a versions Category) from ``city_code``."""
    return format_number(round_.year, category.code, city_code, next_serial(round_.id, category.key, city_code))


# -- search ------------------------------------------------------------------------------------

NUMBER_CHARS = re.compile(r"^[0-9A-Z-]+$")
CREDIT_CHARS = re.compile(r"^[0-9A-Z]{4,18}$")  # a credit code's alphabet; 4 characters before it narrows anything


def clean_query(text: str | None) -> str | None:
    """What was typed into the search box, trimmed; None when there is nothing to search for."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    if not text or text_problem(text):
        return None
    return text[:MAX_QUERY]


def _starts_with(column, prefix: str) -> ColumnElement:
    """An index range scan for ``prefix`` (only [0-9A-Z-] reaches here: nothing to escape)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return column.op("GLOB")(prefix + "*")  # GLOB is case-sensitive, so SQLite walks the plain index
    return column.like(prefix + "%")  # the varchar_pattern_ops index


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def units_named(text: str):
    """Credit codes of units whose name contains ``text``: a scan of the unit register (one row per unit,
    tens of thousands at most), never of the applications."""
    return select(Organisation.credit_code).where(
        Organisation.name.like(f"%{_escape_like(text)}%", escape="\\")).scalar_subquery()


def matching_ids(text: str):
    """Ids of applications whose number or credit code starts with ``text`` (case-insensitive), or whose
    unit's name contains it. A union of index lookups: an OR over the branches would make PostgreSQL scan
    the whole table once the name branch (a subquery) is in it."""
    upper = text.upper().replace(" ", "")
    a = aliased(Application)  # never correlated with the caller's application table
    branches = [select(a.id).where(a.credit_code.in_(units_named(text)))]
    if NUMBER_CHARS.match(upper):
        branches.append(select(a.id).where(_starts_with(a.number, upper)))
    if CREDIT_CHARS.match(upper):
        branches.append(select(a.id).where(_starts_with(a.credit_code, upper)))
    return union_all(*branches)


def application_match(text: str) -> ColumnElement:
    return Application.id.in_(matching_ids(text))
