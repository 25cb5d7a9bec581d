"""What a reviewer's decision means: the confirmation an irreversible one asks for, and its label in 已办.

The consequences are kept here, keyed by form id and the decision field's value (forms/*.json). They follow
the diagram's gateways: city review "reject" ends at End_not_recommended (市州不予推荐), "send_back" returns
to the unit's declaration (Gateway_category); formal review "reject" ends at End_formal_rejected; an upheld
objection at End_objection_upheld; a failed inspection at End_site_failed. A form whose decision is not listed
submits without asking (recommend, accept, dismissed, pass: the round goes on)."""
from __future__ import annotations

DECISION_KEY = "decision"

# What a reviewer concluded last time: a re-review after a send-back does not start from it (the verification
# facts and evidence it recorded do come back, they are still true and costly to gather again).
OPINION_KEYS = ("decision", "comments", "recommend_opinion", "opinion", "conclusion", "score", "result")

CONSEQUENCES: dict[str, dict[str, str]] = {
    "Form_city_review": {
        "send_back": "确认退回修改？申报将退回申报单位修改后重新提交，本次初审结论不再生效。",
        "reject": "确认不予推荐？申报将结束于“市州不予推荐”，单位不能再修改。",
    },
    "Form_formal_review": {
        "reject": "确认形式审查不通过？申报将结束于“形式审查未通过”，不再进入专家评审。",
    },
    "Form_objection_handling": {
        "upheld": "确认异议成立？申报将结束于“异议成立”，不列入名单。",
    },
    "Form_site_inspection": {
        "fail": "确认现场核查不通过？申报将结束于“现场核查未通过”，不列入名单。",
    },
}


def _choices(form: dict | None, key: str) -> dict[str, str]:
    """The labels of a choice field's values, as the form shows them."""
    def walk(components):
        for component in components or []:
            if component.get("key") == key:
                return {str(v.get("value")): v.get("label", "") for v in component.get("values") or []}
            found = walk(component.get("components"))
            if found:
                return found
        return {}
    return walk((form or {}).get("components"))


def confirmations(form: dict | None) -> dict:
    """For the task page: the field whose value asks for confirmation, and the text per value. Only values the
    form really offers are included (a changed form does not ask about a value it no longer has)."""
    texts = CONSEQUENCES.get((form or {}).get("id"), {})
    offered = _choices(form, DECISION_KEY)
    values = {value: text for value, text in texts.items() if value in offered}
    return {"field": DECISION_KEY, "values": values} if values else {}


def decision_label(form: dict | None, data: dict | None) -> str | None:
    """The Chinese label of the decision recorded in a completed task's data (None when the step has none)."""
    value = (data or {}).get(DECISION_KEY)
    if value in (None, ""):
        return None
    return _choices(form, DECISION_KEY).get(str(value), str(value))


def without_opinion(data: dict) -> dict:
    return {key: value for key, value in data.items() if key not in OPINION_KEYS}
