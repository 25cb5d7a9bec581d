"""Every endpoint × every role × in-scope and out-of-scope resources: the status each must get."""
import io

import pytest

from tests.api import ApiScenario, ok
from tests.conftest import OBJECTION_CHANNEL

USERS = [None, "admin", "auditor", "province", "changchun", "jilin", "factory1", "park1", "expert1", "expert4"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(api):
    """factory1's application waits for Changchun's review, park1's for its own declaration, chain1's for experts."""
    cc = ApiScenario(api, "factory").start().declare()
    jl = ApiScenario(api, "park").start()
    sp = ApiScenario(api, "supply_chain").start().declare().city_review("recommend").formal_review()
    attachment = ok(api.post("/api/attachments", "factory1", data={
        "application_id": str(cc.application_id), "kind": "self_evaluation_report",
        "file": (io.BytesIO(PDF), "自评价报告.pdf")}, content_type="multipart/form-data"), 201)
    return {"cc": cc.application_id, "jl": jl.application_id, "sp": sp.application_id, "round": cc.round_id,
            "cc_task": cc.open_task("changchun"), "jl_task": jl.open_task("park1"),
            "exp_task": sp.open_task("expert1"), "attachment": attachment["id"]}


def expect(default, **by_user):
    table = {user: default for user in USERS}
    table[None] = 401
    table.update({("anonymous" if k == "anonymous" else k): v for k, v in by_user.items()})
    return table


SEE_CC = dict(admin=200, auditor=200, province=200, changchun=200, factory1=200)
WORK_CC = dict(changchun=200, admin=403, auditor=403)
CASES = {
    "me": ("GET", "/api/me", None, expect(200)),
    "rounds": ("GET", "/api/rounds", None, expect(200)),
    "round": ("GET", "/api/rounds/{round}", None, expect(200)),
    "create round": ("POST", "/api/rounds", "round", expect(403, admin=201, province=201)),
    "change a round under way": ("PATCH", "/api/rounds/{round}", "round change", expect(403, admin=409, province=409)),
    "extend its deadline": ("PATCH", "/api/rounds/{round}", "extension", expect(403, admin=200, province=200)),
    "start application": ("POST", "/api/applications", "start", expect(403, factory1=201, park1=201)),
    "applications": ("GET", "/api/applications", None, expect(200)),
    "application in Changchun": ("GET", "/api/applications/{cc}", None, expect(404, **SEE_CC)),
    "its audit": ("GET", "/api/applications/{cc}/audit", None, expect(404, **SEE_CC)),
    "application under expert review": ("GET", "/api/applications/{sp}", None,
                                        expect(404, admin=200, auditor=200, province=200, expert1=200)),
    "objection": ("POST", "/api/applications/{cc}/objections", "objection", expect(403, province=409)),
    "inbox": ("GET", "/api/tasks", None, expect(200)),
    "Changchun task": ("GET", "/api/tasks/{cc_task}", None,
                       expect(404, admin=200, auditor=200, province=200, changchun=200)),
    "draft": ("PUT", "/api/tasks/{cc_task}/draft", "draft", expect(404, **WORK_CC)),
    "claim": ("POST", "/api/tasks/{cc_task}/claim", None, expect(404, **WORK_CC)),
    "unclaim": ("POST", "/api/tasks/{cc_task}/unclaim", None, expect(404, **WORK_CC)),
    "submit": ("POST", "/api/tasks/{cc_task}/submit", "bad submit", expect(404, changchun=422, admin=403,
                                                                              auditor=403)),
    "expert task": ("GET", "/api/tasks/{exp_task}", None,
                    expect(404, admin=200, auditor=200, province=200, expert1=200)),
    "expert submit": ("POST", "/api/tasks/{exp_task}/submit", "bad submit",
                      expect(404, expert1=422, admin=403, auditor=403)),
    "start notice": ("POST", "/api/rounds/{round}/start-notice", "batch", expect(403, province=409)),
    "publish": ("POST", "/api/rounds/{round}/publish", "batch", expect(403, province=409)),
    "process versions": ("GET", "/api/process-versions", None, expect(403, admin=200, auditor=200, province=200)),
    "process version": ("GET", "/api/process-versions/1", None, expect(403, admin=200, auditor=200, province=200)),
    "upload": ("POST", "/api/attachments", "upload", expect(404, factory1=201, province=201, changchun=403,
                                                                admin=403, auditor=403)),
    "download": ("GET", "/api/attachments/{attachment}", None, expect(404, **SEE_CC)),
}


def body(kind, user, world):
    if kind == "round":
        return {"json": {"name": f"矩阵-{user}", "year": 2025, "city_deadline": "2025-06-10", **OBJECTION_CHANNEL}}
    if kind == "round change":
        return {"json": {"notice_days": 7}}
    if kind == "extension":
        return {"json": {"city_deadline": "2024-06-20", "reason": "市州申请延期"}}
    if kind == "start":
        return {"json": {"round": world["round"], "category": "supply_chain"}}
    if kind == "objection":
        return {"json": {"real_name": "陈某", "contact": "13900000000", "content": "异议内容示例", "evidence": "材料"}}
    if kind == "draft":
        return {"json": {"data": {"consult_ecology": "草稿"}}}
    if kind == "bad submit":
        return {"json": {"data": {}, "version": world["version"]}}
    if kind == "batch":
        return {"json": {"applications": [world["cc"]]}}
    if kind == "upload":
        return {"data": {"application_id": str(world["cc"]), "kind": "other", "file": (io.BytesIO(PDF), "a.pdf")},
                "content_type": "multipart/form-data"}
    return {}


@pytest.mark.parametrize("case", CASES)
def test_status_for_every_role(api, world, case):
    method, path, kind, expected = CASES[case]
    path = path.format(**world)
    if case == "process version":
        path = f"/api/process-versions/{ok(api.get('/api/process-versions', 'admin'))[0]['id']}"
    if kind == "bad submit":
        owner = world["cc"] if "cc_task" in CASES[case][1] else world["sp"]
        world = {**world, "version": ok(api.get(f"/api/applications/{owner}", "admin"))["version"]}
    wrong = {}
    # Users allowed to change something go last, so refusals are checked against the untouched world.
    for user in sorted(USERS, key=lambda u: expected[u] in (200, 201)):
        response = api.call(method, path, user, **body(kind, user, world))
        if response.status_code != expected[user]:
            wrong[user or "anonymous"] = (response.status_code, response.json)
    assert wrong == {}


def test_scope_filters_lists(api, world):
    totals = {user: ok(api.get("/api/applications", user))["total"] for user in USERS[1:]}
    assert totals == {"admin": 3, "auditor": 3, "province": 3, "changchun": 1, "jilin": 1, "factory1": 1,
                      "park1": 1, "expert1": 1, "expert4": 0}
    inbox = {user: ok(api.get("/api/tasks", user))["total"] for user in USERS[1:]}
    assert inbox == {"admin": 0, "auditor": 0, "province": 0, "changchun": 1, "jilin": 0, "factory1": 0,
                     "park1": 1, "expert1": 1, "expert4": 0}


def test_logout_revokes_the_token(api):
    token = api.login("changchun")
    assert api.post("/api/auth/logout", "changchun").status_code == 204
    response = api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_failed_logins_are_rate_limited(api):
    for _ in range(5):
        response = api.client.post("/api/auth/login", json={"username": "changchun", "password": "wrong"})
        assert response.status_code == 401 and response.json["message"] == "用户名或密码错误"
    blocked = api.client.post("/api/auth/login", json={"username": "changchun", "password": "demo"})
    assert blocked.status_code == 429 and blocked.json["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0
