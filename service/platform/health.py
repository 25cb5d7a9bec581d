"""Service status: what is deployed and running, for operators and health checks."""
from flask import Blueprint, jsonify
from sqlalchemy import func, select

from service.platform.counting import counted_up_to
from service.platform.extensions import db
from service.applications.models import Application, WorkItem
from service.versions.models import ProcessVersion
from service.rounds.models import Round
from service.versions.deploy import latest_version
from service.platform.database import current_revision, head_revision, schema_is_current

bp = Blueprint("status", __name__)


@bp.get("/healthz")
def health():
    """The process is up (no dependency checked: restart only when this fails)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def ready():
    """Ready for traffic: database reachable, schema at the current migration, a bundle deployed."""
    checks = {}
    try:
        db.session.execute(select(1))
        checks["database"] = "ok"
        checks["migrations"] = "ok" if schema_is_current() else f"待升级：当前 {current_revision()}，最新 {head_revision()}"
        checks["bundle"] = "ok" if latest_version() is not None else "尚未部署流程"
    except Exception as err:  # an unreachable database is an answer here, not an error
        checks["database"] = f"不可用：{type(err).__name__}"
    ready_now = all(value == "ok" for value in checks.values()) and len(checks) == 3
    return jsonify(ready=ready_now, checks=checks), 200 if ready_now else 503


# The status counts applications and open tasks up to this many: it is polled by monitors, unauthenticated, and
# counting a million rows at every poll would make it the heaviest request the service answers.
STATUS_CAP = 10_000


@bp.get("/api/status")
def status():
    version = latest_version()
    return jsonify(
        service="greenlist",
        process_version=None if version is None else {"number": version.number, "hash": version.content_hash},
        rounds=db.session.scalar(select(func.count()).select_from(Round)),
        applications=db.session.scalar(counted_up_to(select(Application.id), STATUS_CAP)),
        open_tasks=db.session.scalar(counted_up_to(select(WorkItem.id), STATUS_CAP)),
        counted_up_to=STATUS_CAP,  # applications and open_tasks at this value mean "at least"
        versions=db.session.scalar(select(func.count()).select_from(ProcessVersion)),
    )
