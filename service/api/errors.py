"""One error shape for every failure: ``{code, status, message, errors}``, messages in Chinese."""
from __future__ import annotations

import re

from marshmallow import Schema, fields

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_failed",
         429: "too_many_attempts", 500: "internal_error"}
MESSAGES = {400: "请求格式不正确", 401: "请先登录", 403: "无权执行此操作", 404: "请求的资源不存在",
            405: "不支持该请求方法", 413: "请求体或文件过大", 415: "不支持的内容类型",
            422: "提交的数据未通过校验", 500: "服务器内部错误，请联系管理员"}
# marshmallow / webargs messages, as users should read them.
TRANSLATIONS = {
    "Missing data for required field.": "必填项",
    "Unknown field.": "未知字段",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid string.": "应为文字",
    "Not a valid boolean.": "应为是或否",
    "Not a valid date.": "日期格式应为 YYYY-MM-DD",
    "Not a valid datetime.": "时间格式不正确",
    "Not a valid list.": "应为列表",
    "Not a valid mapping type.": "应为对象",
    "Field may not be null.": "不能为空",
    "Invalid input type.": "输入类型不正确",
    "Invalid JSON body.": "请求体不是有效的 JSON",
    "Invalid value.": "取值不正确",
    "Number too large.": "数值超出允许范围",
    "Special numeric values (nan or infinity) are not permitted.": "不能是无穷大或非数字",
    "Not a valid UUID.": "格式不正确",
}

# marshmallow's Range messages: "Must be greater than or equal to 1 and less than or equal to 100." and the halves.
RANGE = re.compile(r"^Must be (?:greater than or equal to (?P<low>\S+?))?(?: and )?"
                   r"(?:less than or equal to (?P<high>\S+?))?\.$")


def translate(messages):
    if isinstance(messages, dict):
        # Keys as JSON has them: list positions become "0", "1"; a form field sent without a usable name
        # (webargs reads it as None) becomes "". Mixed key types would break the sorted JSON of the reply.
        return {"" if key is None else str(key): translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate(m) for m in messages]
    if isinstance(messages, str):
        if messages in TRANSLATIONS:
            return TRANSLATIONS[messages]
        if messages.startswith("Must be one of"):
            return "取值不在允许范围内"
        bounds = RANGE.match(messages)
        if bounds and bounds["low"] and bounds["high"]:
            return f"取值应在 {bounds['low']}–{bounds['high']} 之间"
        if bounds and bounds["low"]:
            return f"取值不能小于 {bounds['low']}"
        if bounds and bounds["high"]:
            return f"取值不能大于 {bounds['high']}"
        if messages.startswith("Length must be"):
            return "长度不符合要求"
    return messages


def http_error_body(error) -> tuple[dict, dict]:
    status = error.code or 500
    body = {"code": CODES.get(status, "error"), "status": status, "message": MESSAGES.get(status, error.name)}
    headers = {}
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if messages:
        # webargs nests by location ({"json": {...}}); clients want the fields.
        if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in ("json", "query", "form",
                                                                                          "files", "view_args"):
            messages = next(iter(messages.values()))
        errors = translate(messages)
        if isinstance(errors, dict):
            body["errors"] = errors
        else:  # a message about the whole request, not about fields: it is the message
            body["message"] = "；".join(str(m) for m in errors)
    if data.get("message"):
        body["message"] = data["message"]
    headers.update(data.get("headers") or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return body, headers


class ErrorSchema(Schema):
    """What every error response carries (documents the body the handlers above and ServiceError send)."""

    code = fields.String(required=True, metadata={
        "description": "稳定的错误代码，客户端据此处理，如 validation_failed、stale_version、not_found"})
    status = fields.Integer(required=True, metadata={"description": "HTTP 状态码"})
    message = fields.String(required=True, metadata={"description": "给用户看的说明（中文）"})
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "逐字段的错误：字段名 → 说明列表（嵌套对象、列表按其键或序号嵌套）；422 时必有"})
    details = fields.Raw(metadata={
        "description": "补充信息，如批量操作中不能执行的申报、流程包校验的问题列表、重试等待秒数；"
                       "已被他人办理的任务（task_not_ready）给出 application_id、done_by（办理人）、done_at（办理时间）"})
