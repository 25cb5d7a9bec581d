"""Rehearsal follows a change to the forms: next year's draft adds a required field to every declaration
and a seventh exclusion (its question on the forms, its rule in the decision table). The standard paths fill
the draft's own forms and pass; the report names the new field and the new exclusion, and the recorded
application that never answered them, instead of calling paths "stuck"."""
from __future__ import annotations

import json

from lxml import etree

from service.forms.schema import load_form_data
from service.versions.formfill import REHEARSAL_OPTIONS, exclusion_keys, fill_form
from service.engine.bundle import Bundle
from tests.api import ApiScenario, ok
from tests.test_process_admin import draft_from, put

DMN = "processes/eligibility.dmn"
DECLARATIONS = ("forms/declaration_factory.form.json", "forms/declaration_park.form.json",
                "forms/declaration_supply_chain.form.json")
NEW_FIELD = {"type": "number", "key": "carbon_intensity", "label": "单位产值碳排放强度", "id": "Field_carbon",
             "validate": {"required": True, "min": 0, "max": 5}, "decimalDigits": 3}
NEW_QUESTION = {"type": "radio", "key": "exc_carbon_quota", "label": "未按时清缴碳排放配额", "id": "Field_exc_carbon",
                "values": [{"label": "否", "value": "no"}, {"label": "是", "value": "yes"}],
                "validate": {"required": True}}


def with_new_exclusion(dmn: str) -> str:
    """The decision table with a seventh input and its rule, as the rule editor writes them."""
    root = etree.fromstring(dmn.encode("utf-8"))
    ns = root.nsmap[None]
    table = root.find(f".//{{{ns}}}decisionTable")
    inputs = table.findall(f"{{{ns}}}input")
    new_input = etree.fromstring(
        f'<input xmlns="{ns}" id="Input_exc_carbon_quota" label="未按时清缴碳排放配额"><inputExpression '
        f'id="InputExpression_exc_carbon_quota" typeRef="string"><text>exc_carbon_quota</text></inputExpression></input>')
    inputs[-1].addnext(new_input)
    for rule in table.findall(f"{{{ns}}}rule"):
        rule.findall(f"{{{ns}}}inputEntry")[-1].addnext(etree.fromstring(
            f'<inputEntry xmlns="{ns}" id="Entry_{rule.get("id")}_carbon"><text></text></inputEntry>'))
    entries = "".join(f'<inputEntry id="Entry_carbon_{n}"><text>{"" if n < len(inputs) else chr(34) + "yes" + chr(34)}'
                      f'</text></inputEntry>' for n in range(len(inputs) + 1))
    table.append(etree.fromstring(
        f'<rule xmlns="{ns}" id="Rule_exc_carbon_quota"><description>未按时清缴碳排放配额</description>{entries}'
        f'<outputEntry id="Output_exc_carbon_quota"><text>"未按时清缴碳排放配额"</text></outputEntry></rule>'))
    return etree.tostring(root, encoding="unicode")


def with_new_fields(form_text: str) -> str:
    form = json.loads(form_text)
    pledge = next(n for n, c in enumerate(form["components"]) if c.get("key") == "truth_pledge")
    form["components"][pledge:pledge] = [NEW_FIELD, NEW_QUESTION]
    return json.dumps(form, ensure_ascii=False)


