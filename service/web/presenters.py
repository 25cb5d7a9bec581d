"""What the pages show, read from the service: submitted data under its form labels, the trail, the path."""
from __future__ import annotations

import json

from sqlalchemy import select

from service.accounts.models import User
from service.accounts.names import UNKNOWN, account_names_by_id
from service.applications.access import sees_everything, visible_application_or_404
from service.applications.decision_facts import step_forms
from service.applications.panels import POOL_KEY
from service.applications.attachments import visible_attachments
from service.applications.models import Application, Attachment
from service.applications.saving import waiting_elements
from service.applications.verification import ATTACHMENT_KEYS
from service.applications.views import detail_view, open_items, trail_view
from service.forms.describe import describe
from service.versions.deploy import loaded_version
from service.platform.extensions import db
from service.web.filters import shanghai

# Shown in the timeline without opening the entry: what a reader looks for first.
KEY_FIELDS = ("decision", "score", "comments", "opinion", "result", "conclusion")


def forms_by_step(application: Application) -> tuple[dict, dict[str, dict], set[str]]:
    """The version (number, content hash), each user task's form by element id, and the applicant's steps."""
    loaded = loaded_version(application.process_version_id)
    definition = loaded.definition
    forms = step_forms(definition)
    applicant_steps = {t.bpmn_id for t in definition.user_tasks.values() if t.role == "applicant"}
    return {"number": loaded.number, "content_hash": definition.bundle.content_hash}, forms, applicant_steps


# An element the diagram left unnamed is still told by what it is, never by its id.
UNNAMED_STEPS = {"gateway_decision": "分支判断", "started": "流程开始", "ended": "流程结束", "timer_fired": "定时事件",
                 "message_received": "消息事件", "script_run": "自动计算", "rule_evaluated": "规则判定",
                 "multi_instance_completed": "会签环节", "task_completed": "办理环节"}


def step_name(element_names: dict[str, str], element_id: str | None, action: str, recorded: str | None) -> str:
    """The step's Chinese name: as recorded, unless the engine recorded the element's id for want of a name
    (then the diagram's name for it, else what kind of step it is)."""
    if recorded and recorded != element_id:
        return recorded
    if not element_id:
        return recorded or ""
    return element_names.get(element_id) or UNNAMED_STEPS.get(action, "流程环节")


def trail_entries(user: User, application: Application, forms: dict[str, dict]) -> tuple[dict, list[dict]]:
    view = trail_view(user, application)
    element_names = loaded_version(application.process_version_id).definition.element_names
    entries = []
    for event in view["events"]:
        data = event["data"] if isinstance(event["data"], dict) else {}
        rows = describe(forms.get(event["element_id"]), data.get("form")) if event["action"] == "task_completed" \
            else []
        extra = {k: v for k, v in data.items() if k not in ("name", "form", "opened_at", "due_at", "task_id")}
        fault = extra.get("fault")
        if isinstance(fault, dict) and fault.get("element_id"):
            extra["fault"] = {**fault, "element_name": step_name(element_names, fault["element_id"], "",
                                                                  fault.get("element_name"))}
        entries.append({**event, "name": step_name(element_names, event["element_id"], event["action"],
                                                   data.get("name")), "rows": rows,
                        "summary": [r for r in rows if r["key"] in KEY_FIELDS],
                        "redacted": data.get("redacted"), "extra": extra})
    _name_panels(user, entries)
    name_attachments(user, application, [row for entry in entries for row in entry["rows"]])
    return view, entries


def _name_panels(user: User, entries: list[dict]) -> None:
    """A chosen expert panel is recorded as account ids: show the experts by name to those who may know who
    reviewed (one query for the page), and to others only how many were chosen."""
    rows = [row for entry in entries for row in entry["rows"] if row.get("values_key") == POOL_KEY]
    if not rows:
        return
    if not sees_everything(user):
        for row in rows:
            row["text"] = f"{len(row['value']) if isinstance(row['value'], list) else 1} 位（姓名仅省厅和审计可见）"
        return
    ids = {int(v) for row in rows for v in (row["value"] if isinstance(row["value"], list) else [row["value"]])
           if str(v).isdigit()}
    names = account_names_by_id(ids)
    for row in rows:
        values = row["value"] if isinstance(row["value"], list) else [row["value"]]
        row["text"] = "、".join(names.get(int(v), UNKNOWN) if str(v).isdigit() else str(v) for v in values)


