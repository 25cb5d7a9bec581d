"""Uploaded PDFs: size-capped, checked by content, stored outside the web root under a generated name."""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from werkzeug.utils import secure_filename

from .access import visible_application_or_404
from .errors import Forbidden, Invalid, NotFound
from .extensions import db
from .models import Attachment, User

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
KINDS = {"self_evaluation_report": "自评价报告", "third_party_report": "第三方评价报告",
         "inspection_record": "现场核查记录", "objection_evidence": "异议证明材料", "other": "其他材料"}


def _display_name(filename: str) -> str:
    """A safe name to show and to offer on download; the stored name is always generated."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    return (name or secure_filename(filename or "") or "附件.pdf")[:200]


def store_attachment(*, user: User, application_id: int, kind: str, filename: str, content: bytes,
                     folder: Path) -> Attachment:
    application = visible_application_or_404(user, application_id)
    if not (user.has_role("province_staff") or (user.has_role("applicant") and
                                                 application.applicant_unit == user.unit_name)):
        raise Forbidden("只有申报单位本身或省厅可以上传附件")
    errors = {}
    if kind not in KINDS:
        errors["kind"] = [f"应为 {', '.join(KINDS)} 之一"]
    if not content:
        errors["file"] = ["文件为空"]
    elif len(content) > MAX_ATTACHMENT_BYTES:
        errors["file"] = [f"文件不能超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"]
    elif not content.startswith(b"%PDF-"):
        errors["file"] = ["只接受 PDF 文件（文件内容不是 PDF）"]
    if errors:
        raise Invalid("附件未通过检查", fields=errors)
    folder.mkdir(parents=True, exist_ok=True)
    stored = uuid.uuid4().hex
    (folder / stored).write_bytes(content)
    attachment = Attachment(application_id=application.id, original_name=_display_name(filename), stored_name=stored,
                            size=len(content), sha256=hashlib.sha256(content).hexdigest(), kind=kind,
                            uploaded_by=user.id)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def attachment_for(user: User, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"附件 {attachment_id} 不存在")
    visible_application_or_404(user, attachment.application_id)  # 404 outside the caller's scope
    return attachment
