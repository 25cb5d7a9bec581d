"""The materials rule of a process version (materials.json): a declaration goes in only with the reports
its answers require, and a step that checks completeness (the province's formal review) accepts only when
they are there and the reviewer ticked that the materials are complete. No task id is known here: the
category names its declaration step, materials.json names the checking steps."""
from __future__ import annotations

from service.applications.models import WorkItem
from service.applications.saving import Loaded
from service.forms.schema import input_components
from service.platform.errors import Invalid


def required_missing(loaded: Loaded, declaration: dict) -> list:
    application = loaded.application
    present = {a.kind for a in loaded.attachment_rows() if a.removed_at is None}
    return loaded.engine.definition.materials.missing(application.category, declaration, present)


def check_materials(loaded: Loaded, item: WorkItem, cleaned: dict) -> None:
    """Raise Invalid (422) naming what is missing; nothing when the step checks nothing."""
    definition = loaded.engine.definition
    category = definition.categories.get(loaded.application.category)
    if category is not None and item.bpmn_id == category.step:
        missing = required_missing(loaded, cleaned)
        if missing:
            names = "、".join(r.label for r in missing)
            raise Invalid(f"缺少必备附件：{names}。请在本页“附件”中上传 PDF 后再提交", code="attachments_missing",
                          fields={"attachments": [f"请上传{r.label}（PDF）" for r in missing]},
                          details={"missing": [r.kind for r in missing]})
        return
    check = definition.materials.check_at(item.bpmn_id)
    if check is None or (check.when is not None and not check.when.holds(cleaned)):
        return
    # The declaration's answers travel in the task data (evaluation_method decides which report counts).
    declaration = loaded.engine.find_task(loaded.workflow, item.task_id).data
    missing = required_missing(loaded, declaration)
    problems = {}
    if missing:
        problems["attachments"] = [f"申报单位尚未上传{r.label}" for r in missing]
    if check.confirm_field and not cleaned.get(check.confirm_field):
        problems[check.confirm_field] = ["请核对申报材料，确认齐全后勾选"]
    if problems:
        reason = ("缺少" + "、".join(r.label for r in missing)) if missing else "未确认材料齐全"
        raise Invalid(f"材料不完整，不能通过：{reason}。可退回或不予通过", code="materials_incomplete",
                      fields=problems, details={"missing": [r.kind for r in missing]})


def required_view(definition, category_key: str, step: str) -> list[dict]:
    """For the declaration page: which reports this category needs, and on which answer."""
    category = definition.categories.get(category_key)
    if category is None or category.step != step:
        return []
    fields = {c.get("key"): c for c in input_components(definition.bundle.form(category.form))}
    return [{"kind": r.kind, "label": r.label, "field": r.when.field if r.when else None,
             "values": list(r.when.values) if r.when else [], "condition": _condition_text(r.when, fields)}
            for r in definition.materials.required if not r.categories or category_key in r.categories]


def _condition_text(when, fields: dict) -> str:
    """“评价方式为“第三方评价”时”, in the form's own words ('' without a condition)."""
    if when is None:
        return ""
    component = fields.get(when.field) or {}
    labels = {str(v.get("value")): v.get("label") for v in component.get("values") or [] if isinstance(v, dict)}
    values = "、".join(f"“{labels.get(v) or v}”" for v in when.values)
    return f"{component.get('label') or when.field}为{values}时"
