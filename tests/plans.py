"""The database's plan for a query: how the tests prove a request is answered through an index, on SQLite and on
PostgreSQL alike, instead of reading a whole table (millions of rows in production, a handful in a test)."""
from sqlalchemy import text

from service.platform.extensions import db


def plan(query) -> str:
    """The plan for ``query`` (PostgreSQL is told to avoid a sequential scan where an index can answer: on a test
    database's few rows it would rather read them all, which says nothing about a million)."""
    dialect = db.session.get_bind().dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = db.session.execute(text("EXPLAIN " + sql)).scalars()
    else:
        rows = (row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    try:
        return "\n".join(rows)
    finally:
        db.session.rollback()


def scans(plan_text: str, table: str) -> bool:
    """Whether the plan reads all of ``table`` (SQLite's "SCAN t" without an index, PostgreSQL's Seq Scan)."""
    lines = plan_text.splitlines()
    return any(line.strip() in (f"SCAN {table}", f"SCAN TABLE {table}") for line in lines) \
        or any(f"Seq Scan on {table}" in line for line in lines)
