"""The city's verification of the six exclusions and the departments' opinions (notice: 市州工信部门通过
信用中国、国家企业信用信息公示系统、中国执行信息公开网等核查，并征求生态环境、应急管理、市场监管部门意见).

The city review form records, per exclusion, the verified answer, where it was checked, when, and the
evidence (a PDF uploaded to the application as ``verification_evidence``); per department, its conclusion,
the reason when it objects, and its reply (``department_reply``). The diagram runs the same exclusion
decision again on the verified answers (Task_verified_eligibility); here are the rules a form cannot say:
a recommendation needs an opinion, an objection needs its reason, a query date cannot be in the future, and
a verified exclusion allows only 不予推荐 (the diagram then ends 核查存在排除情形).

``exclusion_mismatches`` compares the verified answers with the self-declaration: the province sees each
difference on the application page, in the API detail and (via this one function) in the 推荐汇总表.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from service.applications.models import Application, Attachment
from service.audit import chain as audit
from service.engine.clock import current_clock
from service.platform.errors import Invalid
from service.platform.extensions import db
from service.platform.timeutil import to_shanghai

VERIFIED_PREFIX = "verified_"
EVIDENCE_KEY = "verification_evidence"  # the valuesKey of the evidence choices, and the attachment kind
REPLY_KEY = "department_reply"          # likewise for the departments' replies
ATTACHMENT_KEYS = (EVIDENCE_KEY, REPLY_KEY)
ANSWERS = {"yes": "是", "no": "否"}
CONCLUSIONS = {"no_objection": "无异议", "objection": "有异议"}
SOURCES = {"creditchina": "信用中国", "gsxt": "国家企业信用信息公示系统", "zxgk": "中国执行信息公开网",
           "department": "相关部门"}


@dataclass(frozen=True)
class Exclusion:
    key: str                 # the declaration's field (and the exclusion decision's input)
    label: str
    sources: tuple[str, ...]  # where the notice's checks can find it, the likeliest first

    @property
    def answer(self) -> str:
        return VERIFIED_PREFIX + self.key

    @property
    def source(self) -> str:
        return f"{self.answer}_source"

    @property
    def date(self) -> str:
        return f"{self.answer}_date"

    @property
    def evidence(self) -> str:
        return f"{self.answer}_evidence"


EXCLUSIONS = (
    Exclusion("exc_not_operating", "未正常经营生产（工商注销、连续停产12个月以上、被列入经营异常名单且未被移出等）",
              ("gsxt", "creditchina", "department")),
    Exclusion("exc_accident", "发生安全（含网络安全、数据安全）、质量、环境污染等事故以及偷漏税等违法违规行为",
              ("creditchina", "gsxt", "department")),
    Exclusion("exc_removed", "被动态调整出绿色制造名单", ("department",)),
    Exclusion("exc_inspection", "在国务院及有关部委相关督查工作中被发现存在严重问题", ("department", "creditchina")),
    Exclusion("exc_energy_rectification", "被列入工业节能监察整改名单且未按要求完成整改", ("department",)),
    Exclusion("exc_dishonest", "被列为失信被执行人", ("zxgk", "creditchina")),
)
BY_KEY = {e.key: e for e in EXCLUSIONS}


@dataclass(frozen=True)
class Department:
    key: str    # the existing free-text field, now the reason given with the conclusion
    label: str

    @property
    def conclusion(self) -> str:
        return f"{self.key}_conclusion"

    @property
    def reply(self) -> str:
        return f"{self.key}_reply"


DEPARTMENTS = (Department("consult_ecology", "生态环境部门"), Department("consult_emergency", "应急管理部门"),
               Department("consult_market", "市场监管部门"))
OPINION = "recommend_opinion"


def is_verification_form(form: dict) -> bool:
    """Whether a form records the verification (the city review of this version does): found by its
    fields, so the rules hold whatever the step is called in a later diagram."""
    from service.forms.schema import input_components
    return any(c.get("key") == EXCLUSIONS[0].answer for c in input_components(form))


# -- choices the form takes from the application ----------------------------------------------

def attachment_choices(application: Application, *, labelled: bool, attachments: list | None = None) -> dict:
    """The evidence and reply PDFs uploaded to this application, for the form's two valuesKeys: ids for the
    server's check, {value, label} for the page. Bounded by the per-application attachment quota.
    ``attachments``: all of the application's, by id, when already read."""
    if attachments is not None:
        rows = [a for a in attachments if a.kind in ATTACHMENT_KEYS]
    else:
        rows = db.session.execute(select(Attachment.id, Attachment.kind, Attachment.original_name)
                                  .where(Attachment.application_id == application.id,
                                         Attachment.kind.in_(ATTACHMENT_KEYS)).order_by(Attachment.id)).all()
    choices = {key: [] for key in ATTACHMENT_KEYS}
    uses = Counter((row.kind, row.original_name) for row in rows)
    seen: Counter = Counter()
    for row in rows:
        label = row.original_name
        if uses[(row.kind, label)] > 1:  # files of one name told apart by their order of upload, never their ids
            seen[(row.kind, label)] += 1
            label = f"{label}（第 {seen[(row.kind, label)]} 份）"
        choices[row.kind].append({"value": str(row.id), "label": label} if labelled else str(row.id))
    return choices


