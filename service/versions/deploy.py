"""Deployed process versions: validate, store immutably, and compile once per version."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from service.accounts.roles import lane_roles
from service.audit import chain as audit
from service.engine.bundle import Bundle
from service.engine.definition import ProcessDefinition, definition_for, main_process_id
from service.engine.validation import validate_bundle
from service.platform.errors import Invalid, NotFound
from service.platform.extensions import db
from service.versions.models import ProcessVersion
from service.versions.notice_files import store_bundle_files


def deploy(bundle: Bundle, *, actor: str, note: str = "") -> tuple[ProcessVersion, bool]:
    """Store ``bundle`` as a new version; an identical bundle returns the version it already is."""
    problems = validate_bundle(bundle, lane_roles())
    if problems:
        raise Invalid("流程包校验未通过，未部署", code="bundle_invalid", details=[str(p) for p in problems])
    store_bundle_files(bundle, actor=actor)  # refuses a bundle naming a notice file stored nowhere
    existing = db.session.scalar(select(ProcessVersion).where(ProcessVersion.content_hash == bundle.content_hash))
    if existing is not None:
        return existing, False
    number = (db.session.scalar(select(func.max(ProcessVersion.number))) or 0) + 1
    version = ProcessVersion(number=number, content_hash=bundle.content_hash, process_id=main_process_id(bundle),
                             bundle=bundle.to_json(), note=note, deployed_by=actor, validation_report=[])
    db.session.add(version)
    db.session.flush()
    _changes["deployed"] += 1
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="deployed",
                 data={"version": number, "content_hash": version.content_hash, "note": note,
                       "files": sorted([f"processes/{n}" for n in bundle.processes] + [f"forms/{n}" for n in bundle.forms])})
    return version, True


def latest_version() -> ProcessVersion | None:
    return db.session.scalar(select(ProcessVersion).order_by(ProcessVersion.number.desc()).limit(1))


def get_version_or_404(version_id: int) -> ProcessVersion:
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(f"流程版本 {version_id} 不存在")
    return version


def definition_of(version: ProcessVersion) -> ProcessDefinition:
    return definition_for(version.content_hash, lambda: Bundle.from_json(version.bundle), lane_roles)


@dataclass(frozen=True)
class LoadedVersion:
    id: int
    number: int
    definition: ProcessDefinition


_loaded: dict[int, LoadedVersion] = {}
_changes = {"deployed": 0}  # bumped by every deployment in this process (caches over all versions look at it)


def local_deployments() -> int:
    return _changes["deployed"]


def loaded_version(version_id: int) -> LoadedVersion:
    """A version's number and compiled definition, read from the database once per process.

    Versions are immutable and never deleted, so the id alone names the content for good; the 100 KB
    bundle column is read only on the first use (the model defers it).
    """
    loaded = _loaded.get(version_id)
    if loaded is None:
        row = db.session.execute(select(ProcessVersion.number, ProcessVersion.content_hash, ProcessVersion.bundle)
                                 .where(ProcessVersion.id == version_id)).one_or_none()
        if row is None:
            raise NotFound(f"流程版本 {version_id} 不存在")
        definition = definition_for(row.content_hash, lambda: Bundle.from_json(row.bundle), lane_roles)
        loaded = _loaded[version_id] = LoadedVersion(version_id, row.number, definition)
    return loaded


def forget_loaded_versions() -> None:
    """For tests, which wipe the database and so reuse version ids for other content."""
    _loaded.clear()
    _changes["deployed"] += 1
