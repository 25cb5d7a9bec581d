"""Schemathesis against our own OpenAPI document: every operation, called as province staff, an applicant
and an administrator with what the document allows and what it does not, never answers 5xx, and every
answer (success or error) has the status and body the document promises."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from service import create_app
from service.platform.extensions import db

ROLES = ("province", "factory1", "admin")
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def served_document() -> dict:
    """The document exactly as /api/openapi.json serves it; building it reads routes, never the database."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.test_client().get("/api/openapi.json").json


schema = schemathesis.openapi.from_dict(served_document())


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_documented_promises(case, app, api):
    for who in ROLES:
        response = case.call(app=app, headers=api.headers(who))
        db.session.remove()  # the next call reads what this one committed
        case.validate_response(response, checks=CHECKS)
        if case.path == "/api/auth/logout":
            api.tokens.pop(who, None)  # that call revoked the token; log in again next time
