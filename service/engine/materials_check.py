"""Deploy-time checks of materials.json and notice_files.json against the rest of the bundle: the steps are
user tasks with forms, the fields and values exist in those forms, the categories exist, and the notice
files read from a directory are what the manifest says."""
from __future__ import annotations

import hashlib
import json

from service.engine.bundle import NSMAP, Bundle
from service.engine.categories import CategoriesInvalid, categories_in
from service.engine.materials import (MATERIALS_FILE, NOTICE_FILES_FILE, Condition, MaterialsInvalid, looks_like,
                                      materials_in, notice_files_in)


def _form_fields(form_text: str | None) -> dict[str, set[str] | None]:
    """key -> the values a choice offers (None: any value) for every field of a form."""
    try:
        form = json.loads(form_text) if form_text else {}
    except (json.JSONDecodeError, RecursionError):
        return {}
    found, pending = {}, [form]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if isinstance(node.get("key"), str):
                values = node.get("values")
                found[node["key"]] = ({str(v.get("value")) for v in values if isinstance(v, dict)}
                                      if isinstance(values, list) else None)
            pending += [v for v in node.values() if isinstance(v, (dict, list))]
        elif isinstance(node, list):
            pending += node
    return found


def _task_forms(trees) -> dict[str, str | None]:
    forms = {}
    for name, root in trees.items():
        if not name.endswith(".bpmn"):
            continue
        for task in root.iterfind(".//bpmn:userTask", NSMAP):
            forms[task.get("id")] = next((p.get("value") for p in task.iterfind(".//spiffworkflow:property", NSMAP)
                                          if p.get("name") == "form"), None)
    return forms


def _condition_problem(condition: Condition | None, fields: dict, form: str) -> str | None:
    if condition is None:
        return None
    if condition.field not in fields:
        return f"条件字段“{condition.field}”不在表单 {form} 中"
    offered = fields[condition.field]
    unknown = [v for v in condition.values if offered is not None and v not in offered]
    return f"条件取值 {'、'.join(unknown)} 不是表单 {form} 中“{condition.field}”的选项" if unknown else None


def materials_problems(bundle: Bundle, trees) -> list[tuple[str, str | None, str]]:
    """(file, element, message) for every problem; the empty list when both files are fine or absent."""
    problems: list[tuple[str, str | None, str]] = []
    try:
        categories = {c.key: c for c in categories_in(bundle.processes)}
    except CategoriesInvalid:
        categories = {}  # reported by the categories check
    problems += _requirement_problems(bundle, trees, categories)
    problems += _notice_file_problems(bundle, categories)
    return problems


def _requirement_problems(bundle, trees, categories) -> list:
    file, problems = f"processes/{MATERIALS_FILE}", []
    try:
        materials = materials_in(bundle.processes)
    except MaterialsInvalid as err:
        return [(file, where, message) for where, message in err.problems]
    for position, required in enumerate(materials.required, start=1):
        where = f"必备附件“{required.label}”"
        unknown = [c for c in required.categories if categories and c not in categories]
        if unknown:
            problems.append((file, where, f"类别 {'、'.join(unknown)} 不是本流程声明的申报类别"))
        # Named categories must all ask the question; a rule for every category may skip a category whose form
        # does not ask it (a new category evaluated differently), but not every one (a misspelt field).
        applicable = [c for c in categories.values() if not required.categories or c.key in required.categories]
        found = []
        for category in applicable:
            problem = _condition_problem(required.when, _form_fields(bundle.forms.get(category.form)), category.form)
            if problem and (required.categories or "不在表单" not in problem):
                problems.append((file, where, problem))
            found.append(problem is None or "不在表单" not in problem)
        if required.when is not None and applicable and not required.categories and not any(found):
            problems.append((file, where, f"条件字段“{required.when.field}”不在任何申报表单中"))
    task_forms = _task_forms(trees)
    for check in materials.checks:
        where = f"材料完整性检查“{check.step}”"
        if check.step not in task_forms:
            problems.append((file, where, f"“{check.step}”不是流程中的人工任务；请填写形式审查等人工任务的 id"))
            continue
        form = task_forms[check.step]
        fields = _form_fields(bundle.forms.get(form)) if form else {}
        problem = _condition_problem(check.when, fields, form or "（无表单）")
        if problem:
            problems.append((file, where, problem))
        if check.confirm_field and check.confirm_field not in fields:
            problems.append((file, where, f"确认字段“{check.confirm_field}”不在表单 {form or '（无表单）'} 中"))
    return problems


def _notice_file_problems(bundle, categories) -> list:
    file, problems = f"processes/{NOTICE_FILES_FILE}", []
    try:
        notice_files = notice_files_in(bundle.processes)
    except MaterialsInvalid as err:
        return [(file, where, message) for where, message in err.problems]
    listed = {f.file: f for f in notice_files}
    for entry in notice_files:
        where = f"通知附件“{entry.title or entry.file}”"
        unknown = [c for c in entry.categories if categories and c not in categories]
        if unknown:
            problems.append((file, where, f"适用类别 {'、'.join(unknown)} 不是本流程声明的申报类别"))
        content = bundle.files.get(entry.file)
        if content is None:
            continue  # stored earlier (a draft's upload, an earlier version): deploy checks it is there
        if hashlib.sha256(content).hexdigest() != entry.sha256 or len(content) != entry.size:
            problems.append((file, where, f"文件 {entry.file} 的内容与清单中的摘要或大小不符；请重新生成清单"))
        elif not looks_like(entry.file, content):
            problems.append((file, where, f"文件 {entry.file} 的内容与扩展名不符（应为 PDF、Word 或 Excel 文件）"))
    for name in sorted(set(bundle.files) - set(listed)):
        problems.append((file, f"文件 {name}", f"notice_files 目录中的 {name} 未列入清单 {NOTICE_FILES_FILE}"))
    return problems