def test_a_new_required_field_and_exclusion_are_reported_as_such_and_the_standard_paths_pass(api):
    recorded = ApiScenario(api).start().declare().city_review("recommend")  # this year's, without them
    draft = draft_from(api)
    saved = ok(put(api, draft, DMN, with_new_exclusion(draft["files"][DMN])))
    for name in DECLARATIONS:
        saved = ok(put(api, {**draft, **saved}, name, with_new_fields(draft["files"][name])))
    assert ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))["valid"]

    report = ok(api.post(f"/api/process-drafts/{draft['id']}/rehearse", "admin", json={"round": recorded.round_id}))

    standard = {row["label"]: row for row in report["standard"]}
    assert {row["status"] for row in report["standard"]} == {"same"}, report["standard"]
    assert standard["存在排除情形"]["rehearsed"] == standard["存在排除情形"]["expected"]
    # Every category and every step of the draft is on some standard path.
    assert {c["key"] for c in report["coverage"]["categories"]} == {"factory", "park", "supply_chain"}
    assert {"列入名单（绿色工业园区）", "列入名单（绿色供应链管理企业）"} <= set(standard)
    assert report["coverage"]["steps_not_covered"] == []

    findings = {(f["element_id"], f["key"]): f for f in report["findings"]}
    assert set(findings) == {(f"Task_declare_{c}", k) for c in ("factory", "park", "supply_chain")
                             for k in ("carbon_intensity", "exc_carbon_quota")}
    factory_field = findings[("Task_declare_factory", "carbon_intensity")]
    factory_exclusion = findings[("Task_declare_factory", "exc_carbon_quota")]
    assert factory_field["kind"] == "required_field" and factory_field["label"] == "单位产值碳排放强度"
    assert factory_exclusion["kind"] == "exclusion" and factory_exclusion["step"] == "填报绿色工厂申报书"
    # The recorded application declared without them: named, and its replay goes on (answered "no").
    assert factory_field["unanswered_by"] == factory_exclusion["unanswered_by"] == [recorded.application_id]
    assert findings[("Task_declare_park", "carbon_intensity")]["unanswered_by"] == []
    row = report["recorded"][0]
    assert row["status"] == "running" and row["reason"] is None
    assert {f["key"] for f in row["findings"]} == {"carbon_intensity", "exc_carbon_quota"}


def test_filled_forms_pass_the_servers_own_validation_for_every_shipped_form():
    bundle = Bundle.from_directories("processes", "forms")
    exclusions = exclusion_keys(bundle)
    assert {"exc_dishonest", "exc_not_operating"} <= exclusions
    given = {"formal_review.form.json": {"experts": ["9001", "9002", "9003"]}}
    for name in bundle.forms:
        form = bundle.form(name)
        data = fill_form(form, given=given.get(name), exclusions=exclusions)
        options = {"expert_pool": ["9001", "9002", "9003"], "expert_count": 3, **REHEARSAL_OPTIONS}
        load_form_data(form, data, options)  # raises with the field and reason if a value is not valid
        if name.startswith("declaration_"):
            assert data["exc_dishonest"] == "no" and len(data["credit_code"]) == 18


def test_a_filled_form_respects_bounds_patterns_and_the_first_exclusion_answered_yes():
    form = {"components": [
        {"type": "number", "key": "n", "validate": {"required": True, "min": 10, "max": 20}, "decimalDigits": 0},
        {"type": "textfield", "key": "zip", "validate": {"required": True, "pattern": "^\\d{6}$"}},
        {"type": "select", "key": "kind", "values": [{"label": "甲", "value": "a"}, {"label": "乙", "value": "b"}],
         "validate": {"required": True}},
        {"type": "datetime", "key": "on", "subtype": "date", "validate": {"required": True}},
        {"type": "radio", "key": "exc_one", "values": [{"label": "是", "value": "y"}, {"label": "否", "value": "n"}]},
        {"type": "radio", "key": "exc_two", "values": [{"label": "是", "value": "y"}, {"label": "否", "value": "n"}]},
        {"type": "textfield", "key": "why", "properties": {"requiredWhen": "kind=a"}, "validate": {"maxLength": 3}},
        {"type": "textfield", "key": "optional"},
    ]}
    data = fill_form(form, answer_yes="first")
    assert data == {"n": 15, "zip": "130000", "kind": "a", "on": "2024-07-01", "exc_one": "y", "exc_two": "n",
                    "why": "演练填"}
    load_form_data(form, data)
