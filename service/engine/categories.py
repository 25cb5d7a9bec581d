"""The categories a process version offers (申报类别), declared in the bundle's ``processes/categories.json``.

A category names its key (what ``category`` holds in task data and in the gateway's conditions), its Chinese
name, a short code, the user task where a unit declares in it, that task's form, and the declaration fields the
推荐汇总表 adds as columns for it. A bundle without the file offers the three standard categories, so versions
deployed before categories became data keep working unchanged.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

CATEGORIES_FILE = "categories.json"  # under processes/
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CODE = re.compile(r"^[A-Z]{1,6}$")
MAX_CATEGORIES = 30


@dataclass(frozen=True)
class SummaryColumn:
    field: str  # the declaration form's key
    label: str  # the column heading in the 推荐汇总表


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    code: str
    step: str  # the applicant's declaration user task
    form: str  # the declaration form (file name under forms/)
    summary_columns: tuple[SummaryColumn, ...] = ()


STANDARD_CATEGORIES: tuple[Category, ...] = (
    Category("factory", "绿色工厂", "GC", "Task_declare_factory", "declaration_factory.form.json"),
    Category("park", "绿色工业园区", "YQ", "Task_declare_park", "declaration_park.form.json",
             (SummaryColumn("park_level", "园区级别"), SummaryColumn("industrial_value_share", "工业增加值占比（%）"),
              SummaryColumn("green_factories_in_park", "园区内绿色工厂数量"))),
    Category("supply_chain", "绿色供应链管理企业", "GYL", "Task_declare_supply_chain",
             "declaration_supply_chain.form.json",
             (SummaryColumn("supply_chain_industry", "行业"), SummaryColumn("green_suppliers", "绿色供应商数量"))),
)


class CategoriesInvalid(Exception):
    """The categories file cannot be read; ``problems`` says why, in Chinese, one line each."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        self.problems = problems  # (category key or position, message)
        super().__init__("；".join(message for _, message in problems))


def to_json(categories) -> str:
    return json.dumps({"categories": [
        {"key": c.key, "name": c.name, "code": c.code, "step": c.step, "form": c.form,
         "summary_columns": [{"field": s.field, "label": s.label} for s in c.summary_columns]}
        for c in categories]}, ensure_ascii=False, indent=2) + "\n"


def _text(entry: dict, name: str) -> str:
    value = entry.get(name)
    return value.strip() if isinstance(value, str) else ""


def _columns(entry: dict, where: str, add) -> tuple[SummaryColumn, ...]:
    columns = entry.get("summary_columns", [])
    if not isinstance(columns, list):
        add(where, f"{where}的 summary_columns（汇总表附加列）应为列表")
        return ()
    found = []
    for column in columns:
        if not isinstance(column, dict) or not _text(column, "field") or not _text(column, "label"):
            add(where, f"{where}的汇总表附加列应写明 field（表单字段）和 label（列名）")
            continue
        found.append(SummaryColumn(_text(column, "field"), _text(column, "label")))
    return tuple(found)


def parse_categories(text: str) -> tuple[Category, ...]:
    """The categories a categories.json declares, in its order; raises CategoriesInvalid naming every problem
    that can be seen in the file alone (whether the steps and forms exist is the bundle's validation)."""
    problems: list[tuple[str | None, str]] = []

    def add(where, message):
        problems.append((where, message))

    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise CategoriesInvalid([(None, f"类别定义不是有效的 JSON：{getattr(err, 'msg', '嵌套过深')}")]) from None
    entries = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CategoriesInvalid([(None, "类别定义应为 {\"categories\": [...]} 形式的 JSON 对象")])
    if not entries:
        raise CategoriesInvalid([(None, "类别定义中至少要有一个申报类别")])
    if len(entries) > MAX_CATEGORIES:
        raise CategoriesInvalid([(None, f"申报类别不能超过 {MAX_CATEGORIES} 个")])
    found: list[Category] = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            add(None, f"第 {position} 个类别应为 JSON 对象")
            continue
        key, name, code = _text(entry, "key"), _text(entry, "name"), _text(entry, "code")
        where = f"类别“{key or name or position}”"
        if not key:
            add(where, f"第 {position} 个类别缺少 key（类别代码，如 design_product）")
        elif not KEY.match(key):
            add(where, f"{where}的 key 只能用小写字母、数字和下划线，以字母开头，不超过 40 个字符")
        if not name:
            add(where, f"{where}缺少 name（中文名称，如 绿色设计产品）")
        elif len(name) > 50:
            add(where, f"{where}的中文名称不能超过 50 个字")
        if not code:
            add(where, f"{where}缺少 code（编号简称，如 GC）")
        elif not CODE.match(code):
            add(where, f"{where}的编号简称“{code}”应为 1–6 个大写字母，如 GC、YQ、GYL")
        if not _text(entry, "step"):
            add(where, f"{where}缺少 step（申报环节的人工任务 id，如 Task_declare_factory）")
        if not _text(entry, "form"):
            add(where, f"{where}缺少 form（申报表单文件，如 declaration_factory.form.json）")
        found.append(Category(key, name, code, _text(entry, "step"), _text(entry, "form"),
                              _columns(entry, where, add)))
    for label, values in (("key", [c.key for c in found]), ("中文名称", [c.name for c in found]),
                          ("编号简称", [c.code for c in found])):
        for value in sorted({v for v in values if v and values.count(v) > 1}):
            add(f"类别“{value}”", f"{label}“{value}”重复：每个类别的{label}必须不同")
    if problems:
        raise CategoriesInvalid(problems)
    return tuple(found)


def categories_in(processes: dict[str, str]) -> tuple[Category, ...]:
    """The categories of a bundle's processes files: the declared ones, or the three standard ones."""
    text = processes.get(CATEGORIES_FILE)
    return STANDARD_CATEGORIES if text is None else parse_categories(text)
