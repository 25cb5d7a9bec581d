"""Task inboxes and the task page: read only the WorkItem index, never deserialise workflows."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import false, func, select, union_all
from sqlalchemy.orm import aliased

from service.audit import chain as audit
from service.applications import panels
from service.applications.access import (actor_names, can_work_on, sees_everything, works_tasks, visible_application_or_404,
                                         visible_event_data, work_count_filter,
                                         work_item_filter, work_item_scopes)
from service.applications.commands import NotYours, form_options, get_application_or_404, organisation_fields
from service.applications.panel_changes import substitution_view
from service.applications.decision_facts import (EXPERT_RESULT_FORMS, OBJECTION_FORMS, expert_results,
                                                 objections_view, resubmitted_changes, step_forms)
from service.applications.decisions import DECISION_KEY, confirmations, decision_label, without_opinion
from service.platform.errors import Forbidden, Invalid, NotFound, TaskNotReady
from service.platform.extensions import db
from service.forms.schema import draft_problems
from service.platform.inputs import text_problem
from service.platform.reference import CITIES
from service.versions.categories import known_categories
from service.applications.models import Application, TaskDraft, TaskUrge, WorkCount, WorkItem
from service.applications.numbers import clean_query, matching_ids
from service.audit.models import AuditEvent, completed_task_event
from service.accounts.models import User
from service.versions.deploy import loaded_version
from service.versions.notice_files import offered
from service.applications.materials import required_view
from service.platform.timeutil import to_shanghai, utcnow

DUE_SOON = timedelta(days=3)
# The inbox page's joins: who claimed each task, its latest 催办 and who urged. Made once: an alias built per
# request costs more than the statement it joins (SQLAlchemy adapts its columns anew each time).
CLAIMER, URGE, URGER = aliased(User, name="claimer"), aliased(TaskUrge, name="latest_urge"), aliased(User, name="urger")


def inbox(user: User, *, page: int, page_size: int, step=None, city=None, category=None, claimed=None,
          q=None) -> dict:
    filters = []  # the filters the page asked for, on top of the inbox's own rule
    q = clean_query(q)
    if q:  # number, credit code or unit name: the matching applications by index, then their open items
        filters.append(WorkItem.application_id.in_(matching_ids(q)))
    if step:
        filters.append(WorkItem.bpmn_id == step)
    if city:
        filters.append(WorkItem.city_code == city)
    if category:
        filters.append(WorkItem.category == category)
    if claimed == "yes":
        filters.append(WorkItem.claimed_by.is_not(None))
    elif claimed == "no":
        filters.append(WorkItem.claimed_by.is_(None))
    elif claimed == "mine":
        filters.append(WorkItem.claimed_by == user.id)
    query = select(WorkItem).where(work_item_filter(user), *filters)
    if filters:
        # A filtered total counts the index alone; only the page itself is joined to its applications.
        counted = query.with_only_columns(func.count(WorkItem.id))
    else:  # the inbox counters: a few rows per step, city and category, whatever the backlog
        counted = select(func.coalesce(func.sum(WorkCount.n), 0)).where(work_count_filter(user))
    counted = counted.correlate(None).scalar_subquery()  # uncorrelated: computed once, not per row
    page_ids = _page_ids(user, filters, page=page, page_size=page_size)
    # One statement for the page, its total, who claimed each task and its latest 催办 (the same snapshot).
    rows = db.session.execute(
        select(WorkItem, Application.unit_name, Application.number, CLAIMER.display_name, URGE.urged_at, URGE.note,
               URGER.display_name, counted)
        .join(page_ids, page_ids.c.id == WorkItem.id)
        .join(Application, Application.id == WorkItem.application_id)
        .outerjoin(CLAIMER, CLAIMER.id == WorkItem.claimed_by)
        .outerjoin(URGE, (URGE.task_id == WorkItem.task_id) & (URGE.id == _latest_urge()))
        .outerjoin(URGER, URGER.id == URGE.urged_by)
        .order_by(WorkItem.due_order, WorkItem.id)).all()
    if rows:
        total = rows[0][-1]
    else:  # an empty first page is an empty inbox; past the end, the total is asked for alone
        total = 0 if page == 1 else db.session.scalar(select(counted))
    names = known_categories()
    return {"items": [{**task_summary(item, unit_name, names, number=number, claimer=claimer_name),
                       "urged": None if urged_at is None else {"at": urged_at, "by": urged_by, "note": note}}
                      for item, unit_name, number, claimer_name, urged_at, note, urged_by, _ in rows],
            "total": total, "page": page, "page_size": page_size, "q": q}


def _page_ids(user: User, filters: list, *, page: int, page_size: int):
    """The ids of one inbox page in (due_order, id) order, read along an index. An account holding several task
    roles has one scope per role: each is walked in order up to the page's end and the few rows merged (an OR
    of the scopes would read and sort every open task of all of them: 0.4 s at a million applications)."""
    order = (WorkItem.due_order, WorkItem.id)
    skip = (page - 1) * page_size
    scopes = work_item_scopes(user)
    if len(scopes) < 2:
        return (select(WorkItem.id).where(*scopes or [false()], *filters).order_by(*order).offset(skip)
                .limit(page_size).subquery())
    ends = [select(*order).where(scope, *filters).order_by(*order).limit(skip + page_size).subquery()
            for scope in scopes]
    merged = union_all(*(select(end.c.due_order, end.c.id) for end in ends)).subquery()
    return select(merged.c.id).order_by(merged.c.due_order, merged.c.id).offset(skip).limit(page_size).subquery()


def _latest_urge():
    """The id of a task's latest 催办 (the task_urge index, by task then time), for an outer join."""
    return (select(TaskUrge.id).where(TaskUrge.task_id == WorkItem.task_id)
            .order_by(TaskUrge.urged_at.desc(), TaskUrge.id.desc()).limit(1).correlate(WorkItem).scalar_subquery())


