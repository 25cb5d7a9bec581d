"""Round-level actions over a selection of applications, and objections during public notice.

Batch actions are all-or-nothing: if any selected application is not waiting for the
message, none is changed and the error lists the ones in the way.
"""
from __future__ import annotations

import json
import uuid

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from service.applications.commands import deliver_message, get_application_or_404
from service.engine.bundle import BATCH_MESSAGES
from service.register.service import enter_published
from service.platform.errors import Conflict, Forbidden, Invalid, ServiceError
from service.platform.extensions import db
from service.platform.inputs import Int, Text
from service.accounts.models import User
from service.platform.timeutil import utcnow

BATCH_LABELS = {"start_notice": "启动公示", "publish": "发布名单"}


def _require_staff(user: User) -> None:
    if not user.has_role("province_staff"):
        raise Forbidden("只有省工信厅工作人员可以执行此操作")


def batch_action(*, message: str, round_id: int, application_ids: list[int], user: User) -> dict:
    _require_staff(user)
    if message not in BATCH_MESSAGES:
        raise Invalid("未知的批量操作", fields={"action": [f"应为 {', '.join(BATCH_MESSAGES)} 之一"]})
    ids = list(dict.fromkeys(int(i) for i in application_ids))
    if not ids:
        raise Invalid("请至少选择一个申报", fields={"application_ids": ["不能为空"]})
    batch_id = str(uuid.uuid4())
    refused = {}
    for application_id in ids:
        application = get_application_or_404(application_id)
        if application.round_id != round_id:
            refused[application_id] = "不属于该批次"
            continue
        try:
            delivered = deliver_message(application_id=application_id, message=message, payload={},
                                        actor=user.username, action="batch_action",
                                        audit_data={"batch_id": batch_id, "action": message,
                                                    "label": BATCH_LABELS[message], "selected": len(ids)})
            if message == "publish" and delivered.outcome is not None:
                # Finished by the publication: the unit is on the list, so it enters the register now.
                enter_published(delivered, actor=user.username, batch_id=batch_id)
        except ServiceError as err:
            refused[application_id] = err.message
    if refused:
        # Raising makes the caller roll back the deliveries already made in this transaction.
        raise Conflict(f"{BATCH_LABELS[message]}未执行：{len(refused)} 个申报当前不能{BATCH_LABELS[message]}",
                       code="batch_refused", details={str(k): v for k, v in refused.items()})
    return {"batch_id": batch_id, "action": message, "applications": ids}


class ObjectionSchema(Schema):
    """A written, real-name objection received during public notice."""

    real_name = Text(required=True, validate=validate.Length(min=2, max=50, error="姓名应为 {min}–{max} 个字"),
                     error_messages={"required": "必须实名"})
    contact = Text(required=True, validate=validate.Regexp(r"^(0\d{2,3}-?\d{7,8}|1[3-9]\d{9})$",
                                                           error="请填写固定电话或11位手机号"),
                   error_messages={"required": "必填项"})
    unit = Text(load_default="", validate=validate.Length(max=200, error="最多 {max} 个字"))
    # The two long texts come from <textarea>s: line breaks and tabs are theirs to keep.
    content = Text(required=True, multiline=True,
                   validate=validate.Length(min=5, max=5000, error="异议内容应为 {min}–{max} 个字"),
                   error_messages={"required": "必填项"})
    evidence = Text(required=True, multiline=True,
                    validate=validate.Length(min=2, max=5000, error="证明材料说明应为 {min}–{max} 个字"),
                    error_messages={"required": "请说明或列出证明材料"})
    # The evidence's PDFs, uploaded first as kind objection_evidence (POST /api/attachments).
    attachment_ids = fields.List(Int(), load_default=list, validate=validate.Length(max=10, error="最多 {max} 个文件"),
                                 metadata={"description": "证明材料 PDF：先以 objection_evidence 类型上传到该申报的附件 id"})


