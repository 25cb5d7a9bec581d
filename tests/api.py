"""Drive the HTTP API as its users do: log in with a demo account, call endpoints, read JSON."""
from __future__ import annotations

import io

from service.engine.clock import current_clock
from service.platform.timeutil import to_shanghai
from service.versions.samples import SAMPLE_PDF, sample_declaration, sample_verification
from service.commands.sample_reports import SAMPLE_REPORT_PDF
from service.commands.worker import run_due_timers
from service.platform.extensions import db


class ApiClient:
    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def login(self, username: str, password: str = "demo") -> str:
        response = self.client.post("/api/auth/login", json={"username": username, "password": password})
        db.session.remove()  # tests share the app context with requests: end the request's transaction
        assert response.status_code == 200, response.json
        self.tokens[username] = response.json["token"]
        return self.tokens[username]

    def headers(self, who):
        if who is None:
            return {}
        if who not in self.tokens:
            self.login(who)
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, method, path, who=None, **kwargs):
        response = self.client.open(path, method=method, headers=self.headers(who), **kwargs)
        if response.status_code == 401 and who is not None and response.json["message"].startswith("登录已失效"):
            self.login(who)  # tests move the clock past the token's lifetime: log in again, as a user would
            response = self.client.open(path, method=method, headers=self.headers(who), **kwargs)
        db.session.remove()  # the next step reads what the request committed
        return response

    def get(self, path, who=None, **kw):
        return self.call("GET", path, who, **kw)

    def post(self, path, who=None, **kw):
        return self.call("POST", path, who, **kw)

    def put(self, path, who=None, **kw):
        return self.call("PUT", path, who, **kw)


def demo_round_id() -> int:
    """The demo round "2024" (ids are not 1 on PostgreSQL, whose sequences outlive the rows)."""
    from sqlalchemy import select

    from service.rounds.models import Round

    return db.session.scalar(select(Round.id).where(Round.name == "2024"))


def first_version_id() -> int:
    from sqlalchemy import func, select

    from service.versions.models import ProcessVersion

    return db.session.scalar(select(func.min(ProcessVersion.id)))


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.json)
    return response.json


def refused(response, status, code, *fields):
    """The error body, after checking its status, its code and that ``errors`` names each of ``fields``."""
    body = response.json
    assert response.status_code == status, (response.status_code, body)
    assert body["code"] == code and body["status"] == status and body["message"]
    assert set(fields) <= set(body.get("errors") or {}), body
    return body


REVIEW = {"consult_ecology": "无环境违法记录", "consult_emergency": "无安全事故", "consult_market": "经营正常"}
APPLICANTS = {"factory": ("factory1", "changchun"), "park": ("park1", "jilin"), "supply_chain": ("chain1", "siping")}


def attach_reports(api: ApiClient, who: str, task_id: str, declaration: dict) -> None:
    """For a declaration task: upload a sample PDF for each report the page says ``declaration`` needs
    (required_attachments) and the application does not hold yet."""
    page = ok(api.get(f"/api/tasks/{task_id}", who))
    application_id = page["application"]["id"]
    have = {a["kind"] for a in ok(api.get(f"/api/applications/{application_id}", who))["attachments"]}
    for required in page["required_attachments"]:
        if required["kind"] in have or (required["field"] and str(declaration.get(required["field"]))
                                         not in required["values"]):
            continue
        ok(api.post("/api/attachments", who, data={
            "application_id": str(application_id), "kind": required["kind"],
            "file": (io.BytesIO(SAMPLE_REPORT_PDF), f"{required['label']}.pdf")},
            content_type="multipart/form-data"), 201)


def review_for(application_id: int, reviewer: str = "changchun") -> dict:
    """A complete recommending city review of ``application_id`` for tests that submit many reviews at once:
    its evidence and the departments' reply recorded as attachment rows directly (no upload, no per-hour
    upload limit). Tests of the verification itself upload through the API (ApiScenario.verification)."""
    from service.commands.bench_data import review_for as recorded

    return {**recorded(application_id, reviewer), **REVIEW}


