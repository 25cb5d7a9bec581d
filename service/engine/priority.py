"""The priority decision (优先推荐情形): which priority signals a declaration shows, and how much each weighs.

The notice names the situations that earn priority (能效标杆, 能耗限额先进值, key industries, many green factories,
the producer-responsibility pilot, 工业节能诊断 under equal conditions). They live in the bundle as a DMN
decision with id ``priority`` (hit policy COLLECT), so an administrator changes them, their thresholds and their
weights in a draft like any other rule. Each matching rule yields one signal: ``signal`` (a stable code),
``label`` (what people read) and ``weight`` (a number: among equal average expert scores, the higher sum of
weights ranks first).

The decision is evaluated outside any workflow, with SpiffWorkflow's own DMN engine and the same restricted
environment as every diagram expression (sandbox.py). A bundle without the decision simply has no signals.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace

from lxml import etree
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from service.engine.bundle import Bundle, parse_xml
from service.engine.guards import ALLOWED_BUILTINS
from service.engine.sandbox import DEFAULT_TIME_LIMIT, SandboxEnvironment

DECISION_ID = "priority"
OUTPUTS = ("signal", "label", "weight")
MAX_WEIGHT = 1_000_000


class PriorityFailed(Exception):
    """The decision could not be evaluated for one declaration (the message says why, in Chinese)."""


@dataclass(frozen=True)
class Signal:
    key: str
    label: str
    weight: float

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "weight": self.weight}


def _decision_files(processes: dict[str, str]) -> list[tuple[str, object]]:
    """(file name, <decision> element) of every decision with the priority id in the bundle's DMN files."""
    found = []
    for name, text in sorted(processes.items()):
        if not name.endswith(".dmn"):
            continue
        try:
            root = parse_xml(text)
        except Exception:  # validation reports unreadable files on their own
            continue
        found += [(name, d) for d in root.iter("{*}decision") if d.get("id") == DECISION_ID]
    return found


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _literal(text: str | None):
    try:
        return ast.literal_eval((text or "").strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


_NOT_LITERAL = object()


def priority_problems(processes: dict[str, str]) -> list[tuple[str, str | None, str]]:
    """(file, element, message) for each way the bundle's priority decision cannot serve the ranking.

    The cells' expressions are checked with every other DMN cell (validation.py); this checks what the
    ranking relies on: one such decision, collecting, with the three outputs, each rule giving a code, a
    label and a plain number as weight.
    """
    decisions = _decision_files(processes)
    if not decisions:
        return []
    if len(decisions) > 1:
        return [(f"processes/{decisions[1][0]}", DECISION_ID,
                 f"优先推荐情形决策（id={DECISION_ID}）只能有一个，另见 {decisions[0][0]}；请删除或改名其中之一")]
    name, decision = decisions[0]
    file, problems = f"processes/{name}", []
    tables = [t for t in decision if _local(t) == "decisionTable"]
    if len(tables) != 1:
        return [(file, DECISION_ID, "优先推荐情形决策必须恰好含一张决策表")]
    table = tables[0]
    if (table.get("hitPolicy") or "UNIQUE").upper() != "COLLECT":
        problems.append((file, DECISION_ID, "优先推荐情形决策表的命中策略必须为 COLLECT（每条命中的规则都是一项优先情形）"))
    outputs = [o.get("name") for o in table if _local(o) == "output"]
    if outputs != list(OUTPUTS):
        problems.append((file, DECISION_ID, f"优先推荐情形决策表的输出列必须依次为 signal（情形代码）、label（情形名称）、"
                                            f"weight（同分排序权重），现为 {'、'.join(str(o) for o in outputs) or '无'}"))
        return problems
    for rule in (r for r in table if _local(r) == "rule"):
        where = f"{DECISION_ID} 规则 {rule.get('id')}"
        texts = [e.findtext("{*}text") for e in rule if _local(e) == "outputEntry"]
        if len(texts) != 3:
            problems.append((file, where, "每条规则必须填写情形代码、情形名称和权重三项输出"))
            continue
        signal, label, weight = (_literal(t) for t in texts)
        if not (isinstance(signal, str) and signal.isidentifier()):
            problems.append((file, where, f"情形代码应为带引号的英文标识，如 \"energy_benchmark\"，现为 {texts[0]!r}"))
        if not (isinstance(label, str) and label.strip()):
            problems.append((file, where, f"情形名称应为带引号的中文说明，如 \"能效达到国家标杆水平\"，现为 {texts[1]!r}"))
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= MAX_WEIGHT:
            problems.append((file, where, f"权重应为 0–{MAX_WEIGHT} 之间的数字（不加引号），现为 {texts[2]!r}"))
    if not problems:
        try:
            PriorityDecision(processes[name], name)
        except Exception as err:  # SpiffWorkflow's parser: report where, never fail the validation itself
            problems.append((file, DECISION_ID, f"优先推荐情形决策表无法解析：{_reason(err)}"))
    return problems


class _Scripts:
    """What SpiffWorkflow's DMN engine asks of a script engine, answered by the sandbox."""

    def __init__(self, time_limit: float):
        self.environment = SandboxEnvironment(time_limit=time_limit)

    def evaluate(self, task, expression, external_context=None):
        return self.environment.evaluate(expression, dict(task.data), external_context)

    @staticmethod
    def validate(expression):
        ast.parse(expression)


class PriorityDecision:
    """The bundle's priority decision, parsed once; ``signals(data)`` evaluates it for one declaration."""

    def __init__(self, dmn_text: str, file_name: str, time_limit: float = DEFAULT_TIME_LIMIT):
        parser = SpiffBpmnParser()
        parser.add_dmn_xml(parse_xml(dmn_text), filename=file_name)
        self.engine: DMNEngine = parser.get_engine(DECISION_ID, None)
        self.file_name = file_name
        self.scripts = _Scripts(time_limit)
        self.names = self._input_names()
        self.rules = [self._rule_summary(rule) for rule in self.engine.decision_table.rules]

    def _input_names(self) -> set[str]:
        """The variables the input expressions read: a declaration that lacks one reads it as None."""
        names = set()
        for item in self.engine.decision_table.inputs:
            tree = ast.parse((item.expression or "None").strip(), mode="eval")
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        return names - set(ALLOWED_BUILTINS)

    @staticmethod
    def _rule_summary(rule) -> dict:
        outputs = {entry.output.name: _literal(getattr(entry, "text", None)) for entry in rule.outputEntries}
        return {"signal": outputs.get("signal"), "label": outputs.get("label"), "weight": outputs.get("weight"),
                "description": rule.description or ""}

    def _task(self, context: dict):
        """The little of a SpiffWorkflow task the DMN engine (and its error reports) reads."""
        workflow = SimpleNamespace(script_engine=self.scripts, spec=SimpleNamespace(file=self.file_name))
        workflow.top_workflow = workflow
        return SimpleNamespace(data=context, workflow=workflow,
                               task_spec=SimpleNamespace(bpmn_id=DECISION_ID, bpmn_name="优先推荐情形", name=DECISION_ID))

    def signals(self, data: dict) -> list[Signal]:
        """The signals ``data`` (a declaration plus its ``category``) shows, in the decision's rule order."""
        context = {name: None for name in self.names}
        context.update({k: v for k, v in data.items() if isinstance(k, str) and k.isidentifier()})
        task = self._task(context)
        try:
            result = self.engine.result(task)
        except Exception as err:  # any failure of administrator-written rules is reported, never raised raw
            raise PriorityFailed(f"优先推荐情形无法计算：{_reason(err)}") from None
        found, seen = [], set()
        for signal, label, weight in zip(*(result.get(key, []) for key in OUTPUTS)):
            if signal in seen:
                continue
            seen.add(signal)
            try:
                weight = float(weight)
            except (TypeError, ValueError):
                raise PriorityFailed(f"优先推荐情形“{label}”的权重 {weight!r} 不是数字") from None
            found.append(Signal(str(signal), str(label), weight))
        return found


def _reason(err: Exception) -> str:
    cause = getattr(err, "exception", None) or err
    notes = "；".join(getattr(err, "__notes__", None) or [])
    return f"{type(cause).__name__}: {cause}{'（' + notes + '）' if notes else ''}"[:400]


@lru_cache(maxsize=32)
def _decision_for(dmn_text: str, file_name: str) -> PriorityDecision:
    return PriorityDecision(dmn_text, file_name)


def priority_decision(bundle: Bundle) -> PriorityDecision | None:
    """The bundle's priority decision (parsed once per text), or None when the bundle declares none."""
    decisions = _decision_files(bundle.processes)
    if len(decisions) != 1:
        return None
    name = decisions[0][0]
    return _decision_for(bundle.processes[name], name)


def weight_of(signals: list[Signal]) -> float:
    return sum(signal.weight for signal in signals)
