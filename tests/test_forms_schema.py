"""The server enforces what form-js enforces, and the checks only a server can make."""
import json
from pathlib import Path

import pytest
from marshmallow import ValidationError

from service.versions.samples import make_credit_code, sample_declaration
from service.forms.credit_code import credit_code_error
from service.forms.schema import form_problems, load_form_data

FORMS = Path(__file__).resolve().parent.parent / "forms"


def form(name):
    return json.loads((FORMS / f"{name}.form.json").read_text(encoding="utf-8"))


def errors(form_dict, data, options=None):
    with pytest.raises(ValidationError) as caught:
        load_form_data(form_dict, data, options)
    return caught.value.messages


def field(kind, key="f", **extra):
    return {"components": [{"type": kind, "key": key, "id": key, **extra}]}


@pytest.mark.parametrize("name", [p.name.removesuffix(".form.json") for p in FORMS.glob("*.form.json")])
def test_every_shipped_form_is_fully_checkable(name):
    assert form_problems(form(name)) == []


def test_credit_code_check_digit():
    assert credit_code_error("91350100M000100Y43") is None
    assert credit_code_error("91350100M000100Y44") == "统一社会信用代码校验位不正确，请核对"
    assert "不含 I、O、S、V、Z" in credit_code_error("91350100M000100Y4Z")
    assert credit_code_error("9135010") == "统一社会信用代码应为18位"
    assert credit_code_error(make_credit_code(42)) is None


@pytest.mark.parametrize("category", ["factory", "park", "supply_chain"])
def test_sample_declarations_are_valid(category):
    cleaned = load_form_data(form(f"declaration_{category}"), sample_declaration(category))
    assert cleaned["truth_pledge"] is True


def test_pattern_is_a_search_like_the_browser():
    f = field("textfield", validate={"pattern": "[0-9]+", "patternErrorMessage": "要有数字"})
    assert load_form_data(f, {"f": "abc1"}) == {"f": "abc1"}
    assert errors(f, {"f": "abc"}) == {"f": ["要有数字"]}


def test_lengths_are_measured_trimmed():
    f = field("textfield", validate={"maxLength": 3, "minLength": 2})
    assert load_form_data(f, {"f": "  ab  "})["f"] == "  ab  "
    assert errors(f, {"f": "abcd"}) == {"f": ["不能超过 3 个字符"]}
    assert errors(f, {"f": " a "}) == {"f": ["至少需要 2 个字符"]}


def test_numbers_respect_min_max_and_decimal_digits():
    f = field("number", validate={"min": 0, "max": 100}, decimalDigits=1)
    assert load_form_data(f, {"f": 99.5}) == {"f": 99.5}
    assert errors(f, {"f": 100.5}) == {"f": ["不能大于 100"]}
    assert errors(f, {"f": 1.25}) == {"f": ["最多保留 1 位小数"]}
    assert errors(f, {"f": "80"}) == {"f": ["请输入数字"]}
    assert errors(f, {"f": True}) == {"f": ["请输入数字"]}


def test_required_checkbox_must_be_ticked_and_others_default_to_false():
    f = {"components": [{"type": "checkbox", "key": "pledge", "validate": {"required": True}},
                        {"type": "checkbox", "key": "optional"}]}
    assert errors(f, {"pledge": False}) == {"pledge": ["请勾选此项"]}
    assert load_form_data(f, {"pledge": True}) == {"pledge": True, "optional": False}


def test_options_static_and_from_values_key():
    f = {"components": [{"type": "select", "key": "s", "values": [{"label": "甲", "value": "a"}]},
                        {"type": "taglist", "key": "t", "valuesKey": "pool"}]}
    assert load_form_data(f, {"s": "a", "t": ["1", "2"]}, {"pool": ["1", "2"]}) == {"s": "a", "t": ["1", "2"]}
    messages = errors(f, {"s": "b", "t": ["3"]}, {"pool": ["1"]})
    assert messages == {"s": ["请选择列表中的选项"], "t": ["“3”不是可选项"]}


def test_dates_must_be_iso():
    f = field("datetime", subtype="date")
    assert load_form_data(f, {"f": "2024-06-10"}) == {"f": "2024-06-10"}
    assert errors(f, {"f": "2024/06/10"}) == {"f": ["格式不正确，应如 2024-06-10"]}


