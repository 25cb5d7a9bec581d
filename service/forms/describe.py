"""Submitted values under their form's labels: what a page or an API answer shows of a form's data."""
from __future__ import annotations

from service.forms.schema import input_components


def _choice_labels(component: dict) -> dict:
    return {str(v.get("value")): v.get("label") for v in component.get("values", []) if isinstance(v, dict)}


def describe(form: dict | None, data: dict | None) -> list[dict]:
    """Submitted values as (label, text) rows in the form's order; choices shown by their labels."""
    if not form or not isinstance(data, dict):
        return []
    rows = []
    for component in input_components(form):
        key = component["key"]
        if key not in data or data[key] in (None, "", []):
            continue
        value, labels = data[key], _choice_labels(component)
        if isinstance(value, bool):
            text = "是" if value else "否"
        elif isinstance(value, list):
            text = "、".join(labels.get(str(v), str(v)) for v in value)
        else:
            text = labels.get(str(value), str(value))
        label = component.get("label") or component.get("dateLabel") or component.get("timeLabel") or key
        rows.append({"key": key, "label": label, "text": text, "values_key": component.get("valuesKey"),
                     "value": value})
    return rows
