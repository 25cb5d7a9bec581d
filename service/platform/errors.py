"""The service's exception tree: each error has a stable code, an HTTP status and a Chinese message."""
from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict | None = None, code: str | None = None, details=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.details = details
        if code:
            self.code = code

    def to_dict(self) -> dict:
        body = {"code": self.code, "status": self.status, "message": self.message}
        if self.fields:
            body["errors"] = self.fields
        if self.details is not None:
            body["details"] = self.details
        return body


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class StaleVersion(Conflict):
    code = "stale_version"


class TaskNotReady(Conflict):
    code = "task_not_ready"


class Invalid(ServiceError):
    status, code = 422, "validation_failed"


class TooLarge(ServiceError):
    status, code = 413, "payload_too_large"


class RateLimited(ServiceError):
    """Too many requests of one kind; ``details["retry_after"]`` (seconds) becomes the Retry-After header."""

    status, code = 429, "rate_limited"
