"""The HTTP API: flask-smorest blueprints over the service functions, documented by OpenAPI."""
from __future__ import annotations

from pathlib import Path

from flask import abort, jsonify, render_template, request, send_from_directory
from flask_smorest import Api

from service.api.errors import ErrorSchema, http_error_body

ROOT = Path(__file__).resolve().parents[2]
VENDOR_PACKAGES = {"swagger-ui": "swagger-ui-dist", "bpmn-js": "bpmn-js", "form-js": "@bpmn-io/form-js"}


class GreenlistApi(Api):
    """flask-smorest's Api with our one error shape ``{code, status, message, errors}``."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        body, headers = http_error_body(error)
        if not request.path.startswith("/api/"):
            # A person at a browser (a mistyped address, an old bookmark) gets a page, not JSON.
            return render_template("error.html", status=body["status"], message=body["message"]), body["status"]
        return jsonify(body), body["status"], headers


def init_api(app) -> GreenlistApi:
    app.config.setdefault("API_TITLE", "省级绿色制造名单申报评审系统 API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = GreenlistApi(app, spec_kwargs={"info": {"description": "任务待办、表单提交、批次与审计。除登录外，"
                                                                  "所有接口都需要 Authorization: Bearer <token>。"}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})

    from service.api import (account, accounts, actions, applications, attachments, auth, calendar, docs, drafts,
                             messages, notice_files, organisations, packages, panels, processes, ranking, register,
                             registrations, repair, reports, roles, rounds, tasks)

    for module in (auth, account, rounds, applications, tasks, panels, attachments, processes, reports, drafts,
                   accounts, registrations, organisations, calendar, roles, repair, actions, ranking, messages,
                   register, packages):
        api.register_blueprint(module.blp)
    api.register_blueprint(drafts.rounds_blp)
    api.register_blueprint(drafts.applications_blp)
    api.register_blueprint(notice_files.blp)
    app.register_blueprint(docs.bp)  # /api/docs, served by us rather than flask-smorest (see docs.py)

    @app.get("/vendor/<package>/<path:filename>")
    def vendor_asset(package, filename):
        """Front-end packages installed from npm, served by the app (never from a CDN)."""
        if package not in VENDOR_PACKAGES:
            abort(404)
        node_modules = Path(app.config.get("GREENLIST_VENDOR_DIR") or ROOT / "node_modules")
        return send_from_directory(node_modules / VENDOR_PACKAGES[package], filename)

    return api
