"""Why an instance ended where it did, as the decisions on its way said it, for the applicant."""
from __future__ import annotations

MAX_REASONS, MAX_REASON_LENGTH = 20, 300


def reasons_in(data: dict) -> list[str]:
    """The reasons in task data: every non-empty list of texts under a key ending in ``_reasons`` (what a
    COLLECT decision such as the scope or exclusion table outputs), in key order, without repeats. A
    diagram's own naming, so next year's decision table is shown the same way without code."""
    found = []
    for key in sorted(k for k in data if isinstance(k, str) and k.endswith("_reasons")):
        value = data[key]
        if isinstance(value, list):
            found += [str(item)[:MAX_REASON_LENGTH] for item in value if isinstance(item, str) and item.strip()]
    return list(dict.fromkeys(found))[:MAX_REASONS]
