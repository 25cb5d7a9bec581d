"""The province's ranking per category, and the expert-review summary (专家评审汇总表) it is printed as.

Who ranks first: the higher average expert score; among equal averages, the higher sum of the weights of the
application's priority signals (优先推荐情形). Both the signals and their weights come from the priority
decision in the round's process version (processes/priority.dmn, engine/priority.py), so next year's rule is
an edit in a draft; a draft's rule is previewed against a real round before deployment (``ranking_preview``,
run confined like every other piece of a draft's code). Applications still with experts, or ended short of
the list, are not ranked; those under notice or published stay in.

Everything is read from the audit trail in three queries per round, whatever its size: the applications with
expert reviews, their declarations and scores, and which of them were published.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from openpyxl import Workbook
from sqlalchemy import select

from service.accounts.models import User
from service.applications.access import EXPERT_ALIAS, actor_names, sees_ranking
from service.applications.models import Application, WorkItem
from service.audit.models import AuditEvent
from service.engine.bundle import Bundle
from service.engine.confine import ConfinedFailure, Limits, run_confined
from service.engine.priority import PriorityDecision, PriorityFailed, priority_decision, weight_of
from service.platform.errors import Forbidden, ServiceError
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.platform.timeutil import to_shanghai, utcnow
from service.rounds.models import Round
from service.rounds.reports import _sheet
from service.versions.categories import version_categories
from service.versions.deploy import loaded_version

RULE_TEXT = ("排名规则：按专家评审平均分从高到低；平均分相同的，按优先推荐情形权重之和从高到低；仍相同的并列。"
             "优先推荐情形及其权重由流程版本的“优先推荐情形”决策表（priority.dmn）规定。")
PREVIEW_LIMITS = Limits(seconds=60, cpu_seconds=60, memory_mb=512)


class PreviewStopped(ServiceError):
    status, code = 422, "ranking_preview_stopped"


@dataclass
class Reviewed:
    """One application whose expert review is complete, as plain data (it crosses to a confined child)."""

    application_id: int
    category: str
    city_code: str
    unit_name: str
    credit_code: str | None
    stage: str
    declaration: dict
    scores: list[float]
    # Each expert's last review: {"actor": login, "score", "opinion", "site_inspection"} (the notice batch
    # names the experts to who may know them, access.actor_names).
    reviews: list[dict] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 2) if self.scores else None


@dataclass
class Ranked:
    rank: int
    tied: bool
    entry: Reviewed
    signals: list[dict] = field(default_factory=list)
    weight: float = 0.0
    problem: str | None = None

    def as_dict(self) -> dict:
        e = self.entry
        return {"rank": self.rank, "tied": self.tied, "application_id": e.application_id, "unit_name": e.unit_name,
                "credit_code": e.credit_code, "city_code": e.city_code, "city": CITIES.get(e.city_code, e.city_code),
                "category": e.category, "stage": e.stage, "average_score": e.average, "scores": list(e.scores),
                "review_count": len(e.scores), "signals": self.signals, "priority_weight": self.weight,
                "problem": self.problem, "reviews": list(e.reviews)}


# -- reading the round ------------------------------------------------------------------

def _elements_by_role(round_id: int) -> tuple[set[str], set[str]]:
    """The expert steps and the declaration steps of every version the round's applications run on."""
    experts, declarations = set(), set()
    for version_id in db.session.scalars(select(Application.process_version_id)
                                         .where(Application.round_id == round_id).distinct()):
        for task in loaded_version(version_id).definition.user_tasks.values():
            if task.role == "expert":
                experts.add(task.bpmn_id)
            elif task.role == "applicant":
                declarations.add(task.bpmn_id)
    return experts, declarations


