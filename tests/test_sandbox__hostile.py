"""A hostile administrator's diagram cannot hold the server: each amplifying expression is refused
at validation and stopped at run time, in a script, a gateway condition, a timer and a DMN cell,
while other requests keep being answered."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from service.engine.bundle import Bundle
from service.engine.confine import ConfinedFailure, Limits, run_confined
from service.engine.definition import ProcessDefinition
from service.engine.validation import validate_bundle
from service.engine.workflow import Engine, ScriptFailed
from service.platform.extensions import db
from service.applications.models import Application
from service.audit.models import AuditEvent
from service.versions.models import ProcessVersion
from service.platform.transactions import transaction
from tests.api import attach_reports, first_version_id, ok
from tests.confined_jobs import allocate_without_guards, spin_without_guards
from tests.conftest import OBJECTION_CHANNEL

# Each case as a script (statements) and as an expression (for conditions, timers and DMN cells).
HOSTILE = {
    "power tower within the exponent limit": ("x = ((10**64)**256)**256", "((10**64)**256)**256 > 0"),
    "power tower on a 10**256 base": ("x = ((10**256)**256)**256", "((10**256)**256)**256 > 0"),
    "replace amplifies a string": ("s = 'a' * 100000\nt = s.replace('a', 'b' * 10000)",
                                   "len(('a' * 100000).replace('a', 'b' * 10000)) > 0"),
    "10**10**10": ("x = 10**10**10", "10**10**10 > 0"),
    "'x' * 10**12": ("x = 'x' * 10**12", "len('x' * 10**12) > 0"),
    "[0] * 10**9": ("x = [0] * 10**9", "len([0] * 10**9) > 0"),
    "nested comprehensions": ("x = [[0] * 1000 for i in range(1000) for j in range(1000)]",
                              "len([[0] * 1000 for i in range(1000) for j in range(1000)]) > 0"),
    "list(range(10**9))": ("x = list(range(10**9))", "len(list(range(10**9))) > 0"),
    "join of a repeated string": ("x = ''.join(['a' * 100000] * 100000)", "len(''.join(['a' * 100000] * 100000)) > 0"),
    "round with a huge negative precision": ("x = round(1, -10**8)", "round(1, -10**8) > 0"),
    "text of a huge list": ("l = ['a' * 10000] * 100000\nx = f'{l}'", "len(str(['a' * 10000] * 100000)) > 0"),
    "list doubling itself": ("l = [0] * 1000\nfor i in range(40):\n    l.extend(l)",
                             "[l.extend(l) for l in [[0] * 1000] for i in range(40)] == []"),
    "endless loop": ("while True:\n    pass", "[0 for i in range(100000) for j in range(100000)] == []"),
}
POSITIONS = ("script", "condition", "timer", "dmn")
PROCESS = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="http://t">'
           '<bpmn:process id="tiny" isExecutable="true">{body}</bpmn:process></bpmn:definitions>')
ELEMENT = {"script": "Script_hostile", "condition": "Flow_hostile", "timer": "Timer_hostile", "dmn": "Rule_hostile"}


def _chain(*nodes: str) -> str:
    """The sequence flows start -> nodes... -> end (flow n leaves the n-th element)."""
    ids = ["Start_tiny", *nodes, "End_tiny"]
    return "".join(f'<bpmn:sequenceFlow id="F{n}" sourceRef="{a}" targetRef="{b}" />'
                   for n, (a, b) in enumerate(zip(ids, ids[1:])))


def hostile_bundle(position: str, case: str) -> Bundle:
    script, expression = HOSTILE[case]
    start = '<bpmn:startEvent id="Start_tiny"><bpmn:outgoing>F0</bpmn:outgoing></bpmn:startEvent>'
    end = '<bpmn:endEvent id="End_tiny" name="结束"><bpmn:incoming>F{n}</bpmn:incoming></bpmn:endEvent>'
    dmn = {}
    if position == "script":
        node = (f'<bpmn:scriptTask id="Script_hostile" name="恶意脚本"><bpmn:incoming>F0</bpmn:incoming>'
                f'<bpmn:outgoing>F1</bpmn:outgoing><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>')
        body = start + node + end.format(n=1) + _chain("Script_hostile")
    elif position == "timer":
        node = (f'<bpmn:intermediateCatchEvent id="Timer_hostile" name="恶意定时器"><bpmn:incoming>F0</bpmn:incoming>'
                f'<bpmn:outgoing>F1</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>'
                f'{escape(expression)} and "P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                f'</bpmn:intermediateCatchEvent>')
        body = start + node + end.format(n=1) + _chain("Timer_hostile")
    elif position == "dmn":
        node = ('<bpmn:businessRuleTask id="Rule_hostile" name="恶意决策"><bpmn:extensionElements>'
                '<spiffworkflow:calledDecisionId>hostile</spiffworkflow:calledDecisionId></bpmn:extensionElements>'
                '<bpmn:incoming>F0</bpmn:incoming><bpmn:outgoing>F1</bpmn:outgoing></bpmn:businessRuleTask>')
        body = start + node + end.format(n=1) + _chain("Rule_hostile")
        dmn = {"hostile.dmn": (
            '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="DH" name="h" namespace="http://t">'
            '<decision id="hostile" name="恶意决策"><decisionTable id="T" hitPolicy="FIRST">'
            '<input id="I" label="x"><inputExpression id="IE" typeRef="string"><text>"a"</text></inputExpression>'
            '</input><output id="O" name="result" typeRef="string" />'
            '<rule id="R"><inputEntry id="RI"><text>-</text></inputEntry>'
            f'<outputEntry id="RO"><text>{escape(expression)}</text></outputEntry></rule>'
            '</decisionTable></decision></definitions>')}
    else:
        gateway = ('<bpmn:exclusiveGateway id="Gateway_hostile" name="恶意网关" default="F_default">'
                   '<bpmn:incoming>F0</bpmn:incoming><bpmn:outgoing>Flow_hostile</bpmn:outgoing>'
                   '<bpmn:outgoing>F_default</bpmn:outgoing></bpmn:exclusiveGateway>')
        flows = (f'<bpmn:sequenceFlow id="Flow_hostile" sourceRef="Gateway_hostile" targetRef="End_tiny">'
                 f'<bpmn:conditionExpression>{escape(expression)}</bpmn:conditionExpression></bpmn:sequenceFlow>'
                 '<bpmn:sequenceFlow id="F_default" sourceRef="Gateway_hostile" targetRef="End_tiny" />'
                 '<bpmn:sequenceFlow id="F0" sourceRef="Start_tiny" targetRef="Gateway_hostile" />')
        end = ('<bpmn:endEvent id="End_tiny" name="结束"><bpmn:incoming>Flow_hostile</bpmn:incoming>'
               '<bpmn:incoming>F_default</bpmn:incoming></bpmn:endEvent>')
        body = start + gateway + end + flows
    return Bundle({"tiny.bpmn": PROCESS.format(body=body), **dmn}, {})


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("case", HOSTILE)
def test_validation_refuses_the_expression_and_names_its_element(case, position):
    problems = [str(p) for p in validate_bundle(hostile_bundle(position, case))]
    named = [p for p in problems if ELEMENT[position] in p or (position == "dmn" and "hostile 规则 R" in p)]
    assert any("试运行被拒绝" in p for p in named), problems


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("case", HOSTILE)
def test_run_time_stops_the_expression_at_its_element(case, position):
    """A version that reached the database around validation: the element fails cleanly, nothing hangs."""
    engine = Engine(ProcessDefinition(hostile_bundle(position, case)))
    started = time.perf_counter()
    with pytest.raises(ScriptFailed) as caught:
        engine.start({})
    assert caught.value.element_id in ("Script_hostile", "Gateway_hostile", "Timer_hostile", "Rule_hostile")
    assert time.perf_counter() - started < 2.0


ORDINARY = """scores = [80, 75.5, 70]
average = round(sum(scores) / len(scores), 2)
names = ', '.join(sorted({'b', 'a'})).upper().split(', ')
big = 2 ** 100
text = f'{average}分 {names} {big}'
ok = isinstance(average, (int, float)) and max(1, 2) == 2
counts = {}
for n in range(5):
    counts[str(n)] = n * 'x'
