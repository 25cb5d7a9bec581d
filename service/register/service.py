"""The register's rules: who enters it (a published unit, an imported earlier list), who leaves it (动态调整),
and what it answers for a declaration (already listed in this category? removed in the last three years?).

Nothing here commits: publication enters a unit in the same transaction as the application's state change,
and every change is audited (a publication on the application's chain, an import or a removal on the system
chain, as the round's own actions are).
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select

from service.applications.models import Application
from service.audit import chain as audit
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.platform.reference import CITIES
from service.platform.timeutil import to_shanghai, utcnow
from service.register.models import LISTED, REMOVED, RegisterEntry, RegisterStatusChange
from service.rounds.models import Round
from service.versions.categories import category_label

# The workflow data key the eligibility decision reads (processes/eligibility.dmn): "yes" when the register
# holds a removal of this unit within the look-back period of the notice (近三年).
REMOVED_FACT = "register_removed"
REMOVED_NOTE = "register_removed_note"
LOOK_BACK_YEARS = 3
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
READERS = ("province_staff", "admin", "auditor")
KEEPERS = ("province_staff", "admin")  # the province's register: its staff and the administrators change it


def may_read(user) -> bool:
    return any(user.has_role(role) for role in READERS)


def require_keeper(user) -> None:
    if not any(user.has_role(role) for role in KEEPERS):
        raise Forbidden("只有省工信厅工作人员或系统管理员可以修改名单库")


def require_reader(user) -> None:
    if not may_read(user):
        raise Forbidden("只有省工信厅、系统管理员和审计可以查看名单库")


def today() -> date:
    return to_shanghai(utcnow()).date()


# -- what the register answers for a declaration -------------------------------------------------

def listed_entry(credit_code: str | None, category: str) -> RegisterEntry | None:
    """The unit's current listing in ``category`` (status listed), if any."""
    if not credit_code:
        return None
    return db.session.scalars(select(RegisterEntry).where(
        RegisterEntry.credit_code == credit_code, RegisterEntry.category == category,
        RegisterEntry.status == LISTED).order_by(RegisterEntry.listed_on).limit(1)).first()


def refuse_if_listed(credit_code: str | None, category: str, category_name: str) -> None:
    """A unit on the provincial list in a category may not declare in it again (Conflict ``already_listed``)."""
    entry = listed_entry(credit_code, category)
    if entry is not None:
        raise Conflict(f"本单位已于 {entry.listed_on:%Y-%m-%d} 列入{entry.round_name}（{entry.category_name}），"
                       f"同一类别不得重复申报{category_name}；可申报其他类别",
                       code="already_listed", fields={"category": [f"已列入省级{entry.category_name}名单（{entry.round_name}）"]},
                       details={"category": category, "round": entry.round_name, "year": entry.year,
                                "listed_on": entry.listed_on.isoformat()})


@dataclass(frozen=True)
class Removal:
    entry: RegisterEntry
    change: RegisterStatusChange

    @property
    def text(self) -> str:
        return (f"省级绿色制造名单库记录：{self.change.effective_on:%Y-%m-%d} 被动态调整出{self.entry.round_name}"
                f"（{self.entry.category_name}），原因：{self.change.reason}")


def recent_removal(credit_code: str | None, on: date | None = None) -> Removal | None:
    """The unit's latest removal (any category) within the last three years before ``on``."""
    if not credit_code:
        return None
    on = on or today()
    since = on.replace(year=on.year - LOOK_BACK_YEARS) if not (on.month == 2 and on.day == 29) \
        else on - timedelta(days=365 * LOOK_BACK_YEARS + 1)
    row = db.session.execute(select(RegisterEntry, RegisterStatusChange).join(
        RegisterStatusChange, RegisterStatusChange.entry_id == RegisterEntry.id).where(
        RegisterEntry.credit_code == credit_code, RegisterStatusChange.status == REMOVED,
        RegisterStatusChange.effective_on >= since, RegisterStatusChange.effective_on <= on)
        .order_by(RegisterStatusChange.effective_on.desc()).limit(1)).first()
    return Removal(row[0], row[1]) if row else None


