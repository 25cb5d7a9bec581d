"""What a declaration must carry, and the notice's own files, as data of a process version.

``processes/materials.json`` says which attachment kinds a declaration needs (and on which answer of its
form, e.g. the third-party report when ``evaluation_method`` is ``third_party``) and at which steps the
materials are checked again before a decision goes through (the province's formal review cannot accept
while a report is missing or ``materials_complete`` is not ticked). ``processes/notice_files.json`` lists
the notice's attachments (推荐汇总表, evaluation requirements, report templates): file name, Chinese title,
the categories it serves, and the SHA-256 and size of its bytes, so the bundle's content hash covers the
files while the bytes themselves are stored once, by hash, outside the bundle text.

Both files are optional: a bundle without them requires nothing and offers nothing (versions deployed
before they existed keep working). Everything here reads the bundle only; whether a blob is stored is the
service's check at deploy.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

MATERIALS_FILE = "materials.json"
NOTICE_FILES_FILE = "notice_files.json"
NOTICE_FILES_DIR = "notice_files"  # processes/notice_files/<file> in the repository

# The attachment kinds an application can hold (service/applications/attachments.py offers them for upload).
ATTACHMENT_KINDS = {"self_evaluation_report": "自评价报告", "third_party_report": "第三方评价报告",
                    "inspection_record": "现场核查记录", "objection_evidence": "异议证明材料", "other": "其他材料"}
NOTICE_FILE_TYPES = {".pdf": "application/pdf",
                     ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NOTICE_FILE_NAME = re.compile(r"^[\w\u4e00-\u9fff（）()\-. ]{1,100}\.(pdf|docx|xlsx)$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_NOTICE_FILE_BYTES = 20 * 1024 * 1024
MAX_NOTICE_FILES = 30


@dataclass(frozen=True)
class Condition:
    """True when the submitted ``field`` holds one of ``values`` (no condition: always)."""

    field: str
    values: tuple[str, ...]

    def holds(self, data: dict) -> bool:
        return str(data.get(self.field)) in self.values


@dataclass(frozen=True)
class RequiredAttachment:
    kind: str
    label: str
    when: Condition | None = None
    categories: tuple[str, ...] = ()  # empty: every category

    def applies(self, category: str, data: dict) -> bool:
        return (not self.categories or category in self.categories) and (self.when is None or self.when.holds(data))


@dataclass(frozen=True)
class CompletenessCheck:
    """At ``step``, a decision meeting ``when`` needs every required attachment and ``confirm_field`` ticked."""

    step: str
    when: Condition | None
    confirm_field: str | None


@dataclass(frozen=True)
class Materials:
    required: tuple[RequiredAttachment, ...] = ()
    checks: tuple[CompletenessCheck, ...] = ()

    def missing(self, category: str, declaration: dict, kinds_present: set[str]) -> list[RequiredAttachment]:
        return [r for r in self.required if r.applies(category, declaration) and r.kind not in kinds_present]

    def check_at(self, step: str) -> CompletenessCheck | None:
        return next((c for c in self.checks if c.step == step), None)


@dataclass(frozen=True)
class NoticeFile:
    file: str
    title: str
    categories: tuple[str, ...]  # empty: every category
    sha256: str
    size: int

    @property
    def media_type(self) -> str:
        return NOTICE_FILE_TYPES[self.file[self.file.rfind("."):].lower()]

    def serves(self, category: str | None) -> bool:
        return category is None or not self.categories or category in self.categories


class MaterialsInvalid(Exception):
    def __init__(self, problems: list[tuple[str | None, str]]):
        self.problems = problems
        super().__init__("；".join(m for _, m in problems))


def _load(text: str, file: str, shape: str) -> dict:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise MaterialsInvalid([(None, f"{file} 不是有效的 JSON")]) from None
    if not isinstance(data, dict):
        raise MaterialsInvalid([(None, f"{file} 应为 {shape} 形式的 JSON 对象")])
    return data


def _condition(entry: dict, where: str, add) -> Condition | None:
    when = entry.get("when")
    if when is None:
        return None
    values = when.get("values") if isinstance(when, dict) else None
    if not isinstance(when, dict) or not isinstance(when.get("field"), str) or not when["field"].strip() \
            or not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        add(where, f"{where}的 when 应写成 {{\"field\": 表单字段, \"values\": [取值, …]}}")
        return None
    return Condition(when["field"].strip(), tuple(values))


def _strings(value, where: str, name: str, add) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        add(where, f"{where}的 {name} 应为字符串列表")
        return ()
    return tuple(v.strip() for v in value)


def parse_materials(text: str) -> Materials:
    problems: list[tuple[str | None, str]] = []

    def add(where, message):
        problems.append((where, message))

    data = _load(text, MATERIALS_FILE, '{"required_attachments": [...], "completeness_checks": [...]}')
    required, checks = [], []
    entries = data.get("required_attachments", [])
    if not isinstance(entries, list):
        add(None, "required_attachments（必备附件）应为列表")
        entries = []
    for position, entry in enumerate(entries, start=1):
        where = f"第 {position} 项必备附件"
        if not isinstance(entry, dict) or entry.get("kind") not in ATTACHMENT_KINDS:
            add(where, f"{where}的 kind 应为 {'、'.join(ATTACHMENT_KINDS)} 之一")
            continue
        required.append(RequiredAttachment(entry["kind"], ATTACHMENT_KINDS[entry["kind"]],
                                           _condition(entry, where, add),
                                           _strings(entry.get("categories"), where, "categories", add)))
    entries = data.get("completeness_checks", [])
    if not isinstance(entries, list):
        add(None, "completeness_checks（材料完整性检查）应为列表")
        entries = []
    for position, entry in enumerate(entries, start=1):
        where = f"第 {position} 项材料完整性检查"
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), str) or not entry["step"].strip():
            add(where, f"{where}缺少 step（在哪个人工任务检查，如 Task_formal_review）")
            continue
        confirm = entry.get("confirm_field")
        if confirm is not None and (not isinstance(confirm, str) or not confirm.strip()):
            add(where, f"{where}的 confirm_field 应为表单中勾选框的字段名")
            confirm = None
        checks.append(CompletenessCheck(entry["step"].strip(), _condition(entry, where, add),
                                        confirm.strip() if confirm else None))
    if problems:
        raise MaterialsInvalid(problems)
    return Materials(tuple(required), tuple(checks))


def parse_notice_files(text: str) -> tuple[NoticeFile, ...]:
    problems: list[tuple[str | None, str]] = []

    def add(where, message):
        problems.append((where, message))

    data = _load(text, NOTICE_FILES_FILE, '{"files": [...]}')
    entries = data.get("files")
    if not isinstance(entries, list):
        raise MaterialsInvalid([(None, f"{NOTICE_FILES_FILE} 应为 {{\"files\": [...]}} 形式")])
    if len(entries) > MAX_NOTICE_FILES:
        raise MaterialsInvalid([(None, f"通知附件不能超过 {MAX_NOTICE_FILES} 个")])
    found: list[NoticeFile] = []
    for position, entry in enumerate(entries, start=1):
        where = f"第 {position} 个通知附件"
        if not isinstance(entry, dict):
            add(where, f"{where}应为 JSON 对象")
            continue
        file, title = entry.get("file"), entry.get("title")
        if not isinstance(file, str) or not NOTICE_FILE_NAME.match(file):
            add(where, f"{where}的文件名应以 .pdf、.docx 或 .xlsx 结尾，只含汉字、字母、数字、括号、点、横线和空格")
            continue
        where = f"通知附件“{file}”"
        if not isinstance(title, str) or not title.strip() or len(title) > 100:
            add(where, f"{where}缺少 title（中文标题，不超过 100 字）")
        if not isinstance(entry.get("sha256"), str) or not SHA256.match(entry["sha256"]):
            add(where, f"{where}的 sha256 应为 64 位十六进制摘要（上传文件时自动填写）")
        size = entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_NOTICE_FILE_BYTES:
            add(where, f"{where}的 size 应为文件字节数（不超过 {MAX_NOTICE_FILE_BYTES // 1048576} MB）")
        found.append(NoticeFile(file, (title or "").strip() if isinstance(title, str) else "",
                                _strings(entry.get("categories"), where, "categories", add),
                                str(entry.get("sha256")), size if isinstance(size, int) else 0))
    names = [f.file for f in found]
    for name in sorted({n for n in names if names.count(n) > 1}):
        add(f"通知附件“{name}”", f"文件名“{name}”重复")
    if problems:
        raise MaterialsInvalid(problems)
    return tuple(found)


def materials_in(processes: dict[str, str]) -> Materials:
    text = processes.get(MATERIALS_FILE)
    return Materials() if text is None else parse_materials(text)


def notice_files_in(processes: dict[str, str]) -> tuple[NoticeFile, ...]:
    text = processes.get(NOTICE_FILES_FILE)
    return () if text is None else parse_notice_files(text)


def notice_files_json(files) -> str:
    return json.dumps({"files": [{"file": f.file, "title": f.title, "categories": list(f.categories),
                                  "sha256": f.sha256, "size": f.size} for f in files]},
                      ensure_ascii=False, indent=2) + "\n"


def looks_like(file: str, content: bytes) -> bool:
    """The content is what the name says: a PDF, or an Office Open XML zip (docx/xlsx)."""
    suffix = file[file.rfind("."):].lower()
    if suffix == ".pdf":
        return content.startswith(b"%PDF-")
    return content.startswith(b"PK\x03\x04")