# -- the rules of a submitted verification ----------------------------------------------------

def check_submission(cleaned: dict, verified_reasons: list[str] | None) -> None:
    """Refuse (422, naming each field) what the verification rules forbid. ``verified_reasons``: the exclusion
    decision's reasons on the verified answers, as the diagram just computed them (None: not run)."""
    errors: dict[str, list[str]] = {}
    today = to_shanghai(current_clock().now()).date()
    for exclusion in EXCLUSIONS:
        value = cleaned.get(exclusion.date)
        if value and date.fromisoformat(value) > today:
            errors[exclusion.date] = [f"查询日期不能晚于今天（{today.isoformat()}）"]
    for department in DEPARTMENTS:
        if cleaned.get(department.conclusion) == "objection" and not (cleaned.get(department.key) or "").strip():
            errors[department.key] = [f"{department.label}有异议时须填写异议内容"]
    decision = cleaned.get("decision")
    if decision == "recommend" and not (cleaned.get(OPINION) or "").strip():
        errors[OPINION] = ["推荐时须填写推荐意见"]
    found = [e for e in EXCLUSIONS if cleaned.get(e.answer) == "yes"]
    if verified_reasons and decision != "reject":
        for exclusion in found:
            errors.setdefault(exclusion.answer, []).append("核查结果为“是”：存在排除情形")
        errors.setdefault("decision", []).append(
            "核查存在排除情形（" + "；".join(verified_reasons) + "），不能推荐或退回修改，只能不予推荐")
    if errors:
        if verified_reasons and decision != "reject":
            message = "核查存在排除情形，不能推荐：" + "；".join(verified_reasons)
            raise Invalid(message, code="verified_exclusion", fields=errors)
        raise Invalid("提交的数据未通过校验", fields=errors)


# -- the verified answers against the self-declaration ----------------------------------------

def _latest_forms(application: Application) -> tuple[dict, dict, object]:
    """The last submitted form holding the self-declared exclusions, the last holding the verification, and
    when the latter was submitted: both read from the application's audit trail (what was actually sent)."""
    declared, verified, verified_at = {}, {}, None
    first = EXCLUSIONS[0]
    for event in audit.trail(audit.application_chain(application.id)):
        if event.action != "task_completed":
            continue
        form = json.loads(event.data).get("form") or {}
        if first.key in form:
            declared = form
        if first.answer in form:
            verified, verified_at = form, event.at
    return declared, verified, verified_at


def exclusion_mismatches(application: Application, *, declared: dict | None = None,
                         verified: dict | None = None) -> list[dict]:
    """Each exclusion where the city's verified answer differs from the unit's self-declaration, in the
    declaration's order, with Chinese labels: 排除情形, 自查, 核查, 核查来源, 查询日期, 核查证据 (name and id).
    Empty when there is no verification yet or everything matches.

    A caller that has already read the last declaration and city review forms (the 推荐汇总表 does) passes
    them as ``declared`` and ``verified``; otherwise they are read from the application's audit trail."""
    if declared is None or verified is None:
        read_declared, read_verified, _ = _latest_forms(application)
        declared = read_declared if declared is None else declared
        verified = read_verified if verified is None else verified
    if not verified or EXCLUSIONS[0].answer not in verified:
        return []
    rows = []
    for exclusion in EXCLUSIONS:
        said, found = declared.get(exclusion.key), verified.get(exclusion.answer)
        if found is None or said == found:
            continue
        evidence = str(verified.get(exclusion.evidence) or "")
        evidence_id = int(evidence) if evidence.isdigit() else None
        rows.append({"exclusion": exclusion.key, "排除情形": exclusion.label,
                     "自查": ANSWERS.get(said, "未填报"), "核查": ANSWERS.get(found, found),
                     "核查来源": SOURCES.get(verified.get(exclusion.source), verified.get(exclusion.source) or ""),
                     "查询日期": verified.get(exclusion.date) or "",
                     "核查证据": "", "evidence_id": evidence_id})
    # The evidence files' names, in one read, only when there is something to show.
    wanted = {row["evidence_id"] for row in rows if row["evidence_id"] is not None}
    if wanted:
        names = dict(db.session.execute(select(Attachment.id, Attachment.original_name)
                                        .where(Attachment.id.in_(wanted))).all())
        for row in rows:
            row["核查证据"] = names.get(row["evidence_id"], "")
    return rows


def mismatch_text(application: Application, *, declared: dict | None = None, verified: dict | None = None) -> str:
    """The mismatches in one line for a table cell (推荐汇总表 column 核查与自查不一致):
    排除情形：自查否，核查是（来源，日期）；… — empty when they agree."""
    return "；".join(f"{row['排除情形']}：自查{row['自查']}，核查{row['核查']}（{row['核查来源']}，{row['查询日期']}）"
                    for row in exclusion_mismatches(application, declared=declared, verified=verified))
