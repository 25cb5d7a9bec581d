"""Valid form data made from a form's own definition: what rehearsal submits on its standard paths.

A draft may add a required field or an exclusion question to a form; built-in sample data would not know
it. Here every required field (and every field a ``requiredWhen`` rule makes required) gets a value the
server's own validation accepts, chosen from the component's type and rules. Exclusion questions are
answered "no" unless a path asks for one "yes".
"""
from __future__ import annotations

import math
import re

from marshmallow import ValidationError

from service.engine.bundle import Bundle, parse_xml
from service.engine.priority import DECISION_ID as PRIORITY_DECISION
from service.forms.schema import FIELD_BY_TYPE, input_components
from service.versions.samples import make_credit_code

EXCLUSION_PREFIX = "exc_"
# The city's verified answers to the exclusions (verified_exc_*): answered "no" like the questions themselves.
VERIFIED_PREFIX = "verified_exc_"
# Choices a real application takes from its uploaded PDFs (the city's evidence and the departments' replies):
# a rehearsal has no files, so each offers one stand-in.
REHEARSAL_OPTIONS = {"verification_evidence": ["0"], "department_reply": ["0"]}
# On a step the script knows nothing about (new in the draft), a choice takes a passing value if it has one.
PASSING = ("pass", "accept", "approve", "recommend", "agree")
TEXT_CANDIDATES = ("演练填写", "130000", "C3670", "0431-88881111", "13800000000", "+8613800000000",
                   "rehearsal@example.cn", "A1", "1", "2024-07-01", "a")
