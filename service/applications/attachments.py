"""Uploaded PDFs: size-capped, checked by content, stored outside the web root under a generated name.

Besides the cap on one file, uploads are limited per application (count and total size, whoever
uploads) and per user in any rolling hour (count and size), so one account can neither fill the
disk nor bury an application's reviewers in files. Every limit is checked before anything is
written: a refused upload leaves no row and no file.
"""
from __future__ import annotations

import hashlib
import math
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.utils import secure_filename

from service.applications.access import (may_change_attachments, sees_consultations, sees_objector,
                                         visible_application_or_404)
from service.audit import chain as audit
from service.engine.materials import ATTACHMENT_KINDS
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, TooLarge
from service.platform.extensions import db
from service.applications.models import Application, Attachment, WorkItem
from service.accounts.models import User
from service.platform.timeutil import utcnow

MB = 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * MB
UPLOAD_WINDOW = timedelta(hours=1)
# The process version's materials.json names some of these kinds as required; the city's checks add two.
KINDS = {**ATTACHMENT_KINDS, "verification_evidence": "排除情形核查证据", "department_reply": "部门回函"}
# The city's checks (credit queries, the departments' replies): uploaded by the city or the province, seen
# only by who sees the consultations (access.sees_consultations), never by the applicant.
INTERNAL_KINDS = ("verification_evidence", "department_reply")
# Filed with an objection during the notice (batch.record_objection): seen as the objector is (sees_objector).
OBJECTOR_KINDS = ("objection_evidence",)


@dataclass(frozen=True)
class UploadLimits:
    """The limits in force, from the settings (service/config.py names them and their defaults)."""

    files_per_application: int
    mb_per_application: int
    files_per_user_hour: int
    mb_per_user_hour: int

    @classmethod
    def from_config(cls, config) -> UploadLimits:
        return cls(files_per_application=int(config["GREENLIST_UPLOAD_MAX_FILES_PER_APPLICATION"]),
                   mb_per_application=int(config["GREENLIST_UPLOAD_MAX_MB_PER_APPLICATION"]),
                   files_per_user_hour=int(config["GREENLIST_UPLOAD_MAX_FILES_PER_USER_HOUR"]),
                   mb_per_user_hour=int(config["GREENLIST_UPLOAD_MAX_MB_PER_USER_HOUR"]))


def pdf_download_name(name: str) -> str:
    """``name`` ending in .pdf: the content is a checked PDF, and browsers pick the handler by the name."""
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem.strip().rstrip(".")[:196]  # the column holds 200 characters
    return (stem or "附件") + ".pdf"


