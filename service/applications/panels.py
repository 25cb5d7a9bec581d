"""Expert panels: which experts may review an application, their workload, the reproducible draw, and the
check of the panel the province submits.

An expert is eligible for an application when the account is active and holds the expert role, has a
specialty (category key) matching the application's category or a GB/T 4754 industry code matching one
the applicant declared (one code a prefix of the other), and is neither from the applicant's city nor
from the applicant's organisation (回避: employer or unit code). All of it is one SQL query over the
role index, bounded by MAX_POOL, with the open expert work items counted in the same query.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy import String, and_, cast, func, or_, select

from service.accounts.models import User, UserRole
from service.applications.models import Application, WorkItem
from service.audit.models import AuditEvent
from service.forms.schema import input_components
from service.platform.errors import Invalid
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.versions.deploy import loaded_version

POOL_KEY = "expert_pool"  # the valuesKey of the form component the panel is chosen in
SEED_FIELD, REASON_FIELD = "panel_seed", "panel_reason"
DRAWN = "expert_panel_drawn"
MAX_POOL = 2000  # eligible experts considered for one application (a province has a few hundred)
MAX_CHOSEN = 100  # ids of a submitted panel looked up at most (the round asks for 1–15)
RULE = "按 SHA-256(种子:账号编号) 由小到大取前 N 位"

# GB/T 4754-2017: the section letter of each two-digit division, so "C36" and "36" name the same code.
SECTIONS = [("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52),
            ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70), ("L", 71, 72),
            ("M", 73, 75), ("N", 76, 79), ("O", 80, 82), ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90),
            ("S", 91, 96), ("T", 97, 97)]
CODE = re.compile(r"^([A-T])?(\d{2,4})$")


@dataclass(frozen=True)
class Candidate:
    """An eligible expert as the province chooses among them."""

    id: int
    name: str
    employer: str | None
    city_code: str | None
    workload: int  # open expert review tasks assigned now

    @property
    def label(self) -> str:
        city = CITIES.get(self.city_code or "", "") or "市州未填"
        return f"{self.name} · {self.employer or '单位未填'} · {city} · 在办 {self.workload} 件"

    def as_dict(self) -> dict:
        return {"value": str(self.id), "label": self.label, "id": self.id, "name": self.name,
                "employer": self.employer, "city_code": self.city_code,
                "city_name": CITIES.get(self.city_code or ""), "workload": self.workload}


# -- eligibility ------------------------------------------------------------------------------

def section_of(digits: str) -> str | None:
    division = int(digits[:2])
    return next((letter for letter, low, high in SECTIONS if low <= division <= high), None)


def industry_codes(value) -> list[str]:
    """The declared GB/T 4754 codes as digits ("C3670, 3011" → ["3670", "3011"]), at most 20."""
    items = value if isinstance(value, list) else str(value or "").replace("，", ",").split(",")
    codes = []
    for item in items:
        match = CODE.match(str(item).strip().upper())
        if match and match.group(2) not in codes:
            codes.append(match.group(2))
    return codes[:20]


def _industry_clause(declared: list[str]):
    """The expert's codes (a JSON list, as text) hold one of the declared codes, a broader code of one
    (its prefix: "C36" for "C3670") or a narrower one ("C3670" for a declared "C36")."""
    text = cast(User.industry_codes, String)
    clauses = []
    for digits in declared:
        letters = ["", section_of(digits) or ""]
        for letter in dict.fromkeys(letters):
            clauses.append(text.contains(f'"{letter}{digits}', autoescape=True))
            for end in range(2, len(digits)):
                clauses.append(text.contains(f'"{letter}{digits[:end]}"', autoescape=True))
    return or_(*clauses) if clauses else None


def declared_industry(application: Application) -> list[str]:
    """The industry codes of the applicant's latest declaration (one indexed read of the trail)."""
    definition = loaded_version(application.process_version_id).definition
    steps = [t.bpmn_id for t in definition.user_tasks.values() if t.role == "applicant"]
    text = db.session.scalar(select(AuditEvent.data).where(
        AuditEvent.application_id == application.id, AuditEvent.action == "task_completed",
        AuditEvent.element_id.in_(steps)).order_by(AuditEvent.id.desc()).limit(1)) if steps else None
    form = (json.loads(text).get("form") or {}) if text else {}
    return industry_codes(form.get("industry_codes"))


def eligibility_clauses(application: Application, declared: list[str]) -> list:
    """WHERE clauses over User (joined to its expert role) selecting the experts eligible for ``application``."""
    matches = [cast(User.specialties, String).contains(f'"{application.category}"', autoescape=True)]
    industry = _industry_clause(declared)
    if industry is not None:
        matches.append(industry)
    own_names = sorted({n for n in (application.unit_name, application.applicant_unit) if n})
    own_codes = sorted({c for c in (application.applicant_unit, application.credit_code) if c})
    return [
        User.active.is_(True),
        or_(*matches),
        or_(User.city_code.is_(None), User.city_code != application.city_code),
        or_(User.employer.is_(None), User.employer.not_in(own_names)),
        or_(User.unit_code.is_(None), User.unit_code.not_in(own_codes)),
    ]


