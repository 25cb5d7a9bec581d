"""Validation refuses every kind of broken bundle, naming the file and element and how to fix it."""
import json

import pytest
from click.testing import CliRunner

from service.commands.cli import cli
from service.engine.bundle import Bundle
from service.engine.validation import validate_bundle

BPMN = "green_round.bpmn"


def broken(bundle, old, new, file=BPMN, count=1):
    text = bundle.processes[file]
    assert old in text, f"fixture text not found: {old}"
    return Bundle({**bundle.processes, file: text.replace(old, new, count)}, bundle.forms)


def problems_of(bundle):
    return [str(p) for p in validate_bundle(bundle)]


def only_problem(bundle):
    problems = problems_of(bundle)
    assert len(problems) >= 1
    return "\n".join(problems)


def test_the_shipped_bundle_is_valid(bundle):
    assert problems_of(bundle) == []


def test_malformed_xml(bundle):
    text = bundle.processes[BPMN]
    report = only_problem(Bundle({**bundle.processes, BPMN: text[: len(text) // 2]}, bundle.forms))
    assert "processes/green_round.bpmn" in report and "XML 格式错误" in report and "行" in report


def test_doctype_and_entities_are_refused(bundle):
    evil = '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    text = bundle.processes[BPMN].split("\n", 1)[1]
    report = only_problem(Bundle({**bundle.processes, BPMN: evil + text}, bundle.forms))
    assert "DOCTYPE" in report and "XXE" in report


def test_flow_to_a_missing_element(bundle):
    report = only_problem(broken(bundle, 'targetRef="End_ineligible"', 'targetRef="End_nowhere"'))
    assert "Flow_Gw_eligible_End_ineligible: 顺序流的终点 End_nowhere 不存在" in report


@pytest.mark.parametrize("condition, reason", [
    ('decision == "reject"', "语法错误"),
    ('__import__("os").system("id")', '"__import__" is an invalid variable name'),
    ('decision.__class__', '"__class__" is an invalid attribute name'),
    ('open("/etc/passwd")', "流程图中不允许使用：open"),
    ('eval("1")', "Eval calls are not allowed"),
])
def test_bad_condition(bundle, condition, reason):
    new = 'decision ==' if reason == "语法错误" else condition
    report = only_problem(broken(bundle, '>decision == "reject"<', f">{new}<"))
    assert "Flow_Gw_city_decision_End_not_recommended" in report and reason in report


@pytest.mark.parametrize("script, reason", [
    ("import os", "流程图中不允许 import"),
    ("x = ().__class__.__bases__[0].__subclasses__()", '"__subclasses__" is an invalid attribute name'),
    ("data = open('/etc/passwd').read()", "流程图中不允许使用：open"),
])
def test_bad_script(bundle, script, reason):
    report = only_problem(broken(bundle, "<bpmn:script>scores = [", f"<bpmn:script>{script}\nscores = ["))
    assert "Task_scoring（计算专家平均分）" in report and "脚本" in report and reason in report


@pytest.mark.parametrize("timer, reason", [
    ("P5D", 'ISO 时间必须加引号，如 "P5D"'),
    ('"2024-13-45T00:00:00"', "无法解析为 ISO 8601 timeDate"),
    ("city_deadline +", "语法错误"),
])
def test_unparseable_timer(bundle, timer, reason):
    report = only_problem(broken(bundle, ">unit_deadline</bpmn:timeDate>", f">{timer}</bpmn:timeDate>"))
    assert "Timer_declare_factory（申报截止）" in report and reason in report


def test_gateway_without_conditions_or_default(bundle):
    report = only_problem(broken(bundle, ' default="Flow_Gw_eligible_T_city_review"', ""))
    assert "Gateway_eligible（符合申报条件？）" in report
    assert "既没有条件也不是默认流" in report


def test_user_task_in_an_unknown_lane(bundle):
    report = only_problem(broken(bundle, 'name="评审专家"', 'name="专家组"'))
    assert "Task_expert_review（专家评审）" in report and "泳道“专家组”不对应已知角色" in report


def test_user_task_without_a_form(bundle):
    report = only_problem(broken(bundle, 'value="site_inspection.form.json"', 'value="site_check.form.json"'))
    assert "Task_site_inspection（现场核查）" in report and "表单文件“site_check.form.json”不存在" in report


def test_form_component_the_server_cannot_validate(bundle):
    form = json.loads(bundle.forms["expert_review.form.json"])
    form["components"].append({"type": "filepicker", "key": "attachment", "id": "Field_attachment"})
    form["components"][0]["validate"]["max"] = "=max_score"
    report = only_problem(Bundle(bundle.processes, {**bundle.forms, "expert_review.form.json": json.dumps(form)}))
    assert "forms/expert_review.form.json: attachment: 组件类型“filepicker”服务器无法校验" in report
    assert "forms/expert_review.form.json: score: 校验规则 max 使用了 FEEL 表达式" in report


def test_missing_dmn_decision(bundle):
    report = only_problem(broken(bundle, ">eligibility</spiffworkflow:calledDecisionId>",
                                 ">eligibility_2025</spiffworkflow:calledDecisionId>"))
    assert "Task_eligibility" in report and "决策表“eligibility_2025”不存在" in report


def test_broken_dmn_cell(bundle):
    report = only_problem(broken(bundle, '<text>"yes"</text>', "<text>\"yes\" and open('x')</text>",
                                 file="eligibility.dmn"))
    assert "processes/eligibility.dmn: eligibility 规则 Rule_exc_not_operating" in report
    assert "输入条件不被允许：流程图中不允许使用：open" in report


def test_batch_message_nobody_catches(bundle):
    report = only_problem(broken(bundle, 'name="publish"', 'name="publish_list"'))
    assert "消息 publish" in report and "没有接收它的事件" in report


def test_cli_validate_exit_codes(tmp_path, bundle):
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", "--processes", "processes", "--forms", "forms"])
    assert ok.exit_code == 0 and "校验通过" in ok.output
    (tmp_path / "p").mkdir()
    (tmp_path / "f").mkdir()
    bad = broken(bundle, 'targetRef="End_ineligible"', 'targetRef="End_nowhere"')
    for name, text in bad.processes.items():
        (tmp_path / "p" / name).write_text(text, encoding="utf-8")
    for name, text in bad.forms.items():
        (tmp_path / "f" / name).write_text(text, encoding="utf-8")
    failed = runner.invoke(cli, ["validate", "--processes", str(tmp_path / "p"), "--forms", str(tmp_path / "f")])
    assert failed.exit_code == 1
    assert "End_nowhere" in failed.output