def reviewed_applications(round_id: int, category: str | None = None) -> tuple[list[Reviewed], int]:
    """The round's applications whose expert review is complete and which are still in the running (or were
    published), with their last declaration and each expert's last score; and how many still wait for experts."""
    experts, declarations = _elements_by_role(round_id)
    if not experts:
        return [], 0
    scope = [Application.round_id == round_id] + ([Application.category == category] if category else [])
    reviewed_ids = (select(AuditEvent.application_id).join(Application, Application.id == AuditEvent.application_id)
                    .where(*scope, AuditEvent.action == "task_completed", AuditEvent.element_id.in_(experts))
                    .distinct())
    applications = {a.id: a for a in db.session.scalars(select(Application).where(Application.id.in_(reviewed_ids)))}
    if not applications:
        return [], 0
    ids = list(applications)
    pending = set(db.session.scalars(select(WorkItem.application_id).where(
        WorkItem.application_id.in_(ids), WorkItem.role == "expert").distinct()))
    published = set(db.session.scalars(select(AuditEvent.application_id).where(
        AuditEvent.application_id.in_(ids), AuditEvent.action == "batch_action",
        AuditEvent.data.contains('"action":"publish"')).distinct()))
    forms: dict[int, dict] = {i: {"declaration": {}, "scores": {}, "reviews": {}} for i in ids}
    for application_id, actor, element_id, data in db.session.execute(
            select(AuditEvent.application_id, AuditEvent.actor, AuditEvent.element_id, AuditEvent.data)
            .where(AuditEvent.application_id.in_(ids), AuditEvent.action == "task_completed",
                   AuditEvent.element_id.in_(experts | declarations))
            .order_by(AuditEvent.application_id, AuditEvent.seq)):
        form = json.loads(data).get("form") or {}
        if element_id in experts:
            score = form.get("score")
            if isinstance(score, (int, float)) and not isinstance(score, bool):
                forms[application_id]["scores"][actor] = float(score)  # a redone review replaces the first
                forms[application_id]["reviews"][actor] = {
                    "actor": actor, "score": float(score), "opinion": form.get("opinion") or "",
                    "site_inspection": form.get("site_inspection") is True}
        else:
            forms[application_id]["declaration"] = form
    entries = []
    for application_id, application in sorted(applications.items()):
        if application_id in pending:
            continue
        if application.outcome is not None and application_id not in published:
            continue  # ended short of the list: 评审未通过, 核查未通过, 异议成立, ...
        found = forms[application_id]
        entries.append(Reviewed(application_id, application.category, application.city_code,
                                application.unit_name,
                                application.credit_code or found["declaration"].get("credit_code"),
                                "已列入名单" if application_id in published else (application.stage or ""),
                                {**found["declaration"], "category": application.category},
                                list(found["scores"].values()), list(found["reviews"].values())))
    return entries, len(pending)


# -- ranking (pure: runs in the server for deployed versions, in a confined child for drafts) --------------

def rank(entries: list[Reviewed], decision: PriorityDecision | None) -> dict[str, list[Ranked]]:
    """category -> its applications in rank order (competition ranking: equal average and weight share a rank)."""
    by_category: dict[str, list[Ranked]] = {}
    for entry in entries:
        ranked = Ranked(0, False, entry)
        if decision is not None:
            try:
                signals = decision.signals(entry.declaration)
                ranked.signals, ranked.weight = [s.as_dict() for s in signals], weight_of(signals)
            except PriorityFailed as err:
                ranked.problem = str(err)
        by_category.setdefault(entry.category, []).append(ranked)
    for rows in by_category.values():
        rows.sort(key=lambda r: (-(r.entry.average or 0), -r.weight, r.entry.city_code, r.entry.application_id))
        for position, row in enumerate(rows, start=1):
            key = (row.entry.average, row.weight)
            previous = rows[position - 2] if position > 1 else None
            if previous is not None and (previous.entry.average, previous.weight) == key:
                row.rank, row.tied, previous.tied = previous.rank, True, True
            else:
                row.rank = position
    return by_category


def _categories(round_: Round) -> list[tuple[str, str]]:
    offered = version_categories(round_.process_version_id)
    return [(key, offered[key].name if key in offered else key) for key in round_.categories]


def _decision_of_round(round_: Round) -> PriorityDecision | None:
    return priority_decision(loaded_version(round_.process_version_id).definition.bundle)


def _require_reader(user: User) -> None:
    if not sees_ranking(user):
        raise Forbidden("专家评分与排名仅省工信厅、管理员和审计可见", code="ranking_forbidden")


def round_ranking(round_id: int, user: User, category: str | None = None) -> dict:
    """The ranking of every open category of the round (or of one), for someone who may see expert scores."""
    _require_reader(user)
    round_ = db.session.get(Round, round_id)
    decision = _decision_of_round(round_)
    entries, pending = reviewed_applications(round_id, category)
    ranked = rank(entries, decision)
    categories = [{"key": key, "name": name, "rows": [r.as_dict() for r in ranked.get(key, [])]}
                  for key, name in _categories(round_) if category in (None, key)]
    _name_experts(user, [row for c in categories for row in c["rows"]])
    return {"round_id": round_id, "rule": RULE_TEXT, "has_priority_rule": decision is not None,
            "priority_rules": decision.rules if decision else [], "pending_review": pending,
            "categories": categories}


