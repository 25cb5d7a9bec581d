"""What a decision needs on its screen, read from the application's trail the task page loads anyway.

- The objection handler (Form_objection_handling) sees every objection recorded on the application: what was
  objected, when, the evidence (its description and PDFs) and who filed it, as far as ``access.sees_objector``
  allows (``visible_event_data`` applies that rule; the files follow ``visible_attachments``).
- The site inspection and the formal review (Form_site_inspection, Form_formal_review) see the experts' latest
  results: each expert's score and opinion (``access.sees_expert_review``, applied by the history), the
  average, and who asked for an inspection (the expert form's ``site_inspection`` box).
- A reviewer's step after a send-back sees what the unit changed since its previous submission.

Which screens show what is keyed by form id, as decisions.CONSEQUENCES is; the expert form's keys are the ones
the diagram's scoring script reads (``review["score"]``, ``review["site_inspection"]``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from service.applications.attachments import visible_attachments
from service.applications.decisions import decision_label
from service.applications.models import Attachment
from service.forms.describe import describe
from service.platform.extensions import db

OBJECTION_FORMS = ("Form_objection_handling",)
EXPERT_RESULT_FORMS = ("Form_site_inspection", "Form_formal_review")
SCORE_KEY, OPINION_KEY, SITE_KEY = "score", "opinion", "site_inspection"
REQUIRE_SITE_KEY = "require_site_inspection"  # the formal review's own request for an inspection
OBJECTOR_KEYS = ("real_name", "contact", "unit")


def step_forms(definition) -> dict[str, dict]:
    """Each user task's form of a deployed definition, by element id (parsed forms are cached)."""
    return {task.bpmn_id: definition.bundle.form(task.form) for task in definition.user_tasks.values()
            if task.form and task.form in definition.bundle.forms}


def _steps_with_form(forms: dict[str, dict], form_ids) -> set[str]:
    return {step for step, form in forms.items() if form.get("id") in form_ids}


# -- objections ----------------------------------------------------------------------------------

def _received_at(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def objections_view(user, recorded: list[dict], history: list[dict], forms: dict[str, dict]) -> list[dict]:
    """Every objection recorded on the application, oldest first. ``recorded``: each objection_recorded event's
    data as ``user`` may see it (visible_event_data) with its ``seq`` on the trail. An objection is handled by
    the objection step completed after it and before the next objection (they come one at a time: a second one
    is refused while the first is being handled); when an administrator's rewind had that step done again, the
    last time it was done is the decision that stands."""
    handling = _steps_with_form(forms, OBJECTION_FORMS)
    handled = [h for h in history if h["step"] in handling]
    files = _evidence_files(user, [i for data in recorded for i in data.get("attachment_ids") or []])
    view = []
    for n, data in enumerate(recorded):
        until = recorded[n + 1]["seq"] if n + 1 < len(recorded) else float("inf")
        done = next((h for h in reversed(handled) if data["seq"] < h["seq"] < until), None)
        shown = "redacted" not in data
        view.append({
            "n": n + 1, "received_at": _received_at(data.get("received_at")), "content": data.get("content") or "",
            "evidence": data.get("evidence") if shown else None,
            "attachments": [files[i] for i in data.get("attachment_ids") or [] if i in files],
            "objector": {key: data.get(key) or "" for key in OBJECTOR_KEYS} if shown else None,
            "redacted": data.get("redacted"),
            "handled": done is not None,
            "decision": decision_label(forms.get(done["step"]), done["data"]) if done else None,
            "handled_at": done["at"] if done else None})
    return view


def _evidence_files(user, ids: list[int]) -> dict[int, dict]:
    """The objections' PDFs ``user`` may download, by id (one query; none when nothing is attached or seen)."""
    if not ids:
        return {}
    rows = db.session.scalars(select(Attachment).where(Attachment.id.in_(ids)))
    return {a.id: {"id": a.id, "name": a.original_name, "size": a.size}
            for a in visible_attachments(user, rows) if a.removed_at is None}


# -- expert results --------------------------------------------------------------------------------

def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def expert_results(history: list[dict], expert_steps: set[str], forms: dict[str, dict]) -> dict | None:
    """The latest panel's reviews as ``history`` shows them to its reader (another expert's review is not in it),
    the average of their scores and who asked for an inspection; None when no expert has reviewed yet.
    A panel's reviews are completed one after another; any other step between them starts a new panel."""
    panels: list[list[dict]] = []
    previous_was_expert = False
    for entry in history:
        is_expert = entry["step"] in expert_steps
        if is_expert:
            if not previous_was_expert:
                panels.append([])
            panels[-1].append(entry)
        previous_was_expert = is_expert
    if not panels:
        return None
    reviews = [{"expert": entry.get("actor_name") or "", "score": _number(entry["data"].get(SCORE_KEY)),
                "opinion": entry["data"].get(OPINION_KEY) or "", "site_inspection": entry["data"].get(SITE_KEY) is True,
                "at": entry["at"]} for entry in panels[-1]]
    scores = [r["score"] for r in reviews if r["score"] is not None]
    formal = _steps_with_form(forms, ("Form_formal_review",))
    decided = [h for h in history if h["step"] in formal]
    return {"reviews": reviews, "count": len(reviews),
            "average": round(sum(scores) / len(scores), 2) if scores else None,
            "inspection_requested_by": [r["expert"] for r in reviews if r["site_inspection"]],
            "required_by_formal_review": bool(decided) and decided[-1]["data"].get(REQUIRE_SITE_KEY) is True}


# -- a re-review after a send-back ---------------------------------------------------------------------

def resubmitted_changes(role: str, history: list[dict], forms: dict[str, dict],
                        applicant_steps: set[str]) -> list[dict] | None:
    """For a reviewer's step after a send-back: what the unit changed between its last two submissions,
    field by field with the form's labels (None when the unit submitted only once, or for the unit itself)."""
    if role == "applicant":
        return None
    submissions = [h for h in history if h["step"] in applicant_steps]
    if len(submissions) < 2:
        return None
    before, after = submissions[-2], submissions[-1]
    old = {r["key"]: r for r in describe(forms.get(before["step"]), before["data"])}
    new = {r["key"]: r for r in describe(forms.get(after["step"]), after["data"])}
    changes = []
    for key in list(new) + [k for k in old if k not in new]:  # the form's order, then fields now left empty
        was, now = old.get(key), new.get(key)
        if (was or {}).get("text") != (now or {}).get("text"):
            changes.append({"key": key, "label": (now or was)["label"], "old": was["text"] if was else "",
                            "new": now["text"] if now else ""})
    return changes
