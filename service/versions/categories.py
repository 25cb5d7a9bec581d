"""The categories (申报类别) as the versions declare them: one place every part of the service asks.

A round's version decides which categories exist for it (and the round opens a subset); an application's
version names its category. Lists over many rounds (filters, expert specialties) use every category any
deployed version declares, the newest version's name winning.
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import select

from service.engine.categories import STANDARD_CATEGORIES, Category
from service.platform.extensions import db
from service.versions.deploy import loaded_version, local_deployments
from service.versions.models import ProcessVersion


def version_categories(version_id: int) -> dict[str, Category]:
    """key → category, in the version's order; read once per process with the compiled version."""
    return loaded_version(version_id).definition.categories


def category_label(key: str, version_id: int | None = None) -> str:
    """The Chinese name of ``key`` as the version (or, without one, any version) calls it; the key itself
    when nothing declares it."""
    if version_id is not None:
        category = version_categories(version_id).get(key)
        if category is not None:
            return category.name
    return known_categories().get(key, key)


_known: dict = {"versions": None, "names": {}, "checked": 0.0, "deployments": -1}
_known_lock = threading.Lock()
RECHECK_SECONDS = 2.0  # another process's deployment shows here after at most this long


def known_categories() -> dict[str, str]:
    """key → Chinese name over every deployed version (the standard three first, then each version in order,
    later names replacing earlier ones). The list of versions is read again after a deployment here or
    every few seconds; the names are rebuilt only when it changed."""
    if local_deployments() == _known["deployments"] and time.monotonic() - _known["checked"] < RECHECK_SECONDS:
        return dict(_known["names"])
    deployments, checked = local_deployments(), time.monotonic()
    versions = tuple(tuple(row) for row in db.session.execute(
        select(ProcessVersion.id, ProcessVersion.content_hash).order_by(ProcessVersion.number)))
    names = _known["names"]
    if _known["versions"] != versions:
        names = {c.key: c.name for c in STANDARD_CATEGORIES}
        for version_id, _ in versions:
            names.update({key: c.name for key, c in version_categories(version_id).items()})
    with _known_lock:  # one consistent entry: the names with the versions and the time they were read
        _known.update(versions=versions, names=names, checked=checked, deployments=deployments)
    return dict(names)
