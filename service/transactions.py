"""The transaction boundary: jobs and requests commit; services never do."""
from contextlib import contextmanager

from .extensions import db


@contextmanager
def transaction():
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
