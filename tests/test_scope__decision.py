"""The parts the scope decision stands on: declared industry codes read robustly, and the deploy check that
names a missing or broken scope.dmn in Chinese before any application can reach it."""
import pytest

from service.engine.bundle import Bundle
from service.engine.industry import industry_divisions
from service.engine.probe import probe
from service.engine.validation import validate_bundle

SCOPE = "scope.dmn"


@pytest.mark.parametrize("typed, divisions", [
    ("C3670", [36]),
    ("3670", [36]),
    ("c 3670, C3511", [36, 35]),
    ("C3670、I6510；4412", [36, 65, 44]),
    ("Ｃ３６７０，Ｉ６５１０", [36, 65]),  # full-width, as Chinese input methods type it
    ("C13", [13]),
    ("C4320", [43]),
    ("I6510", [65]),
    ("I3670", [0]),  # the letter contradicts the digits: a typing error, never a guess
    ("X1234", [0]),
    ("C36701", [0]),
    ("", []),
    (None, []),
])
def test_industry_codes_are_read_as_divisions(typed, divisions):
    assert industry_divisions(typed) == divisions


def problems(bundle):
    return "\n".join(str(p) for p in validate_bundle(bundle))


def test_the_shipped_scope_decision_is_valid(bundle):
    assert SCOPE in bundle.processes and problems(bundle) == ""


def test_a_missing_scope_decision_is_named(bundle):
    without = Bundle({n: t for n, t in bundle.processes.items() if n != SCOPE}, bundle.forms)
    assert "Task_scope（申报范围审查）: 引用的决策表“scope”不存在；请上传含该决策的 .dmn 文件或改正引用" in problems(without)


@pytest.mark.parametrize("old, new, expected", [
    ("not (13 &lt;= ? &lt;= 43)", "not (13 &lt;= ? &lt;=",
     "processes/scope.dmn: scope 规则 Rule_scope_factory_manufacturing: 输入条件语法错误"),
    ("<text>in_production == \"yes\"</text>", "<text>open(\"/etc/passwd\")</text>",
     "processes/scope.dmn: scope（申报范围（各类别申报条件））: 输入表达式不被允许：流程图中不允许使用：open"),
    ("<text>\"绿色工业园区应为省级及以上的工业园区\"</text>", "<text>\"绿色工业园区应为省级及以上的工业园区</text>",
     "processes/scope.dmn: scope 规则 Rule_scope_park_level: 输出语法错误"),
    ('<decision id="scope"', '<decision id="scope_2025"', "Task_scope（申报范围审查）: 引用的决策表“scope”不存在"),
])
def test_a_broken_scope_decision_is_named(bundle, old, new, expected):
    text = bundle.processes[SCOPE]
    assert old in text
    assert expected in problems(Bundle({**bundle.processes, SCOPE: text.replace(old, new, 1)}, bundle.forms))


def test_a_slice_in_an_expression_is_probed_as_part_of_it():
    # "2:4" alone is no expression: the probe used to refuse str(credit_code)[2:4] as a syntax error.
    assert probe('str(credit_code)[2:4] == "22"', "eval") is None
    assert probe("[1, 2, 3][0:10 ** 10 ** 10]", "eval") is not None  # its pieces are still probed
