"""The one clock every time read goes through, so tests can move time.

SpiffWorkflow's timers call ``datetime.now(timezone.utc)`` inside its timer module
with no hook; :func:`install_timer_hook` points that module at a ``datetime``
subclass whose ``now`` asks the clock of the current context.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that moves only when told to (tests, benchmarks, demos)."""

    def __init__(self, start: datetime):
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _aware(moment)

    def advance(self, **delta) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("ManualClock needs a timezone-aware datetime")
    return moment.astimezone(timezone.utc)


_current: ContextVar[Clock] = ContextVar("greenlist_clock", default=SystemClock())


def current_clock() -> Clock:
    return _current.get()


@contextmanager
def use_clock(clock: Clock):
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        moment = _current.get().now()
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


def install_timer_hook() -> None:
    """Make SpiffWorkflow's timer module read the current context's clock (idempotent)."""
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _ClockedDatetime