def test_unknown_fields_and_non_objects_are_refused():
    f = field("textfield")
    assert errors(f, {"f": "x", "g": 1}) == {"g": ["表单中没有这个字段"]}
    assert errors(f, ["x"]) == {"_schema": ["表单数据应为对象"]}


def test_required_when():
    f = form("declaration_factory")
    data = sample_declaration("factory")
    del data["third_party_name"]
    assert errors(f, data) == {"third_party_name": ["必填项"]}
    data["evaluation_method"] = "self"
    assert load_form_data(f, data)["evaluation_method"] == "self"


def test_feel_and_conditionals_are_reported_at_deploy():
    problems = form_problems({"components": [
        {"type": "textfield", "key": "a", "validate": {"required": "=b"}},
        {"type": "textfield", "key": "b", "conditional": {"hide": "=a = 1"}},
        {"type": "dynamiclist", "key": "c"},
        {"type": "textfield", "key": "a"},
    ]})
    assert [p[0] for p in problems] == ["a", "b", "c", "a"]


def test_a_form_nested_5000_deep_is_walked_without_recursion_and_named():
    deepest = {"type": "textfield", "key": "buried", "id": "buried"}
    for level in range(5000):
        deepest = {"type": "group", "id": f"Group_{level}", "components": [deepest]}
    crafted = {"components": [deepest]}
    problems = form_problems(crafted)
    assert problems == [("Group_4990", "分组嵌套超过 8 层，请减少嵌套")]
    assert load_form_data(crafted, {}) == {}  # the builder stops at the limit instead of recursing 5000 times


@pytest.mark.parametrize("component, problem", [
    ({"type": "textfield", "key": "a", "validate": 5}, "属性 validate 的类型不正确"),
    ({"type": "textfield", "key": ["a"]}, "属性 key 的类型不正确"),
    ({"type": "textfield", "key": "a", "validate": {"maxLength": "十"}}, "校验规则 maxLength 应为数字"),
    ({"type": "select", "key": "a", "values": [1, 2]}, "选项 values 应为 {label, value} 对象的列表"),
    ({"type": "textfield", "key": "a", "properties": {"check": ["credit_code"]}}, "自定义属性（properties）的值应为文字"),
    ({"type": "textfield", "key": "a", "label": "甲\x00"}, "含有控制字符 U+0000（只能包含换行和制表符），请删除"),
    ("textfield", "组件应为 JSON 对象，现为 \"textfield\""),
])
def test_crafted_component_shapes_are_problems_not_crashes(component, problem):
    assert [p for _, p in form_problems({"components": [component]})] == [problem]


@pytest.mark.parametrize("text", ["甲\x00乙", "甲\ud800", "甲\x1b", "甲\x7f", "甲\x9f"])
def test_control_characters_and_lone_surrogates_are_refused_in_text(text):
    for kind in ("textfield", "textarea"):
        assert list(errors(field(kind), {"f": text})) == ["f"]
    assert list(errors(field("textfield"), {"f": "甲\n乙"})) == ["f"]
    assert load_form_data(field("textarea"), {"f": "甲\n\t乙\r\n丙"}) == {"f": "甲\n\t乙\r\n丙"}


def test_a_deployed_forms_schema_is_built_once_and_each_load_checks_its_own_choices():
    """The PDFs a form offers differ per application: they are given to each load, not baked into the cached
    schema, so one schema serves every submit and one application's files are never accepted for another."""
    from service.forms import schema as forms

    form_text = json.dumps({"id": "Form_choice", "components": [
        {"type": "select", "key": "evidence", "label": "核查证据", "valuesKey": "pdfs", "validate": {"required": True}}]})
    forms._schema_for.cache_clear()
    assert forms.load_form_text(form_text, {"evidence": "11"}, {"pdfs": ["11", "12"]}) == {"evidence": "11"}
    with pytest.raises(ValidationError) as refused:
        forms.load_form_text(form_text, {"evidence": "11"}, {"pdfs": ["21"]})
    assert refused.value.messages == {"evidence": ["请选择列表中的选项"]}
    assert forms.load_form_text(form_text, {"evidence": "21"}, {"pdfs": ["21"]}) == {"evidence": "21"}
    assert forms._schema_for.cache_info().misses == 1  # built once for the three loads