def _name_experts(user: User, rows: list[dict]) -> None:
    """Each review's expert by name as ``user`` may know them (access.actor_names, one query), and who asked
    for an inspection by the same names; the logins stay inside."""
    names = actor_names(user, {review["actor"] for row in rows for review in row["reviews"]})
    for row in rows:
        row["reviews"] = [{**{k: v for k, v in review.items() if k != "actor"},
                           "expert": names.get(review["actor"], EXPERT_ALIAS)} for review in row["reviews"]]
        row["inspection_requested"] = [review["expert"] for review in row["reviews"] if review["site_inspection"]]


def ranking_by_application(ranking: dict) -> dict[int, dict]:
    """application id -> its row, to show beside a list of applications (the notice batch)."""
    return {row["application_id"]: row for category in ranking["categories"] for row in category["rows"]}


# -- a draft's rule against a real round --------------------------------------------------

def ranking_preview(bundle: Bundle, round_id: int) -> dict:
    """The round's ranking under the draft's priority decision beside the ranking under the round's own
    version: what an administrator's edit of the rule would change. The draft's code runs confined."""
    round_ = db.session.get(Round, round_id)
    entries, pending = reviewed_applications(round_id)
    current = loaded_version(round_.process_version_id).definition.bundle
    try:
        compared = run_confined(_compare_confined, bundle.to_json(), current.to_json(), entries,
                                limits=PREVIEW_LIMITS)
    except ConfinedFailure as failure:
        raise PreviewStopped(f"排名预演被强制停止：{failure.reason}；请检查优先推荐情形决策表") from None
    categories = []
    for key, name in _categories(round_):
        rows = compared.get(key, [])
        categories.append({"key": key, "name": name, "rows": rows,
                           "changed": sum(1 for r in rows if r["rank"] != r["rank_before"])})
    return {"round_id": round_id, "pending_review": pending, "categories": categories}


def _compare_confined(draft_json: str, current_json: str, entries: list[Reviewed]) -> dict[str, list[dict]]:
    after = rank(entries, priority_decision(Bundle.from_json(draft_json)))
    before = rank(entries, priority_decision(Bundle.from_json(current_json)))
    was = {r.entry.application_id: r for rows in before.values() for r in rows}
    return {key: [{**r.as_dict(), "rank_before": was[r.entry.application_id].rank,
                   "priority_weight_before": was[r.entry.application_id].weight} for r in rows]
            for key, rows in after.items()}


# -- the expert-review summary as a spreadsheet ------------------------------------------

def expert_summary_workbook(round_id: int, user: User) -> bytes:
    """专家评审汇总表: one sheet per category, ranked, each expert's score, the average, the signals."""
    ranking = round_ranking(round_id, user)
    round_ = db.session.get(Round, round_id)
    workbook = Workbook()
    workbook.remove(workbook.active)
    exported = f"导出时间：{to_shanghai(utcnow()):%Y-%m-%d %H:%M}"
    for category in ranking["categories"]:
        rows = category["rows"]
        width = max((row["review_count"] for row in rows), default=0)
        columns = ["排名", "市州", "单位名称", "统一社会信用代码", *(f"专家{n}评分" for n in range(1, width + 1)),
                   "评审专家数", "平均分", "优先推荐情形", "同分排序权重", "当前环节"]
        cells = [[row["rank"], row["city"], row["unit_name"], row["credit_code"],
                  *(row["scores"] + [None] * (width - len(row["scores"]))), row["review_count"],
                  row["average_score"], "、".join(s["label"] for s in row["signals"]) or row["problem"] or "无",
                  row["priority_weight"], row["stage"]] for row in rows]
        footer = [RULE_TEXT]
        if ranking["pending_review"]:
            footer.append(f"另有 {ranking['pending_review']} 个申报专家评审尚未完成，未列入本表。")
        _sheet(workbook, category["name"], f"{round_.name} 专家评审汇总表（{category['name']}）", columns, cells,
               [*footer, exported])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