lines = [0] * 1000
lines.extend([1])"""


def test_ordinary_diagram_code_still_runs():
    body = ('<bpmn:startEvent id="Start_tiny"><bpmn:outgoing>F0</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:scriptTask id="S"><bpmn:incoming>F0</bpmn:incoming><bpmn:outgoing>F1</bpmn:outgoing>'
            f'<bpmn:script>{escape(ORDINARY)}</bpmn:script></bpmn:scriptTask>'
            '<bpmn:endEvent id="End_tiny"><bpmn:incoming>F1</bpmn:incoming></bpmn:endEvent>' + _chain("S"))
    engine = Engine(ProcessDefinition(Bundle({"tiny.bpmn": PROCESS.format(body=body)}, {})))
    wf, _ = engine.start({})
    assert wf.data["average"] == 75.17 and wf.data["names"] == ["A", "B"]
    assert wf.data["text"] == f"75.17分 ['A', 'B'] {2 ** 100}" and wf.data["ok"] is True
    assert wf.data["counts"]["3"] == "xxx" and len(wf.data["lines"]) == 1001


# -- the second wall: a confined child process ------------------------------------------------
@contextmanager
def health_polled(app, pause: float = 0.01):
    """Poll /healthz from another thread while the block runs; yields the list of its latencies."""
    latencies, done = [], threading.Event()

    def poll():
        client = app.test_client()
        while not done.is_set():
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(pause)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        yield latencies
    finally:
        done.set()
        poller.join()


def test_a_confined_child_that_allocates_too_much_is_stopped():
    with pytest.raises(ConfinedFailure) as caught:
        run_confined(allocate_without_guards, 8 * 1024 ** 3, limits=Limits(seconds=20, memory_mb=256))
    assert "内存" in caught.value.reason


def test_a_confined_child_that_runs_too_long_is_killed_while_the_server_answers(app):
    started = time.perf_counter()
    with health_polled(app, pause=0.02) as latencies:
        with pytest.raises(ConfinedFailure) as caught:
            run_confined(spin_without_guards, 10 ** 12, limits=Limits(seconds=1.5, cpu_seconds=30))
    assert "1.5 秒" in caught.value.reason and time.perf_counter() - started < 5
    assert len(latencies) > 10 and max(latencies) < 0.2


# -- through the service: nothing changes, /healthz keeps answering -----------------------------
def _deploy_around_validation(script: str) -> int:
    """A version whose eligibility pre-script is hostile, written as if validation had been skipped."""
    from datetime import date

    from service.rounds.service import open_round

    current = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc())).first()
    bundle = Bundle.from_json(current.bundle)
    text = bundle.processes["green_round.bpmn"].replace(
        ">exclusion_reasons = []<", f">{escape(script)}\nexclusion_reasons = []<", 1)
    hostile = Bundle({**bundle.processes, "green_round.bpmn": text}, bundle.forms, bundle.files)
    row = ProcessVersion(number=current.number + 1, content_hash=hostile.content_hash,
                         process_id=current.process_id, bundle=hostile.to_json(), deployed_by="intruder")
    db.session.add(row)
    db.session.flush()
    return open_round(name="被篡改的批次", year=2024, city_deadline=date(2024, 6, 10), actor="admin",
                      process_version_id=row.id, **OBJECTION_CHANNEL).id


@pytest.mark.parametrize("case", HOSTILE)
def test_a_submit_reaching_hostile_code_is_refused_changes_nothing_and_health_stays_fast(app, api, case):
    from service.versions.samples import sample_declaration

    with transaction():
        round_id = _deploy_around_validation(HOSTILE[case][0])
    application = ok(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}),
                     201)
    task_id = next(t["task_id"] for t in ok(api.get("/api/tasks", "factory1"))["items"]
                   if t["application_id"] == application["id"])
    attach_reports(api, "factory1", task_id, sample_declaration("factory"))  # the submit reaches the script
    page = ok(api.get(f"/api/tasks/{task_id}", "factory1"))
    before = (db.session.get(Application, application["id"]).state,
              db.session.scalar(select(func.count()).select_from(AuditEvent)))
    with health_polled(app) as latencies:
        response = api.post(f"/api/tasks/{task_id}/submit", "factory1",
                            json={"data": sample_declaration("factory"), "version": page["version"]})
    assert response.status_code == 409 and response.json["code"] == "process_error"
    assert response.json["details"]["element_id"] == "Task_eligibility"
    db.session.expire_all()
    assert (db.session.get(Application, application["id"]).state,
            db.session.scalar(select(func.count()).select_from(AuditEvent))) == before
    assert latencies and max(latencies) < 0.2


def test_validating_a_hostile_draft_over_http_leaves_the_server_answering(app, api):
    draft = ok(api.post("/api/process-drafts", "admin", json={"from_version": first_version_id()}), 201)
    text = draft["files"]["processes/green_round.bpmn"].replace(
        ">exclusion_reasons = []<", f">{escape(HOSTILE['endless loop'][0])}\nexclusion_reasons = []<", 1)
    ok(api.put(f"/api/process-drafts/{draft['id']}/files/processes/green_round.bpmn", "admin",
               json={"content": text, "revision": draft["revision"]}))
    with health_polled(app) as latencies:
        report = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))
    assert any(p["element_id"] == "Task_eligibility" and "试运行被拒绝" in p["message"] for p in report["problems"])
    assert latencies and max(latencies) < 0.2
