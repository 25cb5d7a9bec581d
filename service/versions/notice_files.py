"""The notice's files of a process version: stored once by hash, offered for download with the version,
replaced by an administrator in a draft for next year.

A version names its files in notice_files.json (name, title, categories, SHA-256, size); the bytes live in
``process_file`` by hash. Deploy stores the bytes a bundle read from disk carries and refuses a bundle that
names a file whose bytes are stored nowhere; a draft's upload stores the bytes first and then rewrites the
draft's manifest, so a deployed version's files can never change or disappear.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from service.engine.bundle import Bundle
from service.engine.materials import (MAX_NOTICE_FILE_BYTES, NOTICE_FILE_NAME, NOTICE_FILES_FILE, MaterialsInvalid,
                                      NoticeFile, looks_like, notice_files_in, notice_files_json)
from service.platform.errors import Invalid, NotFound
from service.platform.extensions import db
from service.versions.models import ProcessFile


def _stored(hashes: set[str]) -> set[str]:
    if not hashes:
        return set()
    return set(db.session.scalars(select(ProcessFile.sha256).where(ProcessFile.sha256.in_(hashes))))


def store_bundle_files(bundle: Bundle, *, actor: str) -> None:
    """Store the bytes the bundle carries for its listed files; raise Invalid naming each listed file whose
    bytes are neither carried nor stored. Call after the bundle validated (the hashes match)."""
    try:
        listed = notice_files_in(bundle.processes)
    except MaterialsInvalid:
        return  # the validation reports it
    stored = _stored({f.sha256 for f in listed})
    missing = []
    for entry in listed:
        if entry.sha256 in stored:
            continue
        content = bundle.files.get(entry.file)
        if content is None or hashlib.sha256(content).hexdigest() != entry.sha256:
            missing.append(f"processes/{NOTICE_FILES_FILE}：通知附件“{entry.title}”（{entry.file}）的文件未上传；"
                           "请在草稿的“通知附件”中上传该文件")
            continue
        db.session.add(ProcessFile(sha256=entry.sha256, content=content, size=len(content), stored_by=actor))
        stored.add(entry.sha256)
    if missing:
        raise Invalid("流程包校验未通过，未部署", code="bundle_invalid", details=missing)
    db.session.flush()


def offered(notice_files: tuple[NoticeFile, ...], category: str | None) -> list[dict]:
    """What a page or the API lists: the files serving ``category`` (all of them without one)."""
    return [{"file": f.file, "title": f.title, "categories": list(f.categories), "size": f.size,
             "sha256": f.sha256} for f in notice_files if f.serves(category)]


def file_content(notice_files: tuple[NoticeFile, ...], name: str) -> tuple[NoticeFile, bytes]:
    entry = next((f for f in notice_files if f.file == name), None)
    if entry is None:
        raise NotFound(f"该流程版本没有通知附件“{name}”", code="notice_file_not_found")
    content = db.session.scalar(select(ProcessFile.content).where(ProcessFile.sha256 == entry.sha256))
    if content is None:  # deploy refuses this; a database restored without the table would show it
        raise NotFound(f"通知附件“{entry.title}”的文件缺失，请联系管理员", code="notice_file_missing")
    return entry, content


def contents(bundle: Bundle) -> dict[str, bytes]:
    """name -> bytes of every listed file that is stored (for the version's zip)."""
    try:
        listed = notice_files_in(bundle.processes)
    except MaterialsInvalid:
        return {}
    rows = dict(db.session.execute(select(ProcessFile.sha256, ProcessFile.content)
                                   .where(ProcessFile.sha256.in_({f.sha256 for f in listed}))).all()) if listed else {}
    return {f.file: rows[f.sha256] for f in listed if f.sha256 in rows}


def check_upload(name: str, content: bytes) -> None:
    errors = {}
    if not NOTICE_FILE_NAME.match(name or ""):
        errors["file"] = ["文件名应以 .pdf、.docx 或 .xlsx 结尾，只含汉字、字母、数字、括号、点、横线和空格，不超过 100 字"]
    elif not content:
        errors["file"] = ["文件为空"]
    elif len(content) > MAX_NOTICE_FILE_BYTES:
        errors["file"] = [f"文件不能超过 {MAX_NOTICE_FILE_BYTES // 1048576} MB"]
    elif not looks_like(name, content):
        errors["file"] = ["文件内容与扩展名不符：只接受 PDF、Word（.docx）或 Excel（.xlsx）文件"]
    if errors:
        raise Invalid("通知附件未通过检查", fields=errors)


def with_file(bundle: Bundle, *, name: str, title: str, categories: list[str], content: bytes,
              replaces: str | None, actor: str) -> Bundle:
    """``bundle`` with ``name`` added to its notice files (or put in the place of ``replaces``), the bytes
    stored by hash. The manifest keeps its order, so 附件1…6 stay in the notice's order."""
    check_upload(name, content)
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise Invalid("请填写通知附件的标题", fields={"title": ["标题不能为空，不超过 100 字（如：附件4 绿色工厂第三方评价报告模板）"]})
    try:
        listed = list(notice_files_in(bundle.processes))
    except MaterialsInvalid as err:
        raise Invalid(f"草稿的 {NOTICE_FILES_FILE} 有误，请先改正", fields={"file": [str(err)]}) from None
    digest = hashlib.sha256(content).hexdigest()
    if db.session.get(ProcessFile, digest) is None:
        db.session.add(ProcessFile(sha256=digest, content=content, size=len(content), stored_by=actor))
    entry = NoticeFile(name, title, tuple(categories), digest, len(content))
    target = replaces or name
    position = next((i for i, f in enumerate(listed) if f.file == target), None)
    if replaces and position is None:
        raise NotFound(f"草稿中没有通知附件“{replaces}”")
    if position is None:
        listed.append(entry)
    else:
        listed[position] = entry
    if len({f.file for f in listed}) != len(listed):
        raise Invalid("文件名重复", fields={"file": [f"草稿中已有名为“{name}”的通知附件"]})
    return Bundle({**bundle.processes, NOTICE_FILES_FILE: notice_files_json(listed)}, dict(bundle.forms))


def without_file(bundle: Bundle, name: str) -> Bundle:
    listed = list(notice_files_in(bundle.processes))
    if not any(f.file == name for f in listed):
        raise NotFound(f"草稿中没有通知附件“{name}”")
    return Bundle({**bundle.processes, NOTICE_FILES_FILE: notice_files_json([f for f in listed if f.file != name])},
                  dict(bundle.forms))