DATES = {"date": "2024-07-01", "time": "09:30", "datetime": "2024-07-01T09:30"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CannotFill(Exception):
    """No value the field's own rules accept could be made (e.g. a pattern no candidate matches)."""

    def __init__(self, key: str, label: str, reason: str):
        self.key, self.label = key, label
        super().__init__(f"无法为字段“{label}”（{key}）生成有效值：{reason}")


def exclusion_keys(bundle: Bundle) -> set[str]:
    """The names the bundle's decision tables read as plain inputs (the exclusion rules), and exc_* keys."""
    keys = set()
    for text in bundle.dmn_files().values():
        for decision in parse_xml(text).iter("{*}decision"):
            if decision.get("id") == PRIORITY_DECISION:
                continue  # its inputs are priority signals (能效标杆, 试点企业...), not exclusions
            for element in decision.iter("{*}inputExpression"):
                expression = "".join(element.itertext()).strip()
                if _IDENTIFIER.match(expression):
                    keys.add(expression)
    return keys


def is_exclusion(component: dict, exclusions: set[str]) -> bool:
    key = component.get("key", "")
    return component.get("type") in ("radio", "select") and (key in exclusions or key.startswith(EXCLUSION_PREFIX)
                                                              or key.startswith(VERIFIED_PREFIX))


def _answer(component: dict, answer: str) -> str | None:
    """The option meaning yes/no: by value, else by its label (是/否)."""
    label = {"yes": "是", "no": "否"}[answer]
    for item in component.get("values") or []:
        if str(item.get("value")) == answer or item.get("label") == label:
            return str(item.get("value"))
    return None


def _accepts(component: dict, value, options: dict) -> bool:
    try:
        FIELD_BY_TYPE[component["type"]](component, options).deserialize(value)
        return True
    except (ValidationError, ValueError, TypeError):
        return False


def _text(component: dict) -> str | None:
    rules = component.get("validate") or {}
    if (component.get("properties") or {}).get("check") == "credit_code":
        return make_credit_code(1)
    plain = "演练填写"
    if "maxLength" in rules:
        plain = plain[:max(int(rules["maxLength"]), 1)]
    if "minLength" in rules:
        plain = plain.ljust(int(rules["minLength"]), "演")
    return next((c for c in (plain, *TEXT_CANDIDATES) if _accepts(component, c, {})), None)


def _number(component: dict):
    rules = component.get("validate") or {}
    low, high = rules.get("min"), rules.get("max")
    if low is not None and high is not None:
        value = (float(low) + float(high)) / 2
    elif low is not None:
        value = float(low) + 1
    elif high is not None:
        value = float(high) - 1
    else:
        value = 1.0
    digits = component.get("decimalDigits")
    if digits is not None:
        value = math.floor(value) if int(digits) == 0 else round(value, int(digits))
    return int(value) if value == int(value) else value


def _choice(component: dict, options: dict, passing: bool) -> str | None:
    allowed = ([str(v) for v in options.get(component["valuesKey"], [])] if component.get("valuesKey")
               else [str(item.get("value")) for item in component.get("values") or []])
    if passing:
        for value in PASSING:
            if value in allowed:
                return value
    return allowed[0] if allowed else None


def value_for(component: dict, *, options: dict, passing: bool = False):
    kind = component["type"]
    if kind in ("textfield", "textarea"):
        value = _text(component)
    elif kind == "number":
        value = _number(component)
    elif kind == "checkbox":
        value = True
    elif kind in ("radio", "select"):
        value = _choice(component, options, passing)
    elif kind in ("checklist", "taglist"):
        first = _choice(component, options, passing)
        value = [first] if first is not None else None
    else:
        value = DATES.get(component.get("subtype", "date"), DATES["date"])
    if value is None or not _accepts(component, value, options):
        raise CannotFill(component["key"], component.get("label") or component["key"], "没有可用的取值")
    return value


def _required_when(component: dict, data: dict) -> bool:
    rule = (component.get("properties") or {}).get("requiredWhen")
    if not rule or "=" not in rule:
        return False
    field, values = rule.split("=", 1)
    return str(data.get(field.strip())) in {v.strip() for v in values.split("|")}


def fill_form(form: dict, *, given: dict | None = None, exclusions: set[str] = frozenset(),
              answer_yes: str | None = None, options: dict | None = None, passing: bool = False) -> dict:
    """``given`` (a path's decisions) completed with a valid value for every field the form requires.

    Exclusion questions are answered "no", except ``answer_yes``: ``"first"`` answers the form's first
    exclusion question "yes". Raises CannotFill naming the field no valid value could be made for."""
    options = {**REHEARSAL_OPTIONS, **(options or {})}
    data = dict(given or {})
    components = input_components(form)
    questions = [c for c in components if is_exclusion(c, exclusions)]
    for n, component in enumerate(questions):
        if component["key"] not in data:
            data[component["key"]] = _answer(component, "yes" if answer_yes == "first" and n == 0 else "no") \
                or value_for(component, options=options)
    for component in components:  # two rounds: a requiredWhen may depend on a field filled in the first
        if component["key"] not in data and (component.get("validate") or {}).get("required"):
            data[component["key"]] = value_for(component, options=options, passing=passing)
    for component in components:
        if component["key"] not in data and _required_when(component, data):
            data[component["key"]] = value_for(component, options=options, passing=passing)
    return data


def unanswered(form: dict, data: dict, exclusions: set[str]) -> list[dict]:
    """The fields ``form`` requires that ``data`` (a recorded submission) never answered, each with its kind:
    ``exclusion`` for an exclusion question, ``required_field`` otherwise."""
    found = []
    for component in input_components(form):
        required = (component.get("validate") or {}).get("required") or is_exclusion(component, exclusions)
        if required and data.get(component["key"]) in (None, "", []):
            found.append({"key": component["key"], "label": component.get("label") or component["key"],
                          "kind": "exclusion" if is_exclusion(component, exclusions) else "required_field"})
    return found


class TaskForms:
    """The forms of one definition's user tasks (by element id) and its exclusion questions."""

    def __init__(self, bundle: Bundle, user_tasks: dict):
        self.bundle = bundle
        self.forms = {element: info.form for element, info in user_tasks.items()}
        self.exclusions = exclusion_keys(bundle)

    def form_of(self, element_id: str) -> dict | None:
        name = self.forms.get(element_id)
        return self.bundle.form(name) if name and name in self.bundle.forms else None

    def fill(self, element_id: str, given: dict, *, answer_yes: str | None = None, passing: bool = False) -> dict:
        form = self.form_of(element_id)
        if form is None:
            return dict(given)
        return fill_form(form, given=given, exclusions=self.exclusions, answer_yes=answer_yes, passing=passing)

    def unanswered(self, element_id: str, data: dict) -> list[dict]:
        form = self.form_of(element_id)
        return [] if form is None else unanswered(form, data, self.exclusions)
