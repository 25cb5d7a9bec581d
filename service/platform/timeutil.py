"""Times are stored in UTC and shown in Asia/Shanghai."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from service.engine.calendar import SHANGHAI
from service.engine.clock import current_clock


def utcnow() -> datetime:
    return current_clock().now()


def to_shanghai(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


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
