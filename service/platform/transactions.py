"""The transaction boundary: jobs and requests commit; services never do."""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from service.platform.errors import Conflict, StaleVersion
from service.platform.extensions import db


@contextmanager
def transaction():
    """Commit what the block did, or roll all of it back.

    A concurrent writer detected at flush or commit (the application's version no
    longer matches) becomes the same StaleVersion error the services raise.
    """
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