def _display_name(filename: str) -> str:
    """A safe name to show and to offer on download; the stored name is always generated."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    return pdf_download_name(name or secure_filename(filename or ""))


def _check_file(kind: str, content: bytes) -> None:
    errors = {}
    if kind not in KINDS:
        errors["kind"] = [f"应为 {', '.join(KINDS)} 之一"]
    if not content:
        errors["file"] = ["文件为空"]
    elif len(content) > MAX_ATTACHMENT_BYTES:
        errors["file"] = [f"文件不能超过 {MAX_ATTACHMENT_BYTES // MB} MB"]
    elif not content.startswith(b"%PDF-"):
        errors["file"] = ["只接受 PDF 文件（文件内容不是 PDF）"]
    if errors:
        raise Invalid("附件未通过检查", fields=errors)


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


def _check_application_quota(application_id: int, size: int, limits: UploadLimits, *, freed: int = 0) -> None:
    """Room for one more file of ``size`` (``freed``: the size of the file it replaces, which stops counting)."""
    # Lock the application row (PostgreSQL; SQLite already serialises writers), so two uploads at
    # once cannot both see room for one more file.
    db.session.execute(select(Application.id).where(Application.id == application_id).with_for_update())
    count, total = db.session.execute(select(func.count(), func.coalesce(func.sum(Attachment.size), 0))
                                      .where(Attachment.application_id == application_id,
                                             Attachment.removed_at.is_(None))).one()
    count, total = count - (1 if freed else 0), total - freed
    if count >= limits.files_per_application:
        raise Invalid("附件数量已达上限", code="too_many_attachments", fields={"file": [
            f"每份申报最多上传 {limits.files_per_application} 个附件，这份申报已有 {count} 个"]})
    if total + size > limits.mb_per_application * MB:
        raise TooLarge(f"每份申报的附件合计不能超过 {limits.mb_per_application} MB：已上传 {_megabytes(total)}，"
                       f"本文件 {_megabytes(size)}", code="attachments_too_large")


def _seconds_until_room(recent: list[tuple[datetime, int]], size: int, limits: UploadLimits, now) -> int:
    """How long until enough of ``recent`` (oldest first) has left the window for this upload to fit."""
    count, total, free_at = len(recent), sum(s for _, s in recent), now
    for at, earlier_size in recent:
        if count < limits.files_per_user_hour and total + size <= limits.mb_per_user_hour * MB:
            break
        count, total, free_at = count - 1, total - earlier_size, at + UPLOAD_WINDOW
    return max(1, math.ceil((free_at - now).total_seconds()))


def recent_uploads(user_id: int, now):
    """(time, size) of what ``user_id`` uploaded within the window before ``now``, oldest first (by the uploader
    index: every upload asks)."""
    return (select(Attachment.uploaded_at, Attachment.size)
            .where(Attachment.uploaded_by == user_id, Attachment.uploaded_at > now - UPLOAD_WINDOW)
            .order_by(Attachment.uploaded_at))


def _check_user_rate(user: User, size: int, limits: UploadLimits) -> None:
    now = utcnow()
    recent = db.session.execute(recent_uploads(user.id, now)).all()
    if len(recent) >= limits.files_per_user_hour:
        limit = f"{limits.files_per_user_hour} 个文件"
    elif sum(s for _, s in recent) + size > limits.mb_per_user_hour * MB:
        limit = f"{limits.mb_per_user_hour} MB"
    else:
        return
    wait = _seconds_until_room([tuple(row) for row in recent], size, limits, now)
    raise RateLimited(f"上传过于频繁：每个账号每小时最多上传 {limit}，请 {math.ceil(wait / 60)} 分钟后再试",
                      code="upload_rate_limited", details={"retry_after": wait})


def _check_uploader(user: User, application: Application, kind: str) -> None:
    """The unit uploads its materials; the application's city its verification evidence and the departments'
    replies; the province either."""
    if user.has_role("province_staff"):
        return
    if kind in OBJECTOR_KINDS:
        raise Forbidden("异议证明材料由省厅登记异议时上传")
    if kind in INTERNAL_KINDS:
        if user.has_role("city_reviewer") and user.city_code == application.city_code:
            return
        if user.has_role("applicant") and application.applicant_unit == user.unit_code:
            raise Invalid("申报单位不能上传这类材料", fields={"kind": [
                f"“{KINDS[kind]}”由市州工信部门在初审核查时上传"]})
        raise Forbidden("只有申报所在市州或省厅可以上传核查证据和部门回函")
    if user.has_role("applicant") and application.applicant_unit == user.unit_code:
        return
    raise Forbidden("只有申报单位本身或省厅可以上传附件" + ("（市州可上传排除情形核查证据、部门回函）"
                                                   if user.has_role("city_reviewer") else ""))


def visible_attachments(user: User, attachments):
    """The attachments ``user`` may see of an application already visible to them: the city's checks only
    for who sees the consultations; an objection's evidence only for who may know the objector (its files
    name them)."""
    hidden = (() if sees_consultations(user) else INTERNAL_KINDS) + (() if sees_objector(user) else OBJECTOR_KINDS)
    return [a for a in attachments if a.kind not in hidden]


def store_attachment(*, user: User, application_id: int, kind: str, filename: str, content: bytes,
                     folder: Path, limits: UploadLimits) -> Attachment:
    application = visible_application_or_404(user, application_id)
    _check_uploader(user, application, kind)
    _check_file(kind, content)
    _check_application_quota(application.id, len(content), limits)
    _check_user_rate(user, len(content), limits)
    # The row records who uploaded what and when; the chain records what changes a file already there.
    return _write(application, user, kind, filename, content, folder)


def _write(application: Application, user: User, kind: str, filename: str, content: bytes,
           folder: Path) -> Attachment:
    folder.mkdir(parents=True, exist_ok=True)
    stored = uuid.uuid4().hex
    (folder / stored).write_bytes(content)
    attachment = Attachment(application_id=application.id, original_name=_display_name(filename), stored_name=stored,
                            size=len(content), sha256=hashlib.sha256(content).hexdigest(), kind=kind,
                            uploaded_by=user.id, uploaded_at=utcnow())
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _described(attachment: Attachment) -> dict:
    """What the trail keeps of a file: enough to name it and prove which bytes it was."""
    return {"attachment_id": attachment.id, "name": attachment.original_name, "kind": attachment.kind,
            "kind_label": KINDS.get(attachment.kind, attachment.kind), "sha256": attachment.sha256,
            "size": attachment.size, "uploaded_at": attachment.uploaded_at.isoformat()}


def _changeable(user: User, attachment_id: int) -> tuple[Application, Attachment]:
    """The attachment and its application (locked), once the caller may change it: the applicant's own
    unit, a file its accounts uploaded, still part of the materials, while a task of the applicant is open
    (the declaration, or the declaration again after a send-back)."""
    attachment = attachment_for(user, attachment_id)
    application = db.session.scalar(select(Application).where(Application.id == attachment.application_id)
                                    .with_for_update())
    uploader = db.session.get(User, attachment.uploaded_by)
    if not may_change_attachments(user, application, uploader):
        raise Forbidden("只有申报单位可以删除或替换本单位上传的附件")
    if attachment.removed_at is not None:
        raise Conflict(f"附件“{attachment.original_name}”已被删除或替换", code="attachment_removed")
    declaring = db.session.scalar(select(WorkItem.id).where(WorkItem.application_id == application.id,
                                                            WorkItem.role == "applicant").limit(1))
    if declaring is None:
        raise Conflict("申报书已提交，附件不能再删除或替换；如需更正，请联系市州工信局退回申报",
                       code="declaration_submitted")
    return application, attachment


def remove_attachment(*, user: User, attachment_id: int) -> Attachment:
    """Take a file out of the materials before submitting; the row and the bytes stay for the trail."""
    application, attachment = _changeable(user, attachment_id)
    attachment.removed_at, attachment.removed_by = utcnow(), user.id
    audit.append(audit.application_chain(application.id), actor=user.username, action="attachment_removed",
                 data=_described(attachment), application_id=application.id)
    return attachment


def replace_attachment(*, user: User, attachment_id: int, filename: str, content: bytes, folder: Path,
                       limits: UploadLimits, kind: str | None = None) -> Attachment:
    """A new file in the place of one before submitting (same kind unless given); the old one stays in the
    trail with its name and hash."""
    application, old = _changeable(user, attachment_id)
    kind = kind or old.kind
    _check_file(kind, content)
    _check_application_quota(application.id, len(content), limits, freed=old.size)
    _check_user_rate(user, len(content), limits)
    new = _write(application, user, kind, filename, content, folder)
    old.removed_at, old.removed_by, old.replaced_by_id = utcnow(), user.id, new.id
    audit.append(audit.application_chain(application.id), actor=user.username, action="attachment_replaced",
                 data={**_described(new), "replaced": _described(old)}, application_id=application.id)
    return new


def kinds_present(application_id: int) -> set[str]:
    return set(db.session.scalars(select(Attachment.kind).distinct().where(
        Attachment.application_id == application_id, Attachment.removed_at.is_(None))))


def attachment_for(user: User, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"附件 {attachment_id} 不存在")
    visible_application_or_404(user, attachment.application_id)  # 404 outside the caller's scope
    if not visible_attachments(user, [attachment]):
        raise NotFound(f"附件 {attachment_id} 不存在")  # the city's checks: as if absent for the applicant
    return attachment
