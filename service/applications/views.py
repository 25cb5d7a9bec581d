"""What callers may read about applications: lists, details and the audit trail, filtered by scope."""
from __future__ import annotations

import json

from sqlalchemy import select

from service.audit import chain as audit
from service.accounts.names import event_actor_name
from service.applications.access import (EXPERT_ALIAS, actor_names, can_work_on, sees_everything,
                                         visible_application_or_404, visible_event_data, visible_ids)
from service.platform.counting import counted_up_to
from service.platform.extensions import db
from service.applications.attachments import visible_attachments
from service.applications.access import sees_consultations
from service.applications.models import Application, Attachment, WorkItem
from service.applications.numbers import application_match, clean_query
from service.versions.deploy import loaded_version
from service.accounts.models import User


# A list's total is counted up to this many (shown as "10000+" beyond): the province's list would otherwise count
# every application of every round at each page, a city's every application of the city.
TOTAL_CAP = 10_000


def list_applications(user: User, *, page: int, page_size: int, total_cap: int = TOTAL_CAP, **filters) -> dict:
    """A page of the applications ``user`` may see, newest first, and how many there are (up to ``total_cap``)."""
    q = clean_query(filters.get("q"))
    query = listed(user, **{**filters, "q": q})
    total = db.session.scalar(counted(query, total_cap))
    items = db.session.scalars(query.order_by(Application.id.desc()).offset((page - 1) * page_size)
                               .limit(page_size)).all()
    return {"items": items, "total": min(total, total_cap), "total_capped": total > total_cap, "page": page,
            "page_size": page_size, "q": q}


def listed(user: User, **filters):
    """The applications ``user`` may see that match ``filters`` (q already cleaned), unordered."""
    query = select(Application)
    visible = visible_ids(user)
    if visible is not None:  # the ids by index, branch by branch: never an OR over the whole table
        query = query.where(Application.id.in_(visible))
    if filters.get("q"):  # number, credit code or unit name
        query = query.where(application_match(filters["q"]))
    for name in ("round_id", "city_code", "category", "stage", "outcome"):
        if filters.get(name) is not None:
            query = query.where(getattr(Application, name) == filters[name])
    return query


def counted(query, cap: int):
    """How many rows ``query`` has, counting no further than ``cap`` + 1 (cap + 1 means "more than cap")."""
    return counted_up_to(query.with_only_columns(Application.id), cap + 1)


def _columns(row) -> dict:
    """A row as plain values: a response built inside the transaction needs no reload after the commit."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def open_items(application_id: int) -> list[WorkItem]:
    return db.session.scalars(select(WorkItem).where(WorkItem.application_id == application_id)
                              .order_by(WorkItem.id)).all()


def application_detail(user: User, application_id: int) -> dict:
    application = visible_application_or_404(user, application_id)
    return detail_view(user, application, open_items(application.id),
                       loaded_version(application.process_version_id).number)


def detail_view(user: User, application: Application, items, version_number: int, *, attachments=None,
                with_mismatches: bool = True) -> dict:
    """One application as its detail page and a submit's response show it, from rows already loaded
    (``attachments`` given when known, e.g. none yet for an application just started). A submit's response
    leaves out ``exclusion_mismatches`` (``with_mismatches=False``): the detail and the page show them."""
    if not sees_everything(user):
        # Others see the tasks they could work on, plus that non-expert steps are open.
        items = [i for i in items if i.role != "expert" or can_work_on(user, i)]
    if attachments is None:
        attachments = db.session.scalars(select(Attachment).where(Attachment.application_id == application.id)
                                         .order_by(Attachment.id)).all()
    visible = visible_attachments(user, attachments)
    detail = {**_columns(application), "process_version": version_number,
              "open_tasks": [_columns(i) for i in sorted(items, key=lambda i: i.id or 0)],
              "attachments": [_columns(a) for a in visible if a.removed_at is None],
              # Deleted or replaced before submitting: no longer materials, still on record.
              "removed_attachments": [_columns(a) for a in visible if a.removed_at is not None]}
    if with_mismatches and sees_consultations(user):
        # Where the city's verified answers contradict the self-declaration: the province must see it. A
        # verification cannot be submitted without its evidence PDF, so without one there is nothing to
        # compare and the trail is not read.
        from service.applications.verification import EVIDENCE_KEY, exclusion_mismatches
        verified = any(a.kind == EVIDENCE_KEY for a in attachments)
        detail["exclusion_mismatches"] = exclusion_mismatches(application) if verified else []
    return detail


def _expert_elements(application: Application) -> set[str]:
    definition = loaded_version(application.process_version_id).definition
    return {t.bpmn_id for t in definition.user_tasks.values() if t.role == "expert"}


def audit_view(user: User, application_id: int) -> dict:
    return trail_view(user, visible_application_or_404(user, application_id))


def trail_view(user: User, application: Application) -> dict:
    """The ordered trail and whether its chain verifies (one read of the events); each event's data as
    ``user`` may see it."""
    chain = audit.application_chain(application.id)
    rows = audit.trail(chain)
    report = audit.verify_events(chain, rows)
    experts = _expert_elements(application)
    events = []
    for event in rows:
        data = visible_event_data(user, event.action, event.element_id, event.actor, json.loads(event.data),
                                  experts)
        events.append({"seq": event.seq, "at": event.at, "actor": event.actor, "action": event.action,
                       "element_id": event.element_id, "data": data, "hash": event.hash})
    names = actor_names(user, {event["actor"] for event in events})  # one query for the whole trail
    for event in events:
        event["actor_name"] = event_actor_name(event["action"], event["actor"], names)
        if names.get(event["actor"]) == EXPERT_ALIAS:  # nor the expert's login name to those not told who reviewed
            event["actor"] = EXPERT_ALIAS
    return {"verified": report.ok, "broken_at": report.broken_at, "reason": report.reason, "events": events}


def audit_export(user: User, application_id: int) -> dict:
    """Everything an auditor needs to show one application's path: the trail with the data submitted at
    each step, the elements passed through (to draw on the diagram), the diagram itself, and whether the
    record is intact."""
    application = visible_application_or_404(user, application_id)
    view = audit_view(user, application_id)
    version = loaded_version(application.process_version_id)
    bundle = version.definition.bundle
    path = []
    for event in view["events"]:
        if event["element_id"] and event["element_id"] not in path:
            path.append(event["element_id"])
        for taken in event["data"].get("taken", []) if isinstance(event["data"], dict) else []:
            if taken not in path:
                path.append(taken)
    return {
        "application": {c.key: getattr(application, c.key) for c in Application.__table__.columns if c.key != "state"},
        "process_version": {"number": version.number, "content_hash": bundle.content_hash},
        "verification": {"verified": view["verified"], "broken_at": view["broken_at"], "reason": view["reason"]},
        "path": path,
        "steps": [{"step": e["element_id"], "name": e["data"].get("name"), "by": e["actor"],
                   "by_name": e["actor_name"], "at": e["at"],
                   "data": e["data"].get("form")} for e in view["events"] if e["action"] == "task_completed"],
        "events": view["events"],
        "diagrams": bundle.bpmn_files(),
    }