UNKNOWN = object()


def task_summary(item: WorkItem, unit_name: str, category_names: dict[str, str] | None = None, *,
                 number: str | None = None, claimer=UNKNOWN) -> dict:
    """One task as lists and pages show it; ``claimer`` is the claiming account's display name when the
    caller read it with the task (an inbox page joins it), else it is looked up."""
    now = utcnow()
    category_names = known_categories() if category_names is None else category_names
    if claimer is UNKNOWN:
        claimer = db.session.get(User, item.claimed_by).display_name if item.claimed_by else None
    return {
        "task_id": item.task_id, "application_id": item.application_id, "number": number, "unit_name": unit_name,
        "city_code": item.city_code, "city_name": CITIES.get(item.city_code), "category": item.category,
        "category_name": category_names.get(item.category, item.category), "step": item.bpmn_id, "name": item.name, "role": item.role,
        "claimed_by": None if item.claimed_by is None else {"id": item.claimed_by, "display_name": claimer},
        "created_at": item.created_at, "due_at": item.due_at,
        "overdue": item.due_at is not None and item.due_at <= now,
        "due_soon": item.due_at is not None and now < item.due_at <= now + DUE_SOON,
    }


def task_for(user: User, task_id: str, *, to_work: bool) -> WorkItem:
    """The work item if ``user`` may work on it (or, to read, may see everything); else 403/404."""
    return _task_row(user, task_id, to_work=to_work, query=select(WorkItem))[0]


def _task_row(user: User, task_id: str, *, to_work: bool, query):
    """The row of ``query`` (the work item first, joined to what the caller needs) for a task ``user`` may work
    on (or, to read, may see everything); else 403/404."""
    if text_problem(str(task_id)):  # no task id holds control characters, and PostgreSQL refuses to look one up
        raise NotFound("待办任务不存在", code="task_not_found")
    query = query.where(WorkItem.task_id == str(task_id))
    if not to_work and sees_everything(user):
        row = db.session.execute(query).first()
        if row is None:
            _refuse_done(user, task_id)
            raise NotFound("待办任务不存在", code="task_not_found")
        return row
    if to_work and not works_tasks(user):
        raise Forbidden("您的角色不办理任务")
    row = db.session.execute(query.where(work_item_filter(user))).first()
    if row is not None:
        return row
    _refuse_done(user, task_id)
    raise NotFound("待办任务不存在或不属于您", code="task_not_found")


def _refuse_done(user: User, task_id: str) -> None:
    """409 naming the step, who did it (by name, as ``user`` may know them) and when, for a task already done;
    its details name the application, which the user may see, so a page can lead there instead of a dead end."""
    event = _completed_by(user, task_id)
    if event is not None:
        step, who = json.loads(event.data).get("name", ""), actor_names(user, [event.actor])[event.actor]
        raise TaskNotReady(f"任务“{step}”已由 {who} 办理（{to_shanghai(event.at):%Y-%m-%d %H:%M}），请刷新待办",
                           details={"application_id": event.application_id, "done_by": who,
                                    "done_at": event.at.isoformat()}) from None


def in_inbox(user: User, task_id: str, command):
    """Run ``command`` on a task; one that is not in ``user``'s inbox answers as the inbox does (404, 403 for
    a role that never works, or 409 naming who already did it), whichever edge asked."""
    try:
        return command()
    except (NotYours, NotFound):
        task_for(user, task_id, to_work=True)  # raises the inbox's answer
        raise