def _ids(value) -> list[int]:
    return [int(v) for v in (value if isinstance(value, list) else [value]) if str(v).isdigit()]


def name_attachments(user: User, application: Application, rows: list[dict]) -> None:
    """The city's verification records its evidence and the departments' replies as attachment ids: show
    the files by name (one query for the page), each with its download link for a reader allowed to open
    it (``row["files"]``); a file gone from the application reads 已删除的文件."""
    rows = [row for row in rows if row.get("values_key") in ATTACHMENT_KEYS]
    wanted = {i for row in rows for i in _ids(row["value"])}
    if not wanted:
        return
    found = db.session.scalars(select(Attachment).where(Attachment.application_id == application.id,
                                                        Attachment.id.in_(sorted(wanted)))).all()
    names = {a.id: a.original_name for a in found}
    openable = {a.id for a in visible_attachments(user, found) if a.removed_at is None}
    for row in rows:
        ids = _ids(row["value"])
        row["text"] = "、".join(names.get(i, "已删除的文件") for i in ids)
        row["files"] = [{"id": i, "name": names.get(i, "已删除的文件"), "openable": i in openable} for i in ids]


def path_of(entries: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Elements the instance passed through, in first-visit order, and each branch a gateway took
    as [gateway, target] (the diagram's flows are marked from these)."""
    path, taken = [], []
    for entry in entries:
        element = entry["element_id"]
        if element and element not in path:
            path.append(element)
        for target in entry["extra"].get("taken", []):
            if [element, target] not in taken:
                taken.append([element, target])
    return path, taken


def application_page(user: User, application_id: int) -> dict:
    """One read model for the application page: each row read once, the version from the cache."""
    application = visible_application_or_404(user, application_id)
    version, forms, applicant_steps = forms_by_step(application)
    detail = detail_view(user, application, open_items(application.id), version["number"])
    view, entries = trail_entries(user, application, forms)
    bundle = loaded_version(application.process_version_id).definition.bundle
    visits: dict[str, list[int]] = {}
    for entry in entries:
        if entry["element_id"]:
            visits.setdefault(entry["element_id"], []).append(entry["seq"])
    current = waiting_elements(application)
    path, taken = path_of(entries)
    return {
        "application": application, "detail": detail, "version": version, "entries": entries,
        "verified": view["verified"], "broken_at": view["broken_at"], "reason": view["reason"],
        "diagram": {"xml": next(iter(bundle.bpmn_files().values())), "path": path, "taken": taken,
                    "current": current, "visits": visits},
        # The latest declaration the applicant submitted (a send-back makes more than one).
        "declaration": next((e for e in reversed(entries) if e["action"] == "task_completed"
                             and e["element_id"] in applicant_steps), None),
    }


def task_context(page: dict, user: User) -> dict:
    """The task page's JSON for the form script: the form, the data, options, and earlier entries' forms."""
    application = page["application"]
    _, forms, _ = forms_by_step(application)
    history = []
    for entry in page["history"]:
        history.append({"step": entry["step"], "name": entry["name"], "actor": entry["actor_name"],
                        "at": shanghai(entry["at"]), "rows": describe(forms.get(entry["step"]), entry["data"])})
    name_attachments(user, application, [row for entry in history for row in entry["rows"]])
    return {"task_id": page["task"]["task_id"], "application_id": application.id, "form": page["form"],
            "changes": page["changes"],  # computed once by the service (the API serves the same list)
            "data": page["data"], "data_source": page["data_source"],
            "draft_saved_at": page["draft_saved_at"].isoformat() if page["draft_saved_at"] else None,
            "options": page["options"], "version": page["version"], "history": history,
            "user": user.username, "role": page["task"]["role"],
            # An irreversible decision asks before it is submitted, naming what follows.
            "confirm": page["confirm"]}


def dump(value) -> str:
    """JSON to embed in a <script> element: nothing in it can close the element."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