def _check_evidence_files(application_id: int, ids: list[int]) -> list[int]:
    """The ids, once each is a PDF uploaded to this application as an objection's evidence and not yet filed
    with another objection."""
    from service.applications.models import Attachment
    from service.audit.models import AuditEvent

    ids = list(dict.fromkeys(ids))
    if not ids:
        return ids
    found = {a.id: a for a in db.session.scalars(select(Attachment).where(Attachment.id.in_(ids)))}
    problems = [f"附件 {i} 不是本申报上传的异议证明材料" for i in ids
                if i not in found or found[i].application_id != application_id
                or found[i].kind != "objection_evidence" or found[i].removed_at is not None]
    if not problems:
        filed = db.session.scalars(select(AuditEvent.data).where(AuditEvent.application_id == application_id,
                                                                 AuditEvent.action == "objection_recorded"))
        used = {i for text in filed for i in (json.loads(text).get("attachment_ids") or [])}
        problems = [f"附件 {i} 已随另一件异议登记" for i in ids if i in used]
    if problems:
        raise Invalid("证明材料文件有误", fields={"attachment_ids": problems})
    return ids


def record_objection(*, application_id: int, data, user: User) -> dict:
    _require_staff(user)
    try:
        objection = ObjectionSchema().load(data)
    except ValidationError as err:
        raise Invalid("异议信息不完整", fields=err.messages) from None
    objection["attachment_ids"] = _check_evidence_files(application_id, objection.get("attachment_ids") or [])
    objection["received_at"] = utcnow().isoformat()
    objection["recorded_by"] = user.username
    try:
        deliver_message(application_id=application_id, message="objection", payload=objection,
                        actor=user.username, action="objection_recorded", audit_data=objection)
    except Conflict as err:
        if err.code == "message_not_expected":
            raise Conflict("该申报不在公示期内，异议不予受理", code="not_in_notice") from None
        raise
    return objection


def record_objection_with_files(*, application_id: int, data: dict, files: list[tuple[str, bytes]], user: User,
                                folder, limits) -> dict:
    """The objection page's form: the evidence's PDFs stored as the objection's files, then the objection.
    The form is checked before any file is written, so a refused objection leaves no file behind."""
    from service.applications.attachments import store_attachment

    _require_staff(user)
    errors = ObjectionSchema().validate({**data, "attachment_ids": []})
    if errors:
        raise Invalid("异议信息不完整", fields=errors)
    ids = [store_attachment(user=user, application_id=application_id, kind="objection_evidence", filename=name,
                            content=content, folder=folder, limits=limits).id for name, content in files]
    return record_objection(application_id=application_id, data={**data, "attachment_ids": ids}, user=user)


def _ids_catching(version_id: int, message: str) -> set[str]:
    """Ids of the elements an instance of this version waits in while it waits for ``message``."""
    from service.versions.deploy import loaded_version

    return set(loaded_version(version_id).definition.elements_awaiting(message))


def waits_for(application, message: str) -> bool:
    from service.applications.saving import waiting_elements

    return bool(_ids_catching(application.process_version_id, message) & set(waiting_elements(application)))


def awaiting(round_id: int, message: str) -> list:
    """The round's running applications that wait for ``message`` (start notice, publish, an objection).

    Read from the element ids each application waits in (a column written with its state); the ids
    that catch ``message`` come from the diagram of the version the application runs on.
    """
    from sqlalchemy import or_, select

    from service.applications.models import Application
    from service.platform.extensions import db

    version_ids = db.session.scalars(select(Application.process_version_id).where(
        Application.round_id == round_id, Application.outcome.is_(None)).distinct()).all()
    found = []
    for version_id in version_ids:
        ids = _ids_catching(version_id, message)
        if not ids:
            continue
        candidates = db.session.scalars(select(Application).where(
            Application.round_id == round_id, Application.process_version_id == version_id,
            Application.outcome.is_(None),
            or_(Application.waiting == "", *(Application.waiting.contains(f",{i},") for i in sorted(ids))))
            .order_by(Application.city_code, Application.id)).all()
        found += [a for a in candidates if waits_for(a, message)]
    return found