def _completed_by(user: User, task_id: str) -> AuditEvent | None:
    """The event that completed the task, if it was completed on an application the user may see."""
    if len(str(task_id)) != 36:
        return None
    event = db.session.scalar(select(AuditEvent).where(completed_task_event(task_id))
                              .order_by(AuditEvent.id.desc()).limit(1))
    if event is None:
        return None
    try:
        visible_application_or_404(user, event.application_id)
    except NotFound:
        return None
    return event


def _form_of(item: WorkItem) -> tuple[dict, Application]:
    application = get_application_or_404(item.application_id)
    definition = loaded_version(application.process_version_id).definition
    form = definition.bundle.form(item.form) if item.form else {"components": []}
    return form, application


def _step_form(process_version_id: int, element_id: str | None) -> dict | None:
    """The form of a step of a deployed version (None for a step without one)."""
    definition = loaded_version(process_version_id).definition
    info = definition.user_tasks.get(element_id or "")
    return definition.bundle.form(info.form) if info and info.form and info.form in definition.bundle.forms else None


def _history(user: User, application: Application, expert_elements: set[str]) -> tuple[list[dict], list[dict]]:
    """Earlier decisions on this application that ``user`` may see, and the objections recorded on it (each
    event's data as ``user`` may see it): one read of the trail for both."""
    history, objections = [], []
    for event in audit.trail(audit.application_chain(application.id)):
        if event.action not in ("task_completed", "objection_recorded"):
            continue
        data = visible_event_data(user, event.action, event.element_id, event.actor, json.loads(event.data),
                                  expert_elements)
        if event.action == "objection_recorded":
            objections.append({**data, "seq": event.seq})
            continue
        if data.get("form") is None:
            continue  # another expert's review: not even that it exists
        history.append({"step": event.element_id, "name": data.get("name"), "actor": event.actor, "at": event.at,
                        "seq": event.seq, "data": data.get("form", {})})
    names = actor_names(user, {h["actor"] for h in history})  # one query for the whole history
    for entry in history:
        entry["actor_name"] = names.get(entry["actor"], "")
    return history, objections


def sent_back(user: User, application_ids: list[int]) -> dict[int, dict]:
    """For the unit's list (/my): which of these applications were sent back to it, with the reviewer's step
    and comment, from each one's latest completed task (one query for the page, not one per row)."""
    if not application_ids:
        return {}
    latest = (select(func.max(AuditEvent.id))
              .where(AuditEvent.application_id.in_(application_ids), AuditEvent.action == "task_completed")
              .group_by(AuditEvent.application_id))
    result = {}
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(latest))):
        data = visible_event_data(user, event.action, event.element_id, event.actor, json.loads(event.data), set())
        form = data.get("form") or {}
        if form.get(DECISION_KEY) == "send_back":
            result[event.application_id] = {"step": data.get("name") or "", "comments": form.get("comments") or "",
                                            "at": event.at}
    return result


def task_page(user: User, task_id: str) -> dict:
    """Everything a form page needs: the form, the data to show, context and earlier decisions."""
    # The item, its application and the user's draft of it: one query.
    item, application, draft = _task_row(user, task_id, to_work=False, query=select(WorkItem, Application, TaskDraft)
                                         .join(Application, Application.id == WorkItem.application_id)
                                         .outerjoin(TaskDraft, (TaskDraft.task_id == WorkItem.task_id)
                                                    & (TaskDraft.user_id == user.id)))
    definition = loaded_version(application.process_version_id).definition
    form = definition.bundle.form(item.form) if item.form else {"components": []}
    expert_elements = {t.bpmn_id for t in definition.user_tasks.values() if t.role == "expert"}
    history, objections = _history(user, application, expert_elements)
    if draft is not None:
        data, source = draft.data, "draft"
    else:
        # Sent back? Start from what was submitted last time at this step.
        earlier = [h["data"] for h in history if h["step"] == item.bpmn_id]
        data, source = (earlier[-1], "previous") if earlier else ({}, "empty")
        if earlier and item.role != "applicant":
            data = without_opinion(data)  # the reviewer decides afresh on what the unit changed
    data = {**data, **organisation_fields(application, form)}
    options = form_options(application, form, with_pool=False, labelled=True)  # the page shows the PDFs' names
    panel = None
    if panels.panel_component(form) is not None:
        # The eligible experts, labelled with employer, city and workload (one query for all of them).
        pool = panels.eligible_experts(application)
        options[panels.POOL_KEY] = [{"value": str(c.id), "label": c.label} for c in pool]
        if can_work_on(user, item):  # the draw button is for who may do the step
            panel = {"count": options.get("expert_count"), "eligible_count": len(pool)}
    info = definition.user_tasks.get(item.bpmn_id)
    task = {**task_summary(item, application.unit_name, number=application.number), "time_limit_days": info.time_limit_days if info else None}
    return {"task": task, "form": form, "data": data, "data_source": source,
            "confirm": confirmations(form),  # an irreversible decision asks first, naming the consequence
            **_decision_facts(user, item, form, definition, history, objections, expert_elements),
            "draft_saved_at": draft.updated_at if draft else None, "options": options,
            "version": application.version, "application": application, "history": history, "panel": panel,
            "substitution": substitution_view(item, application),
            "may_declare_conflict": item.role == "expert" and item.assignee == str(user.id)
            and can_work_on(user, item),
            # The notice's files of this version for the category, and the reports the declaration needs.
            "notice_files": offered(definition.notice_files, application.category),
            "required_attachments": required_view(definition, application.category, item.bpmn_id)}


