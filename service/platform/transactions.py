"""The transaction boundary: jobs and requests commit; services never do."""
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from service.platform.errors import Conflict, ServiceError, StaleVersion
from service.platform.extensions import db, write_lock_pending


# On SQLite a transaction that may write takes the database's write lock when it begins (BEGIN
# IMMEDIATE, see extensions.py). A request that only reads (GET, HEAD) begins without it, so pages
# and downloads never wait for a writer nor make one wait; the few GETs that write (the last-seen
# time of a session, a recorded export) end their read and take the lock in transaction().
_reads_only: ContextVar[bool] = ContextVar("greenlist_reads_only", default=False)
# A command whose every read is checked again when it writes (the application's version in the UPDATE, the
# audit chain's unique sequence, the application's attachments: saving.save) takes the lock only for its
# writes: it begins without it, reads and runs the engine, and at its first write ends the read and begins
# IMMEDIATE (extensions.py). Another writer that changed what it read is then caught by those checks, and the
# command runs once more the usual way.
_lock_late: ContextVar[bool] = ContextVar("greenlist_lock_late", default=False)
_wrote_late: ContextVar[bool] = ContextVar("greenlist_wrote_late", default=False)
_AFTERWARDS = "greenlist_afterwards"
log = logging.getLogger(__name__)


def reads_only(flag: bool):
    """Mark what follows (a request) as read-only until transaction(); returns a token for reset."""
    return _reads_only.set(flag)


def forget_reads_only(token) -> None:
    _reads_only.reset(token)


def begins_read_only() -> bool:
    return _reads_only.get()


def begins_without_lock() -> bool:
    """Whether a transaction beginning now begins without SQLite's write lock: reads, or a command marked
    write_lock_late whose first write takes it (``late``)."""
    return _reads_only.get() or _lock_late.get()


def locks_late() -> bool:
    return _lock_late.get() and not _reads_only.get()


def took_lock_late() -> None:
    """Called by the SQLite hook when a write_lock_late command's first write ended its read and took the lock."""
    _wrote_late.set(True)


def took_lock_late_here() -> bool:
    """Whether the current transaction read before it took the write lock (what it read may have changed
    since, unless a check at the write says not)."""
    return _wrote_late.get()


def before_write_lock() -> bool:
    """Whether the current transaction is a write_lock_late command's that has read but not yet written, so
    holds no write lock (SQLite; never on PostgreSQL)."""
    return locks_late() and not _wrote_late.get() and write_lock_pending(db.session.connection())


class _Restart(Exception):
    """A write_lock_late command met a concurrent writer at its writes: run it again, holding the lock throughout."""


def write_lock_late(view):
    """Mark a request (a view) whose writes are all checked against what it read: on SQLite it holds the
    write lock only from its first write to its commit, so its reads and the engine run while other
    processes write. If another writer changed what it read (the version-checked UPDATE matches no row, or
    the audit chain's next sequence is taken), it is run once more from the start with the lock taken at
    its first statement, exactly as every other request: same answer as if the two had queued, at the cost
    of a second run only when they really met. PostgreSQL is unaffected (its row locks do this)."""
    @wraps(view)
    def run(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except _Restart:
            log.info("a concurrent writer changed what the request read: running it again with the lock")
        token = _lock_late.set(False)
        try:
            return view(*args, **kwargs)
        finally:
            _lock_late.reset(token)

    run.write_lock_late = True
    return run


@contextmanager
def lock_from_first_statement():
    """What follows (a short transaction of its own on another connection) takes SQLite's write lock when it
    begins, inside a write_lock_late request too."""
    token = _lock_late.set(False)
    try:
        yield
    finally:
        _lock_late.reset(token)


def concurrent_writer() -> Conflict:
    """The error a write_lock_late command raises when a check under the lock finds that what it read has
    changed: run again with the lock from the first statement (outside such a command: a plain 409)."""
    return Conflict("数据已被他人同时修改，请刷新后重试", code="concurrent_update")


def lock_late_for(view) -> object:
    """Before a request: begin without the write lock if its view is marked write_lock_late; a token for reset."""
    return _lock_late.set(bool(getattr(view, "write_lock_late", False)))


def forget_lock_late(token) -> None:
    _lock_late.reset(token)


def _restart_instead(err: BaseException) -> bool:
    """Whether ``err`` is a concurrent writer met by a write_lock_late command after it took the lock late."""
    if not (_lock_late.get() and _wrote_late.get()):
        return False
    return isinstance(err, StaleVersion) or (isinstance(err, Conflict) and err.code == "concurrent_update")


def afterwards(callback) -> None:
    """Run ``callback`` in a transaction of its own once the current one has ended, committed or rolled
    back: for what must be kept although the state change it describes is refused (a process error)."""
    db.session().info.setdefault(_AFTERWARDS, []).append(callback)


def _run_afterwards() -> None:
    callbacks = db.session().info.pop(_AFTERWARDS, None)
    if not callbacks:
        return
    late = _lock_late.set(False)  # a small write of its own: the lock from its first statement, no second run
    try:
        with transaction():
            for callback in callbacks:
                callback()
    except Exception:  # never hides nor replaces what the request itself ended with
        log.exception("work left for after the transaction failed")
    finally:
        _lock_late.reset(late)


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
    wrote_late = _wrote_late.set(False)
    try:
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
    except ServiceError as err:
        if _restart_instead(err):
            raise _Restart() from err
        raise
    finally:
        _wrote_late.reset(wrote_late)
        if upgraded is not None:
            _reads_only.reset(upgraded)
        _run_afterwards()
