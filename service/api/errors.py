"""One error shape for every failure: ``{code, status, message, errors}``, messages in Chinese."""
from __future__ import annotations

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
}


def translate(messages):
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate(m) for m in messages]
    if isinstance(messages, str):
        if messages in TRANSLATIONS:
            return TRANSLATIONS[messages]
        if messages.startswith("Must be one of"):
            return "取值不在允许范围内"
        if messages.startswith("Must be greater than or equal to"):
            return "取值过小"
        if messages.startswith("Must be less than or equal to"):
            return "取值过大"
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
        body["errors"] = translate(messages)
        if status == 400 and body["errors"] in (["请求体不是有效的 JSON"], {"_schema": ["请求体不是有效的 JSON"]}):
            body["message"] = "请求体不是有效的 JSON"
    if data.get("message"):
        body["message"] = data["message"]
    headers.update(data.get("headers") or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return body, headers