def _decision_facts(user: User, item: WorkItem, form: dict, definition, history: list[dict],
                    objections: list[dict], expert_elements: set[str]) -> dict:
    """What this step's decision weighs, from the trail already read: the objections (the objection step),
    the experts' results (inspection, formal review) and what the unit changed (a re-review)."""
    forms = step_forms(definition)
    applicant_steps = {t.bpmn_id for t in definition.user_tasks.values() if t.role == "applicant"}
    form_id = form.get("id")
    return {"objections": objections_view(user, objections, history, forms) if form_id in OBJECTION_FORMS
            else None,
            "expert_results": expert_results(history, expert_elements, forms) if form_id in EXPERT_RESULT_FORMS
            else None,
            "changes": resubmitted_changes(item.role, history, forms, applicant_steps)}


def save_draft(user: User, task_id: str, data: dict) -> TaskDraft:
    item = task_for(user, task_id, to_work=True)
    form, _ = _form_of(item)
    errors = draft_problems(form, data)
    if errors:
        raise Invalid("草稿未保存：有的字段内容无法保存", fields=errors)
    draft = db.session.scalar(select(TaskDraft).where(TaskDraft.task_id == item.task_id,
                                                      TaskDraft.user_id == user.id))
    if draft is None:
        draft = TaskDraft(application_id=item.application_id, task_id=item.task_id, user_id=user.id, data=data)
        db.session.add(draft)
    draft.data, draft.updated_at = data, utcnow()
    item.has_draft = True
    return draft


def inbox_counts(user: User) -> dict:
    """Open tasks per step, city and category, for the inbox's filters: one pass over the index."""
    # Summed from the inbox counters (a few rows per step, city and category, whatever the backlog);
    # the steps' names come from one row each.
    rows = db.session.execute(
        select(WorkCount.bpmn_id, WorkCount.city_code, WorkCount.category, func.sum(WorkCount.n))
        .where(work_count_filter(user))
        .group_by(WorkCount.bpmn_id, WorkCount.city_code, WorkCount.category)).all()
    rows = [row for row in rows if row[3]]  # a bucket whose tasks are all done sums to 0
    steps, cities, categories = defaultdict(int), defaultdict(int), defaultdict(int)
    for step, city, category, count in rows:
        steps[step] += count
        cities[city] += count
        categories[category] += count
    names = {step: db.session.scalar(select(WorkItem.name).where(work_item_filter(user), WorkItem.bpmn_id == step)
                                     .limit(1)) for step in steps}
    return {"step": [(step, names[step], count) for step, count in sorted(steps.items())],
            "city": [(city, None, count) for city, count in sorted(cities.items())],
            "category": [(category, None, count) for category, count in sorted(categories.items())],
            "total": sum(steps.values())}


def done_list(user: User, *, page: int, page_size: int, q=None) -> dict:
    """Tasks ``user`` completed (已办), newest first, from the audit trail's actor index."""
    query = select(AuditEvent).where(AuditEvent.actor == user.username, AuditEvent.action == "task_completed")
    q = clean_query(q)
    if q:
        query = query.where(AuditEvent.application_id.in_(matching_ids(q)))
    total = db.session.scalar(query.with_only_columns(func.count(AuditEvent.id)))
    rows = db.session.execute(query.add_columns(Application.unit_name, Application.category, Application.city_code,
                                                Application.stage, Application.outcome, Application.number,
                                                Application.process_version_id)
                              .join(Application, Application.id == AuditEvent.application_id)
                              .order_by(AuditEvent.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    items = []
    for event, unit, category, city, stage, outcome, number, version_id in rows:
        data = json.loads(event.data)
        items.append({"application_id": event.application_id, "step": event.element_id, "name": data.get("name"),
                      "at": event.at, "unit_name": unit, "category": category, "city_code": city,
                      "stage": stage, "outcome": outcome, "number": number,
                      # What I decided, as my form labels it (the version's forms are loaded once and cached).
                      "decision": decision_label(_step_form(version_id, event.element_id), data.get("form"))})
    return {"items": items, "total": total, "page": page, "page_size": page_size, "q": q}
