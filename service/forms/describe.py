"""Submitted values under their form's labels: what a page or an API answer shows of a form's data."""
from __future__ import annotations

import re

from service.forms.schema import INPUT_TYPES, displayed_components

HEADING_MAX = 80  # a text's first line longer than this is a paragraph, not a heading
MARKUP = re.compile(r"^#+\s*|\*\*|__")


def _choice_labels(component: dict) -> dict:
    return {str(v.get("value")): v.get("label") for v in component.get("values", []) if isinstance(v, dict)}


def describe(form: dict | None, data: dict | None) -> list[dict]:
    """Submitted values as (label, text) rows in the form's order; choices shown by their labels."""
    if not form or not isinstance(data, dict):
        return []
    rows, section = [], None
    for component in displayed_components(form):
        if component.get("type") in ("text", "group"):
            section = heading(component)
            continue
        if component.get("type") not in INPUT_TYPES:
            continue
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
                     "value": value, "section": section})
    return rows


def heading(component: dict) -> str | None:
    """The part of the form a text or group begins, as its reader saw it: a group's label, a text's first line
    without its markup (``**1. 未正常经营生产…**``). Many parts repeat their fields' labels (the city's
    verification asks 核查结果 / 核查来源 for each exclusion), so the record names the part above them."""
    if component.get("type") == "group":
        return str(component.get("label") or "").strip() or None
    first = next((line for line in str(component.get("text") or "").splitlines() if line.strip()), "")
    title = MARKUP.sub("", first.strip()).strip()
    return title if 0 < len(title) <= HEADING_MAX else None
