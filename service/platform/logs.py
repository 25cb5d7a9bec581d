"""Structured logs: one JSON object per line, each request's lines carrying its request id."""
from __future__ import annotations

import json
import logging
import time
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import g, request

from service.accounts.links import without_tokens

request_id: ContextVar[str | None] = ContextVar("greenlist_request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        for key in ("method", "path", "status", "duration_ms", "user"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    root = logging.getLogger()
    if any(getattr(h, "_greenlist", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler._greenlist = True
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())


def install_request_logging(app) -> None:
    access = logging.getLogger("greenlist.access")

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        g.request_token = request_id.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        user = g.get("username")  # noted at sign-in: the user row may be expired by the commit by now
        path = without_tokens(request.path)  # a set/reset link in a log line must not be usable by its readers
        access.info("%s %s %s", request.method, path, response.status_code,
                    extra={"request_id": g.get("request_id"), "method": request.method, "path": path, "status": response.status_code,
                           "duration_ms": round((time.perf_counter() - g.get("request_started", time.perf_counter()))
                                                * 1000, 2), "user": user})
        return response

    @app.teardown_request
    def _forget(exc):
        token = g.pop("request_token", None)
        if token is not None:
            request_id.reset(token)
