"""Build a marshmallow schema from a form-js (bpmn.io) form, enforcing what the viewer enforces.

The browser's validation is a convenience; this is the guard. Rules follow form-js
exactly (``validate.pattern`` is a search, lengths are measured on the trimmed
string, an unchecked checkbox is "missing"), plus what only the server can check:
option membership, the credit-code check digit (``properties.check = credit_code``)
and simple cross-field requirements (``properties.requiredWhen = "field=a|b"``).

FEEL expressions (values starting with ``=``) and ``conditional`` rules cannot be
evaluated here, so forms that use them are refused at deployment instead.
"""
from __future__ import annotations

import json
import math
import re
from contextvars import ContextVar
from datetime import date, datetime, time
from functools import lru_cache

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from service.platform.inputs import text_problem, unclean_text_in
from service.forms.credit_code import credit_code_error

INPUT_TYPES = {"textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist", "datetime"}
LAYOUT_TYPES = {"text", "spacer", "separator", "group"}
SUPPORTED_TYPES = INPUT_TYPES | LAYOUT_TYPES
CHECKS = {"credit_code"}
# Round settings a multi-choice may require its item count to equal (properties.countFrom).
COUNT_SOURCES = {"expert_count"}
# A form choosing an expert panel (valuesKey expert_pool) records how: the draw's seed or the reason.
PANEL_FIELDS = ("panel_seed", "panel_reason")
EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
INTERNATIONAL_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")

# The choices of the load under way (load_form_text): a cached schema serves every application's submit.
_LOAD_OPTIONS: ContextVar[dict | None] = ContextVar("greenlist_form_options", default=None)

MSG_REQUIRED = "必填项"
MSG_UNKNOWN = "表单中没有这个字段"
# Groups inside groups: form-js's editor makes a few levels; deeper is a crafted file, refused at validation.
MAX_GROUP_DEPTH = 8
_END = object()


def _walk(components, *, into_groups_only: bool = False):
    """(component, depth) in display order, without recursion and never deeper than MAX_GROUP_DEPTH + 1,
    so a file nested thousands deep costs nothing but its own refusal."""
    stack = [(iter(components if isinstance(components, list) else []), 0)]
    while stack:
        components, depth = stack[-1]
        component = next(components, _END)
        if component is _END:
            stack.pop()
            continue
        yield component, depth
        if not isinstance(component, dict):
            continue
        children = component.get("components")
        descend = component.get("type") == "group" or not into_groups_only
        if descend and isinstance(children, list) and depth <= MAX_GROUP_DEPTH:
            stack.append((iter(children), depth + 1))


def displayed_components(form: dict) -> list[dict]:
    """Every component of the form (texts and groups too), groups flattened, in display order."""
    return [c for c, _ in _walk(form.get("components"), into_groups_only=True) if isinstance(c, dict)]


def input_components(form: dict) -> list[dict]:
    """Every input component of the form, groups flattened, in display order."""
    return [c for c in displayed_components(form) if c.get("type") in INPUT_TYPES]


def _all_components(components):
    return _walk(components)


def form_problems(form: dict) -> list[tuple[str, str]]:
    """(component, problem) pairs that stop the server from validating this form as the browser would."""
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        return [("form", "不是 form-js 表单：缺少 components 列表")]
    problems, keys = [], set()
    for component, depth in _all_components(form["components"]):
        problems += _component_problems(component, depth, keys)
    for component in input_components(form):
        if component.get("valuesKey") == "expert_pool" and not set(PANEL_FIELDS) <= keys:
            problems.append((component["key"], f"遴选专家的表单还须有字段 {' 和 '.join(PANEL_FIELDS)}（随机抽取种子、"
                                                "人工选择理由）"))
        rule = (component.get("properties") or {}).get("requiredWhen")
        if rule:
            parsed = _parse_required_when(rule)
            if parsed is None:
                problems.append((component["key"], f"requiredWhen 应写成“字段=值1|值2”，现为“{rule}”"))
            elif parsed[0] not in keys:
                problems.append((component["key"], f"requiredWhen 引用的字段“{parsed[0]}”不在表单中"))
    return problems


