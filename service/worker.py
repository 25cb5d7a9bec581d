"""The timer worker: fires due timers, one application per transaction."""
from __future__ import annotations

import logging

from sqlalchemy.orm.exc import StaleDataError

from .applications import due_timer_applications, fire_timers_for
from .transactions import transaction
from .errors import ServiceError
from .extensions import db

log = logging.getLogger(__name__)


def run_due_timers(limit: int = 100) -> int:
    """Fire what is due now; returns how many applications moved."""
    candidates = due_timer_applications(limit)
    db.session.rollback()  # end the read; each application gets its own transaction
    moved = 0
    for application_id in candidates:
        try:
            with transaction():
                if fire_timers_for(application_id):
                    moved += 1
        except StaleDataError:
            log.info("application %s changed concurrently; its timers are retried next round", application_id)
        except ServiceError as err:
            log.error("timer of application %s failed: %s", application_id, err.message)
    return moved