class ApiScenario:
    """One application through the round, every step over HTTP with the demo accounts."""

    def __init__(self, api: ApiClient, category="factory"):
        self.api, self.category = api, category
        self.applicant, self.reviewer = APPLICANTS[category]
        self.application_id = None

    def detail(self, who="province"):
        return ok(self.api.get(f"/api/applications/{self.application_id}", who))

    def open_task(self, who, step=None):
        inbox = ok(self.api.get("/api/tasks", who))["items"]
        mine = [t for t in inbox if t["application_id"] == self.application_id and (step is None or t["step"] == step)]
        assert len(mine) == 1, (who, step, inbox)
        return mine[0]["task_id"]

    def submit(self, who, data, step=None):
        if who == self.applicant:
            self.attach_reports(data, who)  # a declaration goes in with the reports it needs
        task_id = self.open_task(who, step)
        page = ok(self.api.get(f"/api/tasks/{task_id}", who))
        return ok(self.api.post(f"/api/tasks/{task_id}/submit", who, json={"data": data, "version": page["version"]}))

    def start(self):
        rounds = ok(self.api.get("/api/rounds", self.applicant))
        self.round_id = next(r["id"] for r in rounds if r["name"] == "2024")
        body = ok(self.api.post("/api/applications", self.applicant, json={"round": self.round_id,
                                                                         "category": self.category}), 201)
        self.application_id = body["id"]
        return self

    def declare(self, exclusions=(), changes=None):
        """The sample declaration, with ``changes`` (field → answer) typed over it."""
        self.submit(self.applicant, {**sample_declaration(self.category, exclusions=exclusions), **(changes or {})})
        return self

    def attach_reports(self, declaration, who=None):
        """Upload the evaluation reports the declaration page says the answers need, as the unit would."""
        who = who or self.applicant
        attach_reports(self.api, who, self.open_task(who), declaration)
        return self

    def upload(self, who, kind, name="查询结果.pdf", content=SAMPLE_PDF) -> int:
        return ok(self.api.post("/api/attachments", who, content_type="multipart/form-data", data={
            "application_id": str(self.application_id), "kind": kind, "file": (io.BytesIO(content), name)}), 201)["id"]

    def verification(self, found=()) -> dict:
        """The city's verification, its evidence and the departments' reply uploaded as PDFs first."""
        evidence = self.upload(self.reviewer, "verification_evidence", "信用中国查询结果.pdf")
        reply = self.upload(self.reviewer, "department_reply", "部门回函.pdf")
        today = to_shanghai(current_clock().now()).date().isoformat()
        return {**sample_verification(evidence, reply, queried_on=today, found=found), **REVIEW}

    def city_review(self, decision, found=()):
        data = {**self.verification(found), "decision": decision}
        data.update({"recommend_opinion": "经核查，同意推荐"} if decision == "recommend"
                    else {"comments": "意见"})
        self.submit(self.reviewer, data)
        return self

    def city_package_view(self):
        city = self.detail()["city_code"]
        return city, ok(self.api.get(f"/api/rounds/{self.round_id}/cities/{city}/package", self.reviewer))

    def waits_for_city_package(self) -> bool:
        return any(row["application_id"] == self.application_id for group in self.city_package_view()[1]["pending"]
                   for row in group["rows"])

    def seal_city_package(self):
        """The city's package over HTTP: rank what waits, freeze, upload the sealed PDFs, send; the province
        registers receipt, releasing the city's recommendations into the formal review."""
        city, view = self.city_package_view()
        ranks = [{"application_id": row["application_id"], "rank": n} for group in view["pending"]
                 for n, row in enumerate(group["rows"], start=1)]
        package = ok(self.api.post(f"/api/rounds/{self.round_id}/cities/{city}/package", self.reviewer, json={
            "ranks": ranks, "filler_name": "王填报", "filler_phone": "0431-88886666"}), 201)
        for kind in ("letter", "sealed_table"):
            ok(self.api.post(f"/api/packages/{package['id']}/files/{kind}", self.reviewer,
                             data={"file": (io.BytesIO(b"%PDF-1.4 sealed"), f"{kind}.pdf")},
                             content_type="multipart/form-data"))
        ok(self.api.post(f"/api/packages/{package['id']}/sent", self.reviewer, json={"note": "EMS 1234"}))
        ok(self.api.post(f"/api/packages/{package['id']}/received", "province"))
        self.package = package
        return self

    def formal_review(self, decision="accept", experts=("expert1", "expert2", "expert3"), site=False):
        # The drivers' formal review first passes the city package step if the application still waits for it.
        if self.waits_for_city_package():
            self.seal_city_package()
        task_id = self.open_task("province", "Task_formal_review")
        ok(self.api.post(f"/api/tasks/{task_id}/claim", "province"))
        page = ok(self.api.get(f"/api/tasks/{task_id}", "province"))
        # Labelled "name · employer · city · workload": the experts are named by their names.
        pool = {o["label"].split(" · ")[0]: o["value"] for o in page["options"]["expert_pool"]}
        data = {"materials_complete": True, "decision": decision, "require_site_inspection": site}
        if decision == "accept":
            data["experts"] = [pool[f"评审专家{e[-1]}"] for e in experts]
            data["panel_reason"] = "熟悉该行业的专家，人工指定"
        else:
            data["comments"] = "材料不全"
        ok(self.api.post(f"/api/tasks/{task_id}/submit", "province", json={"data": data, "version": page["version"]}))
        return self

    def expert_reviews(self, scores=(80, 75, 70), site=False):
        for n, score in enumerate(scores, start=1):
            self.submit(f"expert{n}", {"score": score, "site_inspection": site and n == 1, "opinion": "评审意见"})
        return self

    def site_inspection(self, decision):
        self.submit("province", {"inspected_on": "2024-07-01", "inspectors": "王工", "findings": "核查情况",
                                 "decision": decision}, step="Task_site_inspection")
        return self

    def batch(self, action):
        ok(self.api.post(f"/api/rounds/{self.round_id}/{action}", "province", json={"applications": [self.application_id]}))
        return self

    def objection(self):
        ok(self.api.post(f"/api/applications/{self.application_id}/objections", "province",
                         json={"real_name": "陈某", "contact": "13900000000", "content": "该单位去年发生环境污染事故",
                               "evidence": "处罚决定书"}), 201)
        return self

    def handle_objection(self, decision):
        self.submit("province", {"investigation": "已核实", "decision": decision, "reply": "已答复"},
                    step="Task_objection")
        return self

    def run_worker(self):
        db.session.remove()
        moved = run_due_timers()
        db.session.remove()
        return moved

    def outcome(self):
        return self.detail()["outcome"]

    def audit(self, who="auditor"):
        return ok(self.api.get(f"/api/applications/{self.application_id}/audit", who))