# The JSON types form-js writes for the properties the server reads; anything else is a crafted file.
PROPERTY_TYPES = {"key": str, "id": str, "type": str, "validate": dict, "properties": dict, "values": list,
                  "valuesKey": str, "subtype": str, "decimalDigits": int}
NUMERIC_RULES = ("min", "max", "minLength", "maxLength")


def _shape_problem(component) -> str | None:
    """Why the server could not even read this component safely, or None."""
    if not isinstance(component, dict):
        return f"组件应为 JSON 对象，现为 {json.dumps(component, ensure_ascii=False)[:40]}"
    for name, kind in PROPERTY_TYPES.items():
        if component.get(name) is not None and not isinstance(component[name], kind):
            return f"属性 {name} 的类型不正确"
    rules = component.get("validate") or {}
    for name in NUMERIC_RULES:
        value = rules.get(name)
        if value is not None and not (isinstance(value, str) and value.startswith("=")) and \
                (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f"校验规则 {name} 应为数字"
    if not all(isinstance(v, dict) for v in component.get("values") or []):
        return "选项 values 应为 {label, value} 对象的列表"
    if not all(isinstance(v, str) for v in (component.get("properties") or {}).values()):
        return "自定义属性（properties）的值应为文字"
    return unclean_text_in({k: v for k, v in component.items() if k != "components"}, multiline=True)


def _component_problems(component, depth: int, keys: set) -> list[tuple[str, str]]:
    shape = _shape_problem(component)
    ident = str(component.get("key") or component.get("id") or component.get("type", "?")) \
        if isinstance(component, dict) and not shape else "form"
    if shape:
        return [(ident, shape)]
    if depth > MAX_GROUP_DEPTH:
        return [(ident, f"分组嵌套超过 {MAX_GROUP_DEPTH} 层，请减少嵌套")]
    kind = component.get("type")
    if kind not in SUPPORTED_TYPES:
        return [(ident, f"组件类型“{kind}”服务器无法校验；请改用 {', '.join(sorted(INPUT_TYPES))} 之一")]
    problems = []
    if kind == "group" and component.get("path"):
        problems.append((ident, "分组不能设置 path（数据路径），请删除该属性"))
    if "conditional" in component:
        problems.append((ident, "条件显示（conditional）使用 FEEL 表达式，服务器无法校验；请删除该规则"))
    for name, value in (component.get("validate") or {}).items():
        if isinstance(value, str) and value.startswith("="):
            problems.append((ident, f"校验规则 {name} 使用了 FEEL 表达式，服务器无法校验；请改为固定值"))
    if kind in INPUT_TYPES:
        problems += _input_problems(component, ident, keys)
    return problems


def _input_problems(component: dict, ident: str, keys: set) -> list[tuple[str, str]]:
    key = component.get("key")
    if not key:
        return [(ident, "输入组件缺少 key")]
    problems = [(key, "字段 key 重复")] if key in keys else []
    keys.add(key)
    pattern = (component.get("validate") or {}).get("pattern")
    if pattern:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as err:
            problems.append((key, f"正则表达式无效：{err}"))
    check = (component.get("properties") or {}).get("check")
    if check and check not in CHECKS:
        problems.append((key, f"未知的服务器校验“{check}”，可用：{', '.join(sorted(CHECKS))}"))
    count_from = (component.get("properties") or {}).get("countFrom")
    if count_from and count_from not in COUNT_SOURCES:
        problems.append((key, f"countFrom 只能是 {', '.join(sorted(COUNT_SOURCES))}"))
    if component["type"] in ("radio", "select", "checklist", "taglist") and not component.get("values") \
            and not component.get("valuesKey"):
        problems.append((key, "选项组件需要 values 或 valuesKey"))
    return problems


def _parse_required_when(rule: str):
    if not isinstance(rule, str) or "=" not in rule:
        return None
    field, values = rule.split("=", 1)
    return field.strip(), {v.strip() for v in values.split("|")}


def _is_missing(value) -> bool:
    return value is None or value == "" or value == [] or value is False


# -- fields ------------------------------------------------------------------------------

class _Input(fields.Field):
    """A form-js input component: one marshmallow field carrying the component's rules."""

    default_error_messages = {"required": MSG_REQUIRED, "null": MSG_REQUIRED}

    def __init__(self, component: dict, options: dict, **kwargs):
        self.component = component
        self.rules = component.get("validate") or {}
        self._options = options
        required = bool(self.rules.get("required"))
        super().__init__(required=required, allow_none=not required, **kwargs)

    @property
    def options(self) -> dict:
        """The choices of this load (load_form_text), else those the schema was built with."""
        given = _LOAD_OPTIONS.get()
        return self._options if given is None else given

    def _deserialize(self, value, attr, data, **kwargs):
        if self.rules.get("required") and _is_missing(value):
            raise ValidationError(MSG_REQUIRED)
        if value is None or value == "":
            return None
        return self.clean(value)

    def clean(self, value):
        raise NotImplementedError


class _Text(_Input):
    def clean(self, value):
        if not isinstance(value, str):
            raise ValidationError("请输入文字")
        problem = text_problem(value, multiline=self.component["type"] == "textarea")
        if problem:
            raise ValidationError(problem)
        trimmed = value.strip()
        if self.rules.get("required") and not trimmed:
            raise ValidationError(MSG_REQUIRED)
        if "minLength" in self.rules and len(trimmed) < int(self.rules["minLength"]):
            raise ValidationError(f"至少需要 {self.rules['minLength']} 个字符")
        if "maxLength" in self.rules and len(trimmed) > int(self.rules["maxLength"]):
            raise ValidationError(f"不能超过 {self.rules['maxLength']} 个字符")
        pattern = self.rules.get("pattern")
        if pattern and not re.search(pattern, value):
            raise ValidationError(self.rules.get("patternErrorMessage") or "格式不正确")
        kind = self.rules.get("validationType")
        if kind == "email" and not EMAIL.match(value):
            raise ValidationError("邮箱格式不正确")
        if kind == "phone" and not INTERNATIONAL_PHONE.match(value):
            raise ValidationError("电话号码应为国际格式，如 +8613800000000")
        if (self.component.get("properties") or {}).get("check") == "credit_code":
            error = credit_code_error(value)
            if error:
                raise ValidationError(error)
        return value


class _Number(_Input):
    def clean(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValidationError("请输入数字")
        if "min" in self.rules and value < float(self.rules["min"]):
            raise ValidationError(f"不能小于 {self.rules['min']}")
        if "max" in self.rules and value > float(self.rules["max"]):
            raise ValidationError(f"不能大于 {self.rules['max']}")
        digits = self.component.get("decimalDigits")
        if digits is not None:
            if round(value, int(digits)) != value:
                raise ValidationError("必须为整数" if int(digits) == 0 else f"最多保留 {digits} 位小数")
            if int(digits) == 0:
                return int(value)
        return value


class _Checkbox(_Input):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("请选择是或否")
        if self.rules.get("required") and value is False:
            raise ValidationError("请勾选此项")
        return value


class _Choice(_Input):
    def allowed(self) -> set[str]:
        if self.component.get("valuesKey"):
            return {str(v) for v in self.options.get(self.component["valuesKey"], [])}
        return {str(item.get("value")) for item in self.component.get("values", [])}

    def clean(self, value):
        if not isinstance(value, str) or value not in self.allowed():
            raise ValidationError("请选择列表中的选项")
        return value


class _MultiChoice(_Choice):
    def clean(self, value):
        if not isinstance(value, list):
            raise ValidationError("应为选项列表")
        allowed = self.allowed()
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                raise ValidationError(f"“{item}”不是可选项")
        if len(set(value)) != len(value):
            raise ValidationError("选项不能重复")
        count_from = (self.component.get("properties") or {}).get("countFrom")
        if count_from and value:
            expected = self.options.get(count_from)
            if expected is not None and len(value) != int(expected):
                raise ValidationError(f"需要选择 {expected} 项，现选择了 {len(value)} 项")
        return value


class _DateTime(_Input):
    def clean(self, value):
        if not isinstance(value, str):
            raise ValidationError("日期格式不正确")
        subtype = self.component.get("subtype", "date")
        try:
            if subtype == "date":
                date.fromisoformat(value)
                if len(value) != 10:
                    raise ValueError
            elif subtype == "time":
                time.fromisoformat(value)
            else:
                datetime.fromisoformat(value)
        except ValueError:
            example = {"date": "2024-06-10", "time": "09:30"}.get(subtype, "2024-06-10T09:30")
            raise ValidationError(f"格式不正确，应如 {example}") from None
        return value


FIELD_BY_TYPE = {
    "textfield": _Text, "textarea": _Text, "number": _Number, "checkbox": _Checkbox,
    "radio": _Choice, "select": _Choice, "checklist": _MultiChoice, "taglist": _MultiChoice,
    "datetime": _DateTime,
}


class _FormSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": MSG_UNKNOWN, "type": "表单数据应为对象"}
    required_when: dict = {}

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _required_when(self, data, original, **kwargs):
        # Judged on what was submitted, so a field that already failed is not also called missing.
        if not isinstance(original, dict):
            return
        errors = {}
        for key, (field, values) in self.required_when.items():
            if str(original.get(field)) in values and _is_missing(original.get(key)):
                errors[key] = [MSG_REQUIRED]
        if errors:
            raise ValidationError(errors)


def build_schema(form: dict, options: dict | None = None) -> Schema:
    """A schema that loads exactly the data the form could submit.

    ``options`` supplies the choices of components that take them from ``valuesKey``.
    """
    options = options or {}
    declared = {}
    required_when = {}
    for component in input_components(form):
        declared[component["key"]] = FIELD_BY_TYPE[component["type"]](component, options)
        rule = (component.get("properties") or {}).get("requiredWhen")
        if rule:
            required_when[component["key"]] = _parse_required_when(rule)
    schema_class = _FormSchema.from_dict(declared, name=f"Form_{form.get('id', 'anonymous')}")
    schema_class.required_when = required_when
    return schema_class()


def draft_problems(form: dict, data: dict) -> dict[str, list[str]]:
    """Per-field reasons a task draft cannot be kept. A draft may be incomplete, but each value must be one
    the form could hold (text, a number, yes/no, a list of choices), in clean text: the task page embeds it."""
    components = {c["key"]: c for c in input_components(form)}
    errors = {}
    for key, value in data.items():
        component = components.get(key)
        if component is None:
            errors[key] = [MSG_UNKNOWN]
            continue
        items = value if isinstance(value, list) else [value]
        if any(isinstance(i, (dict, list)) or (isinstance(i, float) and not math.isfinite(i)) for i in items):
            errors[key] = ["草稿中的值应为文字、数字、是否或选项列表"]
            continue
        problem = unclean_text_in(items, multiline=component["type"] == "textarea")
        if problem:
            errors[key] = [problem]
    return errors


@lru_cache(maxsize=256)
def _schema_for(form_text: str) -> tuple[dict, Schema]:
    form = json.loads(form_text)
    return form, build_schema(form)


def load_form_text(form_text: str, data, options: dict | None = None) -> dict:
    """load_form_data for a form file as deployed: its schema is built once per form (a version's forms never
    change) instead of on every submit. The choices that differ per application (its PDFs, the expert pool)
    are given to this load only, so they do not make every application's schema a new one."""
    form, schema = _schema_for(form_text)
    token = _LOAD_OPTIONS.set(options or {})
    try:
        return _with_checkboxes(form, schema.load(data))
    finally:
        _LOAD_OPTIONS.reset(token)


def load_form_data(form: dict, data, options: dict | None = None) -> dict:
    """Validated data, checkboxes defaulting to False; raises ValidationError with per-field messages."""
    return _with_checkboxes(form, build_schema(form, options).load(data))


def _with_checkboxes(form: dict, cleaned: dict) -> dict:
    for component in input_components(form):
        if component["type"] == "checkbox":
            if cleaned.get(component["key"]) is None:
                cleaned[component["key"]] = False
    return cleaned
