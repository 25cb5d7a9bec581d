"""Process drafts: an administrator edits next year's diagram, rules and forms, validates, deploys.

A draft is a whole bundle kept on the server (so it survives reloads and can be rehearsed); each
saved file is checked for what can be checked alone (well-formed, no DOCTYPE, a form is a JSON
object), the bundle as a whole by the core's validation.
"""
from __future__ import annotations

import io
import json
import re
import zipfile

from sqlalchemy import func, select

from service.accounts.roles import lane_roles
from service.engine.bundle import SETTINGS_FILE, Bundle, XmlRefused, parse_xml
from service.engine.categories import CATEGORIES_FILE
from service.engine.materials import MATERIALS_FILE, NOTICE_FILES_DIR, NOTICE_FILES_FILE
from service.versions import notice_files
from service.engine.validation import Problem, validate_bundle
from service.platform.errors import Conflict, Invalid, NotFound, StaleVersion
from service.platform.extensions import db
from service.platform.inputs import MAX_JSON_DEPTH, json_depth, refuse_unclean_text, text_problem, unclean_text_in
from service.applications.models import Application
from service.versions.models import ProcessDraft, ProcessVersion
from service.rounds.models import Round
from service.versions.deploy import deploy, get_version_or_404
from service.platform.timeutil import utcnow

FILE_NAME = re.compile(
    r"^(processes/[\w.\-]+\.(bpmn|dmn)|processes/(categories|settings|materials|notice_files)\.json"
    r"|forms/[\w.\-]+\.form\.json)$")
# The JSON files deployed with the diagrams: what each is, and its shape (validation checks the entries).
DATA_FILES = {f"processes/{CATEGORIES_FILE}": ("类别定义", '{"categories": [...]}'),
              f"processes/{SETTINGS_FILE}": ("批次设置列表", '{"settings": [...]}'),
              f"processes/{MATERIALS_FILE}": ("必备附件与材料检查", '{"required_attachments": [...]}'),
              f"processes/{NOTICE_FILES_FILE}": ("通知附件清单", '{"files": [...]}')}
MAX_FILE_BYTES = 2 * 1024 * 1024


def get_draft_or_404(draft_id: int) -> ProcessDraft:
    draft = db.session.get(ProcessDraft, draft_id)
    if draft is None:
        raise NotFound(f"流程草稿 {draft_id} 不存在")
    return draft


def bundle_of(draft: ProcessDraft) -> Bundle:
    return Bundle.from_json(draft.bundle)


def files_of(bundle: Bundle) -> dict[str, str]:
    """One flat name → text map: processes/<name> and forms/<name>."""
    return {**{f"processes/{n}": t for n, t in sorted(bundle.processes.items())},
            **{f"forms/{n}": t for n, t in sorted(bundle.forms.items())}}


def create_draft(*, actor: str, from_version_id: int, name: str | None = None) -> ProcessDraft:
    refuse_unclean_text(name=name)
    version = get_version_or_404(from_version_id)
    draft = ProcessDraft(name=name or f"基于第 {version.number} 版的草稿", base_version_id=version.id,
                         bundle=version.bundle, created_by=actor, updated_by=actor)
    db.session.add(draft)
    db.session.flush()
    return draft


def _check_file(name: str, text: str) -> None:
    if not FILE_NAME.match(name):
        raise Invalid("文件名不正确", fields={"name": [
            "应为 processes/<名称>.bpmn、processes/<名称>.dmn、processes/categories.json、processes/settings.json、"
            "processes/materials.json、processes/notice_files.json 或 forms/<名称>.form.json"
            "（字母、数字、点、横线、下划线）"]})
    problem = text_problem(text, multiline=True)
    if problem:
        raise Invalid(f"{name} 含有无法保存的字符", fields={"content": [problem]})
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise Invalid("文件过大", fields={"content": [f"不能超过 {MAX_FILE_BYTES // 1024 // 1024} MB"]})
    if name in DATA_FILES:
        _check_data_file(name, text)
    elif name.startswith("processes/"):
        try:
            parse_xml(text)
        except XmlRefused as err:
            where = f"（第 {err.line} 行）" if getattr(err, "line", None) else ""
            raise Invalid(f"{name} 无法使用{where}", fields={"content": [str(err)]}) from None
    else:
        _check_form(name, text)


def _check_data_file(name: str, text: str) -> None:
    """A JSON object of sane depth: what it declares is checked by the validation, so a draft can be saved
    half done and the validation lists what is still missing."""
    what, shape = DATA_FILES[name]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise Invalid(f"{name} 不是有效的 JSON", fields={"content": [f"第 {err.lineno} 行：{err.msg}"]}) from None
    except RecursionError:
        data = None
    if not isinstance(data, dict) or json_depth(data) > MAX_JSON_DEPTH:
        raise Invalid(f"{name} 不是{what}", fields={"content": [f"应为 {shape} 形式的 JSON 对象"]})
    problem = unclean_text_in(data, multiline=False)
    if problem:
        raise Invalid(f"{name} 含有无法保存的字符", fields={"content": [problem]})


def _check_form(name: str, text: str) -> None:
    """A form-js JSON object of sane depth whose strings, once decoded, are clean text too (JSON escapes
    such as \\ud800 or \\u0000 would otherwise slip past the check on the raw text)."""
    too_deep = Invalid(f"{name} 嵌套层数过多", fields={"content": [f"JSON 嵌套不能超过 {MAX_JSON_DEPTH} 层"]})
    try:
        form = json.loads(text)
    except json.JSONDecodeError as err:
        raise Invalid(f"{name} 不是有效的 JSON", fields={"content": [f"第 {err.lineno} 行：{err.msg}"]}) from None
    except RecursionError:  # Python's parser gives up a few hundred levels before any real form would
        raise too_deep from None
    if json_depth(form) > MAX_JSON_DEPTH:
        raise too_deep
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        raise Invalid(f"{name} 不是 form-js 表单", fields={"content": ["应为含 components 列表的 JSON 对象"]})
    problem = unclean_text_in(form, multiline=True)
    if problem:
        raise Invalid(f"{name} 含有无法保存的字符", fields={"content": [problem]})