def eligible_experts(application: Application, *, among: list[int] | None = None,
                     exclude: set[int] = frozenset()) -> list[Candidate]:
    """The eligible experts with their workload, by account id; ``among`` limits the look-up to those ids."""
    query = (select(User.id, User.display_name, User.employer, User.city_code, open_reviews())
             .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "expert"))
             .where(*eligibility_clauses(application, declared_industry(application))))
    if among is not None:
        if not among:
            return []
        query = query.where(User.id.in_(among))
    if exclude:
        query = query.where(User.id.not_in(sorted(exclude)))
    rows = db.session.execute(query.order_by(User.id).limit(MAX_POOL)).all()
    return [Candidate(*row) for row in rows]


def open_reviews():
    """An expert's open reviews (their workload), counted for each candidate on the assignee index: grouping
    every open expert task of a round in review to label a few dozen candidates would read them all."""
    return (select(func.count()).where(WorkItem.assignee == cast(User.id, String), WorkItem.role == "expert")
            .correlate(User).scalar_subquery())


def chosen_ids(data, key: str) -> list[int]:
    """The account ids a submitted panel names (digits only, bounded): what eligibility is checked for."""
    values = data.get(key) if isinstance(data, dict) else None
    if not isinstance(values, list):
        return []
    ids = [int(v) for v in values if isinstance(v, str) and v.isdigit() and len(v) <= 9]
    return list(dict.fromkeys(ids))[:MAX_CHOSEN]


# -- the form's panel field ----------------------------------------------------------------------

def panel_component(form: dict) -> dict | None:
    """The component the panel is chosen in (its options are the eligible experts), or None."""
    return next((c for c in input_components(form) if c.get("valuesKey") == POOL_KEY), None)


def pool_values(application: Application, form: dict, submitted=None) -> list[str]:
    """The choices the form's schema accepts: on a submit only the submitted ids that are eligible
    (a few look-ups, not the whole pool)."""
    if submitted is None:
        return [str(c.id) for c in eligible_experts(application)]
    component = panel_component(form)
    among = chosen_ids(submitted, component["key"]) if component else []
    return [str(c.id) for c in eligible_experts(application, among=among)]


# -- the draw ------------------------------------------------------------------------------------

def draw(seed: str, eligible_ids: list[int], count: int) -> list[int]:
    """The ``count`` eligible experts whose SHA-256 of "seed:id" is smallest, in that order.

    Depends only on the seed and the set of eligible ids (not their order, not the machine), so anyone
    can redo it from the audit record; and an expert who could not have been drawn does not change it."""
    ranked = sorted(set(eligible_ids), key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i))
    return ranked[:count]


def latest_draw(application_id: int, task_id: str) -> dict | None:
    """The last draw recorded for this task (only the last one counts), or None."""
    text = db.session.scalar(select(AuditEvent.data).where(AuditEvent.application_id == application_id,
                                                           AuditEvent.action == DRAWN)
                             .order_by(AuditEvent.id.desc()).limit(1))
    data = json.loads(text) if text else None
    return data if data and data.get("task_id") == str(task_id) else None


def check_submitted_panel(application: Application, task_id: str, form: dict, cleaned: dict) -> None:
    """A panel (already checked eligible and of the round's size by the form's schema) is either the last
    draw of this task as drawn, or a choice with a reason; else 422 naming the field."""
    component = panel_component(form)
    chosen = cleaned.get(component["key"]) if component else None
    if not chosen:
        return
    seed = (cleaned.get(SEED_FIELD) or "").strip()
    reason = (cleaned.get(REASON_FIELD) or "").strip()
    if seed:
        drawn = latest_draw(application.id, task_id)
        if drawn is None or drawn.get("seed") != seed:
            raise Invalid("随机抽取种子不符", fields={SEED_FIELD: [
                "不是本任务最近一次随机抽取的种子：请重新随机抽取，或清空种子后人工选择并填写理由"]})
        if sorted(str(i) for i in drawn.get("panel", [])) == sorted(chosen):
            return
        if not reason:
            raise Invalid("所选专家与随机抽取结果不同", fields={REASON_FIELD: ["所选专家与随机抽取结果不同，须填写人工选择专家的理由"]})
    elif not reason:
        raise Invalid("人工选择专家须说明理由", fields={REASON_FIELD: ["未随机抽取时，须填写人工选择专家的理由"]})


def is_substitution(item: WorkItem, application: Application) -> bool:
    """A review task waiting for a substitute: its row is in the province's inbox, not its lane's."""
    info = loaded_version(application.process_version_id).definition.user_tasks.get(item.bpmn_id)
    return info is not None and info.role is not None and item.role != info.role
