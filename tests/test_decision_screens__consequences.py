"""The confirmation texts name where the diagram takes each irreversible decision: every listed value is one
the form offers, and a value whose flow ends the process names that end event, as the diagram calls it."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from service.applications.decisions import CONSEQUENCES, confirmations, decision_label

ROOT = Path(__file__).resolve().parents[1]
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _forms() -> dict[str, dict]:
    forms = {}
    for path in (ROOT / "forms").glob("*.form.json"):
        form = json.loads(path.read_text(encoding="utf-8"))
        forms[form["id"]] = form
    return forms


def test_each_consequence_is_a_value_the_form_offers():
    forms = _forms()
    for form_id, texts in CONSEQUENCES.items():
        rule = confirmations(forms[form_id])
        assert rule["field"] == "decision" and set(rule["values"]) == set(texts), form_id


def test_an_ending_decision_names_the_end_event_of_its_flow():
    process = ET.parse(ROOT / "processes" / "green_round.bpmn").getroot().find(f"{BPMN}process")
    ends = {e.get("id"): e.get("name") for e in process.iter(f"{BPMN}endEvent")}
    ending = {}
    for flow in process.iter(f"{BPMN}sequenceFlow"):
        condition = flow.find(f"{BPMN}conditionExpression")
        match = re.fullmatch(r'\s*decision == "(\w+)"\s*', condition.text or "") if condition is not None else None
        if match and flow.get("targetRef") in ends:
            ending.setdefault(match.group(1), set()).add(ends[flow.get("targetRef")])
    named = 0
    for texts in CONSEQUENCES.values():
        for value, text in texts.items():
            if value in ending:
                assert any(f"“{name}”" in text for name in ending[value]), (value, text)
                named += 1
    assert named >= 4  # reject (city, formal), upheld, fail


def test_a_form_without_an_irreversible_choice_asks_nothing():
    forms = _forms()
    assert confirmations(forms["Form_expert_review"]) == {}
    assert confirmations(None) == {}
    assert decision_label(forms["Form_site_inspection"], {"decision": "fail"}) == "不通过"
    assert decision_label(forms["Form_expert_review"], {"score": 90}) is None