def _replace(draft: ProcessDraft, bundle: Bundle, *, actor: str, expected_revision: int | None) -> ProcessDraft:
    if draft.deployed_version_id is not None:
        raise Conflict(f"草稿已部署为第 {db.session.get(ProcessVersion, draft.deployed_version_id).number} 版，"
                       "不能再修改；请基于该版本新建草稿", code="draft_deployed")
    if expected_revision is not None and expected_revision != draft.revision:
        raise StaleVersion(f"草稿已被他人修改（当前第 {draft.revision} 次保存），请刷新后再保存")
    draft.bundle, draft.updated_by, draft.updated_at = bundle.to_json(), actor, utcnow()
    db.session.flush()
    return draft


def save_file(draft: ProcessDraft, name: str, text: str, *, actor: str,
              expected_revision: int | None = None) -> ProcessDraft:
    """Add or replace one file of the draft (a diagram from the modeler or from elsewhere, a form, a rule)."""
    _check_file(name, text)
    bundle = bundle_of(draft)
    folder, _, file_name = name.partition("/")
    processes, forms = dict(bundle.processes), dict(bundle.forms)
    (processes if folder == "processes" else forms)[file_name] = text
    return _replace(draft, Bundle(processes, forms), actor=actor, expected_revision=expected_revision)


def delete_file(draft: ProcessDraft, name: str, *, actor: str, expected_revision: int | None = None) -> ProcessDraft:
    bundle = bundle_of(draft)
    folder, _, file_name = name.partition("/")
    processes, forms = dict(bundle.processes), dict(bundle.forms)
    target = processes if folder == "processes" else forms if folder == "forms" else {}
    if file_name not in target:
        raise NotFound(f"草稿中没有文件 {name}")
    del target[file_name]
    return _replace(draft, Bundle(processes, forms), actor=actor, expected_revision=expected_revision)


def save_notice_file(draft: ProcessDraft, *, name: str, title: str, categories: list[str], content: bytes,
                     replaces: str | None = None, actor: str, expected_revision: int | None = None) -> ProcessDraft:
    """Add one of the notice's files to the draft, or put a new file in the place of ``replaces`` (next
    year's template): the bytes are stored by hash, the draft's notice_files.json names them."""
    bundle = notice_files.with_file(bundle_of(draft), name=name, title=title, categories=categories,
                                    content=content, replaces=replaces, actor=actor)
    return _replace(draft, bundle, actor=actor, expected_revision=expected_revision)


def delete_notice_file(draft: ProcessDraft, name: str, *, actor: str,
                       expected_revision: int | None = None) -> ProcessDraft:
    return _replace(draft, notice_files.without_file(bundle_of(draft), name), actor=actor,
                    expected_revision=expected_revision)


def validate_draft(draft: ProcessDraft) -> list[Problem]:
    return validate_bundle(bundle_of(draft), lane_roles())


def deploy_draft(draft: ProcessDraft, *, actor: str, note: str) -> ProcessVersion:
    """The draft as a new immutable version (refused with every problem when it does not validate)."""
    if not note.strip():
        raise Invalid("请填写部署说明", fields={"note": ["部署说明不能为空：写明这一版改了什么"]})
    refuse_unclean_text(note=note, multiline=("note",))
    if draft.deployed_version_id is not None:
        raise Conflict("草稿已部署过", code="draft_deployed")
    problems = validate_draft(draft)
    if problems:
        raise Invalid("流程包校验未通过，未部署", code="bundle_invalid",
                      details=[problem_dict(p) for p in problems])
    version, created = deploy(bundle_of(draft), actor=actor, note=note.strip())
    if not created:
        raise Conflict(f"草稿与第 {version.number} 版完全相同，无需部署", code="unchanged")
    draft.deployed_version_id = version.id
    return version


def problem_dict(problem: Problem) -> dict:
    """A problem for people (element with its name) and for the modeler (the bare id, to put a marker on)."""
    element_id = problem.element.split("（")[0].strip() if problem.element else None
    return {"file": problem.file, "element": problem.element, "element_id": element_id, "message": problem.message}


def version_usage() -> dict[int, dict]:
    """For each version: the rounds that run it and how many applications run on it (and are running)."""
    usage: dict[int, dict] = {}
    for round_ in db.session.scalars(select(Round).order_by(Round.year)):
        usage.setdefault(round_.process_version_id, {"rounds": [], "applications": 0, "running": 0})["rounds"] \
            .append({"id": round_.id, "name": round_.name})
    counts = db.session.execute(select(Application.process_version_id, func.count(),
                                       func.count().filter(Application.outcome.is_(None)))
                                .group_by(Application.process_version_id)).all()
    for version_id, total, running in counts:
        entry = usage.setdefault(version_id, {"rounds": [], "applications": 0, "running": 0})
        entry["applications"], entry["running"] = total, running
    return usage


def archive(bundle: Bundle) -> bytes:
    """Every file of a bundle in one zip, laid out as processes/ and forms/ (deployable as they are), the
    notice's files under processes/notice_files/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, text in files_of(bundle).items():
            zipped.writestr(name, text)
        for name, content in notice_files.contents(bundle).items():
            zipped.writestr(f"processes/{NOTICE_FILES_DIR}/{name}", content)
    return buffer.getvalue()
