"""Times are stored in UTC and shown in Asia/Shanghai."""
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from service.engine.calendar import SHANGHAI
from service.engine.clock import current_clock


def utcnow() -> datetime:
    return current_clock().now()


def to_shanghai(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def last_day_text(moment: datetime | None) -> str:
    """A deadline as people read it. Deadlines are stored as the midnight that ends their last day
    (Asia/Shanghai), so that midnight shows as the day before with （含）: "2026-06-10（含）" for
    2026-06-11 00:00+08:00. Any other moment shows as it is, "YYYY-MM-DD HH:MM", so nothing is hidden."""
    if moment is None:
        return ""
    local = to_shanghai(moment)
    if local.time() == time(0, 0):
        return f"{local.date() - timedelta(days=1):%Y-%m-%d}（含）"
    return f"{local:%Y-%m-%d %H:%M}"


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every database (SQLite keeps no zone; PostgreSQL would shift it)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)
