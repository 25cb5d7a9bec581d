"""What operators rely on: health and readiness, request ids, one JSON log line per request."""
import json
import logging

from service.platform.logs import JsonFormatter
from tests.conftest import drop_everything


def test_healthz_and_readyz(app, api):
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": "ok", "migrations": "ok", "bundle": "ok"}


def test_readyz_says_what_is_missing(app, clock):
    from service.platform.database import upgrade_database

    drop_everything()
    upgrade_database("0001")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["ready"] is False
    assert response.json["checks"]["migrations"].startswith("待升级：当前 0001")
    assert response.json["checks"]["bundle"] == "尚未部署流程"
    upgrade_database()


def test_request_id_is_echoed_and_logged(app, api, caplog):
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="greenlist.access"):
        response = client.get("/api/me", headers={"X-Request-ID": "abc-123"})
        generated = client.get("/healthz").headers["X-Request-ID"]
    assert response.status_code == 401 and response.headers["X-Request-ID"] == "abc-123"
    assert len(generated) == 32
    line = json.loads(JsonFormatter().format(caplog.records[0]))
    assert line["request_id"] == "abc-123" and line["status"] == 401 and line["path"] == "/api/me"
    assert {"time", "level", "logger", "message", "method", "duration_ms"} <= set(line)