def workflow_facts(credit_code: str | None) -> dict:
    """What the diagram reads from the register: the eligibility decision excludes a removed unit whatever it
    answered itself."""
    removal = recent_removal(credit_code)
    return {REMOVED_FACT: "yes" if removal else "no", REMOVED_NOTE: removal.text if removal else ""}


# -- entering the register -----------------------------------------------------------------------

def enter_published(application: Application, *, actor: str, batch_id: str) -> RegisterEntry:
    """A unit the publish batch finished enters the register, in the batch's transaction, audited on its chain."""
    round_ = db.session.get(Round, application.round_id)
    entry = RegisterEntry(credit_code=application.credit_code or application.applicant_unit,
                          unit_name=application.unit_name, category=application.category,
                          category_name=category_label(application.category, application.process_version_id),
                          level="省级", city_code=application.city_code, round_id=round_.id, round_name=round_.name,
                          year=round_.year, listed_on=today(), status=LISTED, application_id=application.id,
                          source="published", created_by=actor)
    db.session.add(entry)
    db.session.flush()
    db.session.add(RegisterStatusChange(entry_id=entry.id, status=LISTED, effective_on=entry.listed_on,
                                        reason=f"{round_.name}发布", recorded_by=actor))
    audit.append(audit.application_chain(application.id), actor=actor, action="register_entered",
                 application_id=application.id,
                 data={"entry_id": entry.id, "credit_code": entry.credit_code, "unit": entry.unit_name,
                       "category": entry.category, "round": entry.round_name, "listed_on": entry.listed_on.isoformat(),
                       "batch_id": batch_id})
    return entry


def add_imported(rows: list[dict], *, actor: str, file_name: str, file_sha256: str) -> list[RegisterEntry]:
    """Checked rows of an earlier year's list (see imports.py) entered as listed, audited as one import."""
    entries = []
    for row in rows:
        entry = RegisterEntry(**row, level="省级", status=LISTED, source="imported", created_by=actor)
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    for entry in entries:
        db.session.add(RegisterStatusChange(entry_id=entry.id, status=LISTED, effective_on=entry.listed_on,
                                            reason=f"导入历年名单：{file_name}", recorded_by=actor))
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="register_imported",
                 data={"file": file_name, "sha256": file_sha256, "count": len(entries),
                       "entries": [[e.id, e.credit_code, e.category, e.year] for e in entries]})
    return entries


# -- 动态调整: removal ------------------------------------------------------------------------------

@dataclass
class Document:
    filename: str
    content: bytes


def get_entry_or_404(entry_id: int) -> RegisterEntry:
    entry = db.session.get(RegisterEntry, entry_id)
    if entry is None:
        raise NotFound(f"名单库记录 {entry_id} 不存在")
    return entry


def _removal_problems(reason: str, effective_on, document_number: str, document: Document | None,
                      entry: RegisterEntry) -> dict:
    errors = {}
    if not reason:
        errors["reason"] = ["请填写动态调整的原因"]
    elif text_problem(reason, multiline=True) or len(reason) > 1000:
        errors["reason"] = [text_problem(reason, multiline=True) or "原因不能超过 1000 个字"]
    if effective_on is None:
        errors["effective_on"] = ["请填写调整日期（YYYY-MM-DD）"]
    elif not isinstance(effective_on, date):
        errors["effective_on"] = ["调整日期应为 YYYY-MM-DD"]
    elif effective_on > today():
        errors["effective_on"] = ["调整日期不能晚于今天"]
    elif effective_on < entry.listed_on:
        errors["effective_on"] = [f"调整日期不能早于列入日期 {entry.listed_on:%Y-%m-%d}"]
    if text_problem(document_number or "") or len(document_number or "") > 100:
        errors["document_number"] = [text_problem(document_number or "") or "文号不能超过 100 个字"]
    if document is None or not document.content:
        errors["document"] = ["请上传动态调整的文件（PDF）"]
    elif len(document.content) > MAX_DOCUMENT_BYTES:
        errors["document"] = [f"文件不能超过 {MAX_DOCUMENT_BYTES // 1024 // 1024} MB"]
    elif not document.content.startswith(b"%PDF-"):
        errors["document"] = ["只接受 PDF 文件（文件内容不是 PDF）"]
    return errors


