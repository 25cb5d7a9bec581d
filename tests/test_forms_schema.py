"""The server enforces what form-js enforces, and the checks only a server can make."""
import json
from pathlib import Path

import pytest
from marshmallow import ValidationError

from service.demo import make_credit_code, sample_declaration
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
