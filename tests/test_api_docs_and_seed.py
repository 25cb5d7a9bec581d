"""The OpenAPI document and its offline docs page; the demo seed; writes per submit stay constant."""
from sqlalchemy import event, func, select

from service.commands.demo import seed_demo
from service.platform.extensions import db
from service.versions.models import ProcessVersion
from service.rounds.models import Round
from service.accounts.models import User
from service.platform.transactions import transaction
from tests.api import ApiScenario, ok, review_for

def test_openapi_documents_every_endpoint(api):
    spec = ok(api.client.get("/api/openapi.json"))
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    expected = {
        ("/api/auth/login", "POST"), ("/api/auth/logout", "POST"), ("/api/me", "GET"), ("/api/rounds", "GET"),
        ("/api/rounds", "POST"), ("/api/rounds/{round_id}", "GET"), ("/api/rounds/{round_id}/start-notice", "POST"),
        ("/api/rounds/{round_id}/publish", "POST"), ("/api/applications", "POST"), ("/api/applications", "GET"),
        ("/api/applications/{application_id}", "GET"), ("/api/applications/{application_id}/audit", "GET"),
        ("/api/applications/{application_id}/objections", "POST"), ("/api/tasks", "GET"),
        ("/api/tasks/{task_id}", "GET"), ("/api/tasks/{task_id}/draft", "PUT"), ("/api/tasks/{task_id}/claim", "POST"),
        ("/api/tasks/{task_id}/unclaim", "POST"), ("/api/tasks/{task_id}/submit", "POST"),
        ("/api/attachments", "POST"), ("/api/attachments/{attachment_id}", "GET"),
        ("/api/process-versions", "GET"), ("/api/process-versions/{version_id}", "GET"),
    }
    assert expected <= documented
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_documented_error_body_is_the_one_sent(api):
    spec = ok(api.client.get("/api/openapi.json"))
    error = spec["components"]["schemas"]["Error"]
    assert {name: field.get("type") for name, field in error["properties"].items()} == {
        "code": "string", "status": "integer", "message": "string", "errors": "object", "details": None}
    assert set(error["required"]) == {"code", "status", "message"} and error["additionalProperties"] is False
    assert spec["paths"]["/api/me"]["get"]["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}
    sent = [api.get("/api/applications/999999", "province"), api.get("/api/me"),
            api.post("/api/rounds", "admin", json={"name": 5}), api.post("/api/rounds/1/publish", "province",
                                                                         json={"applications": [999999]})]
    for response in sent:
        assert set(response.json) <= set(error["properties"]) and {"code", "status", "message"} <= set(response.json)
        assert isinstance(response.json["code"], str) and response.json["status"] == response.status_code


def test_docs_page_works_offline(api):
    """Needs the npm packages, which the README's test command installs."""
    page = api.client.get("/api/docs")
    assert page.status_code == 200
    html = page.data.decode()
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in html and "http" not in html.split("spec_url")[0].lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert api.client.get(f"/vendor/swagger-ui/{asset}").status_code == 200
    assert api.client.get("/vendor/swagger-ui/../../package.json").status_code == 404


def test_seed_demo_is_complete_and_idempotent(app, clock, bundle):
    from service.platform.database import schema_is_current, upgrade_database
    from tests.conftest import drop_everything

    drop_everything()  # "creates the schema when absent"
    upgrade_database()
    assert schema_is_current()
    with transaction():
        seed_demo(bundle)
    with transaction():
        seed_demo(bundle)
    names = set(db.session.scalars(select(User.username)))
    assert {"admin", "auditor", "province", "expert1", "expert5", "changchun", "changbaishan", "meihekou",
            "factory1", "park1", "chain1"} <= names and len(names) == 22
    assert db.session.scalar(select(func.count()).select_from(ProcessVersion)) == 1
    assert [r.name for r in db.session.scalars(select(Round))] == ["2024"]
    assert db.session.scalar(select(User).where(User.username == "changchun")).check_password("demo")


def test_newcomer_logs_in_as_changchun_and_completes_a_city_review(app, clock, bundle):
    """The done-when of the API issue: seed, log in with demo, see Changchun's inbox, complete a review."""
    from tests.api import ApiClient

    with transaction():
        seed_demo(bundle)
    api = ApiClient(app.test_client())
    inbox = ok(api.get("/api/tasks", "changchun"))
    assert inbox["total"] == 1 and inbox["items"][0]["name"] == "市州初审推荐"
    task_id = inbox["items"][0]["task_id"]
    page = ok(api.get(f"/api/tasks/{task_id}", "changchun"))
    assert page["form"]["id"] == "Form_city_review"
    detail = ok(api.post(f"/api/tasks/{task_id}/submit", "changchun", json={
        "data": review_for(inbox["items"][0]["application_id"]), "version": page["version"]}))
    assert detail["stage"] == "等待市州推荐材料"  # the city's package comes next
    assert ok(api.get("/api/tasks", "changchun"))["total"] == 0


def count_statements(action):
    statements = []

    def record(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_writes_per_submit_do_not_grow_with_the_trail(api):
    s = ApiScenario(api).start().declare()
    recommend = review_for(s.application_id)

    def review(decision):
        task_id = s.open_task("changchun")
        version = ok(api.get(f"/api/tasks/{task_id}", "changchun"))["version"]
        data = recommend if decision == "recommend" else {**recommend, "decision": "send_back", "comments": "补充"}
        return lambda: ok(api.post(f"/api/tasks/{task_id}/submit", "changchun", json={"data": data,
                                                                                      "version": version}))

    first = count_statements(review("send_back"))
    for _ in range(5):
        s.declare().city_review("send_back")
    s.declare()
    assert len(s.audit()["events"]) > 40
    later = count_statements(review("send_back"))
    assert later == first


def statements_of(action) -> list[str]:
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return [s for s in statements if not s.startswith("BEGIN")]


def test_a_submit_and_the_pages_read_each_row_once_and_never_the_bundle(api):
    s = ApiScenario(api).start().declare()
    task_id = s.open_task("changchun")
    application_id = s.application_id
    api.get(f"/api/tasks/{task_id}", "changchun")  # the first use of a version compiles it, once per process
    page = statements_of(lambda: ok(api.get(f"/api/tasks/{task_id}", "changchun")))
    detail = statements_of(lambda: ok(api.get(f"/api/applications/{application_id}", "changchun")))
    version = ok(api.get(f"/api/tasks/{task_id}", "changchun"))["version"]
    data = review_for(application_id)
    submit = statements_of(lambda: ok(api.post(f"/api/tasks/{task_id}/submit", "changchun", json={
        "data": data, "version": version})))
    reads_bundle = [s for s in page + detail + submit if "process_version.bundle" in s]
    assert reads_bundle == []
    # The task page: the token with its user; the work item with its application and the user's draft; the
    # trail; the names of the people in its history (one IN query, never per row); the PDFs the form offers.
    assert len(page) <= 5 and len(detail) <= 6, (page, detail)
    # The token with its user; the application with its audit chain's head; its open work items; its
    # attachments (one read for the PDFs the verification may choose and the response); the timers, the state
    # (version-checked), every audit event in one INSERT, the work item done. On SQLite, where the submit
    # takes the write lock at its first write, one more once it holds it: whether the attachments it read are
    # still all there are (an upload is on no chain and bumps no version). The read's COMMIT and the BEGIN
    # IMMEDIATE of that switch go to the driver directly, like every COMMIT, and are not counted here.
    assert len(submit) <= (9 if db.engine.dialect.name == "sqlite" else 8), submit
