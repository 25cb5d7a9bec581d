"""A process bundle: the BPMN, DMN and form files deployed together for a round.

XML here is untrusted (administrators upload it), so it is parsed without DTDs,
entity expansion or network access, and any DOCTYPE is refused outright.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from service.engine.categories import CATEGORIES_FILE
from service.engine.materials import MATERIALS_FILE, NOTICE_FILES_DIR, NOTICE_FILES_FILE

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# The messages the service sends; a bundle must catch each of them somewhere.
BATCH_MESSAGES = ("start_notice", "publish")
# city_package: a city's recommended applications wait for it before the formal review (rounds/packages.py).
SERVICE_MESSAGES = BATCH_MESSAGES + ("objection", "city_package")

# The built-in roles that work tasks, by the name a lane carries (Chinese name -> role key). A deployment
# adds its own roles; the service passes its whole table in as ``lane_roles`` (the engine reads no database).
ROLE_BY_LANE = {
    "申报单位": "applicant",
    "市州工信局": "city_reviewer",
    "省工信厅": "province_staff",
    "评审专家": "expert",
}

# Data files deployed with the diagrams under processes/ (the round settings the diagram reads).
SETTINGS_FILE = "settings.json"
# materials.json: the attachments a declaration needs; notice_files.json: the notice's files (by hash).
PROCESS_DATA_FILES = (SETTINGS_FILE, MATERIALS_FILE, NOTICE_FILES_FILE)


def role_for_lane(lane: str | None, lane_roles: dict[str, str] | None = None) -> str | None:
    """The role a lane names, by its Chinese name or its key; None for a lane naming no known role."""
    if lane is None:
        return None
    known = ROLE_BY_LANE if lane_roles is None else lane_roles
    lane = lane.strip()
    if lane in known.values():
        return lane
    return known.get(lane)


class XmlRefused(Exception):
    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)


_SAFE_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                            huge_tree=False, remove_blank_text=False)


def parse_xml(text: str | bytes):
    """Parse untrusted XML; raises XmlRefused for syntax errors and any DOCTYPE/entity."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise XmlRefused("文件含有 DOCTYPE 或实体声明（可能的 XXE 攻击），请删除 <!DOCTYPE ...> 部分")
    parser = etree.XMLParser(**_SAFE_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise XmlRefused(f"XML 格式错误：{err.msg}", err.lineno) from None
    if root.getroottree().docinfo.doctype:
        raise XmlRefused("文件含有 DOCTYPE 声明，请删除")
    return root


@dataclass(frozen=True)
class Bundle:
    """The deployable files, by file name: BPMN/DMN (and the categories.json) under ``processes``, form-js JSON
    under ``forms``."""

    processes: dict[str, str] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)
    # The notice's files read from a directory (name -> bytes), for deploy to store by hash. Not part of the
    # text or the hash: notice_files.json names each file's SHA-256, so the content hash covers them anyway.
    files: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_directories(cls, processes_dir: str | Path, forms_dir: str | Path) -> "Bundle":
        def read(folder, patterns):
            folder = Path(folder)
            if not folder.is_dir():
                return {}
            return {p.name: p.read_text(encoding="utf-8") for pattern in patterns
                    for p in sorted(folder.glob(pattern)) if p.is_file()}

        notice_dir = Path(processes_dir) / NOTICE_FILES_DIR
        files = {p.name: p.read_bytes() for p in sorted(notice_dir.iterdir())
                 if p.is_file() and not p.name.startswith(".")} if notice_dir.is_dir() else {}
        return cls(read(processes_dir, ("*.bpmn", "*.dmn", CATEGORIES_FILE, *PROCESS_DATA_FILES)),
                   read(forms_dir, ("*.json",)), files)

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for kind, files in (("processes", self.processes), ("forms", self.forms)):
            for name in sorted(files):
                digest.update(f"{kind}/{name}\0".encode())
                digest.update(files[name].encode("utf-8"))
                digest.update(b"\0")
        return digest.hexdigest()

    def to_json(self) -> str:
        return json.dumps({"processes": self.processes, "forms": self.forms}, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Bundle":
        data = json.loads(text)
        return cls(dict(data.get("processes", {})), dict(data.get("forms", {})))

    def bpmn_files(self):
        return {n: t for n, t in self.processes.items() if n.endswith(".bpmn")}

    def dmn_files(self):
        return {n: t for n, t in self.processes.items() if n.endswith(".dmn")}

    def form(self, name: str) -> dict:
        """The parsed form, shared by every caller (parsed once per form text): read it, never change it."""
        return _parsed_form(self.forms[name])


@lru_cache(maxsize=512)
def _parsed_form(text: str) -> dict:
    return json.loads(text)


@lru_cache(maxsize=1)
def bpmn_validator():
    """SpiffWorkflow's XSD validator; building the schema is slow, so build it once."""
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
    from SpiffWorkflow.spiff.parser.process import VALIDATOR  # noqa: F401  (imports register the spiff XSD)

    return VALIDATOR if VALIDATOR is not None else BpmnValidator()