def _document_name(filename: str) -> str:
    name = Path((filename or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    return (stem.strip().rstrip(".")[:190] or "动态调整文件") + ".pdf"


def remove(entry_id: int, *, reason: str, effective_on, document_number: str = "", document: Document | None,
           user, folder: Path) -> RegisterStatusChange:
    """Record a 动态调整 removal: the entry leaves the list; reason, date and document are kept and audited."""
    require_keeper(user)
    entry = db.session.scalars(select(RegisterEntry).where(RegisterEntry.id == entry_id).with_for_update()).first()
    if entry is None:
        raise NotFound(f"名单库记录 {entry_id} 不存在")
    if entry.status == REMOVED:
        raise Conflict(f"“{entry.unit_name}”（{entry.category_name}）已被动态调整出名单", code="already_removed")
    reason, document_number = (reason or "").strip(), (document_number or "").strip()
    errors = _removal_problems(reason, effective_on, document_number, document, entry)
    if errors:
        raise Invalid("动态调整信息不完整", fields=errors)
    folder.mkdir(parents=True, exist_ok=True)
    stored = uuid.uuid4().hex
    (folder / stored).write_bytes(document.content)
    change = RegisterStatusChange(entry_id=entry.id, status=REMOVED, effective_on=effective_on, reason=reason,
                                  document_number=document_number, document_name=_document_name(document.filename),
                                  document_stored=stored, document_sha256=hashlib.sha256(document.content).hexdigest(),
                                  document_size=len(document.content), recorded_by=user.username)
    entry.status = REMOVED
    db.session.add(change)
    db.session.flush()
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="register_removed",
                 data={"entry_id": entry.id, "credit_code": entry.credit_code, "unit": entry.unit_name,
                       "category": entry.category, "round": entry.round_name, "reason": reason,
                       "effective_on": effective_on.isoformat(), "document_number": document_number,
                       "document": change.document_name, "document_sha256": change.document_sha256})
    return change


def removal_document(change_id: int, user) -> RegisterStatusChange:
    require_reader(user)
    change = db.session.get(RegisterStatusChange, change_id)
    if change is None or not change.document_stored:
        raise NotFound(f"动态调整文件 {change_id} 不存在")
    return change


# -- reading the register --------------------------------------------------------------------------

@dataclass
class Query:
    q: str = ""
    category: str | None = None
    city: str | None = None
    status: str | None = LISTED  # None: every status
    page: int = 1
    page_size: int = 20


def _filtered(query: Query):
    statement = select(RegisterEntry)
    if query.status:
        statement = statement.where(RegisterEntry.status == query.status)
    if query.category:
        statement = statement.where(RegisterEntry.category == query.category)
    if query.city:
        statement = statement.where(RegisterEntry.city_code == query.city)
    text = (query.q or "").strip()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(RegisterEntry.unit_name.like(pattern, escape="\\"),
                                        RegisterEntry.credit_code == text.upper()))
    return statement


def search(query: Query) -> tuple[list[RegisterEntry], int]:
    """One page of entries (newest listing first) and how many match."""
    statement = _filtered(query)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(statement.order_by(RegisterEntry.year.desc(), RegisterEntry.category,
                                                 RegisterEntry.city_code, RegisterEntry.id)
                              .offset((query.page - 1) * query.page_size).limit(query.page_size)).all()
    return list(rows), total


def every_match(query: Query, limit: int):
    """The matching entries in the order of the list, at most ``limit`` (an export streams them)."""
    return db.session.scalars(_filtered(query).order_by(RegisterEntry.category, RegisterEntry.city_code,
                                                        RegisterEntry.year, RegisterEntry.id).limit(limit))


def history(entry_id: int) -> list[RegisterStatusChange]:
    return list(db.session.scalars(select(RegisterStatusChange).where(RegisterStatusChange.entry_id == entry_id)
                                   .order_by(RegisterStatusChange.id)))


def city_name(code: str) -> str:
    return CITIES.get(code, code)
