"""The transaction boundary: jobs and requests commit; services never do."""
import logging
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from service.platform.errors import Conflict, StaleVersion
from service.platform.extensions import db


# On SQLite a transaction that may write takes the database's write lock when it begins (BEGIN
# IMMEDIATE, see extensions.py). A request that only reads (GET, HEAD) begins without it, so pages
# and downloads never wait for a writer nor make one wait; the few GETs that write (the last-seen
# time of a session, a recorded export) end their read and take the lock in transaction().
_reads_only: ContextVar[bool] = ContextVar("greenlist_reads_only", default=False)
_AFTERWARDS = "greenlist_afterwards"
log = logging.getLogger(__name__)


def reads_only(flag: bool):
    """Mark what follows (a request) as read-only until transaction(); returns a token for reset."""
    return _reads_only.set(flag)


def forget_reads_only(token) -> None:
    _reads_only.reset(token)


def begins_read_only() -> bool:
    return _reads_only.get()


def afterwards(callback) -> None:
    """Run ``callback`` in a transaction of its own once the current one has ended, committed or rolled
    back: for what must be kept although the state change it describes is refused (a process error)."""
    db.session().info.setdefault(_AFTERWARDS, []).append(callback)


def _run_afterwards() -> None:
    callbacks = db.session().info.pop(_AFTERWARDS, None)
    if not callbacks:
        return
    try:
        with transaction():
            for callback in callbacks:
                callback()
    except Exception:  # never hides nor replaces what the request itself ended with
        log.exception("work left for after the transaction failed")


@contextmanager
def transaction():
    """Commit what the block did, or roll all of it back.

    A concurrent writer detected at flush or commit (the application's version no
    longer matches) becomes the same StaleVersion error the services raise.
    """
    upgraded = None
    if _reads_only.get():
        db.session.rollback()  # end the read; the write begins with the lock and reads afresh
        upgraded = _reads_only.set(False)
    db.session().info.pop(_AFTERWARDS, None)  # left by work outside any transaction: not this one's
    try:
        yield db.session
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion("申报已被他人同时更新，请刷新后重试") from None
    except IntegrityError as err:
        db.session.rollback()
        if "unique" not in str(err.orig).lower():
            raise
        # A unique key hit by a concurrent writer (audit sequence, duplicate deploy): nothing was written.
        raise Conflict("数据已被他人同时修改，请刷新后重试", code="concurrent_update") from None
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if upgraded is not None:
            _reads_only.reset(upgraded)
        _run_afterwards()
