"""市州推荐材料: a city's package for a round, its own step between the city reviews and the formal review.

The notice's unit of delivery is the city's package (推荐文件, 推荐汇总表, 评价报告一式两份, by the city deadline),
so a recommended application waits in the diagram's ``city_package`` catch event until its city's package
arrives. The steps, each one transaction, each audited:

1. **freeze** (the city): allowed once the city's reviews are done — no application of the city in the round
   waits in a city-reviewer step. The city ranks its recommended applications within each category (unique
   ranks 1..n), and the 推荐汇总表 is generated once, stored, and its SHA-256 put on the system chain and on
   every member application's chain. Every later download is that stored file, checked against the hash.
2. **upload** the sealed 推荐文件 and the sealed 推荐汇总表 (PDF, checked by content), replaceable until sent.
3. **send**: the city confirms the paper copies (评价报告一式两份) went out.
4. **receive** (the province): registers the receipt; this releases the package's applications into the
   formal review (message ``city_package``). Releasing at receipt, not at the freeze, means the formal review
   never starts on materials the province does not have.

A recommendation made after the city froze (a unit that declared later, before its deadline) waits for the
city's next package (补充推荐, number 2, 3 …), with the same steps; a frozen package never changes.
"""
from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select

from service.accounts.models import User
from service.accounts.names import display_names
from service.applications.access import holders_of, may_act_for_city, may_register_package_receipt, may_see_city_package  # noqa: F401 (pages ask too)
from service.applications.batch import _ids_catching, waits_for
from service.applications.commands import deliver_message
from service.applications.models import Application, WorkItem
from service.audit import chain as audit
from service.notify.outbox import notify_package
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.platform.timeutil import utcnow
from service.rounds.models import CityPackage, Round
from service.rounds.reports import summary_table
from service.versions.categories import version_categories

MESSAGE = "city_package"
MAX_PDF_BYTES = 20 * 1024 * 1024
FILES = {"letter": "推荐文件（盖章扫描件）", "sealed_table": "推荐汇总表（盖章扫描件）"}
STATUS = {"frozen": "已封存，待上传盖章材料并寄送", "sent": "已寄送，待省厅签收", "received": "省厅已签收"}
SHOWN_BLOCKERS = 20
FIELD_LABELS = {"filler_name": "填报人", "filler_phone": "联系电话", "kind": "材料类型", "file": "文件", "note": "寄送说明",
                "confirm": "确认", "letter": "推荐文件", "sealed_table": "推荐汇总表（盖章）"}


# -- lookups ---------------------------------------------------------------------------------------
def _city_or_404(city_code: str) -> str:
    if city_code not in CITIES:
        raise NotFound(f"市州代码 {city_code} 不存在")
    return city_code


def _check_sees(user: User, city_code: str) -> None:
    if not may_see_city_package(user, city_code):
        raise Forbidden("只能查看本市州的推荐材料")


def _check_acts(user: User, city_code: str) -> None:
    if not may_act_for_city(user, city_code):
        raise Forbidden("只有本市州的初审账号可以办理本市州的推荐材料")


def package_or_404(user: User, package_id: int, *, lock: bool = False) -> CityPackage:
    query = select(CityPackage).where(CityPackage.id == package_id)
    package = db.session.scalars(query.with_for_update() if lock else query).one_or_none()
    if package is None or not may_see_city_package(user, package.city_code):
        # Outside the caller's scope it does not exist for them.
        raise NotFound(f"推荐材料 {package_id} 不存在") if package is None else Forbidden("只能查看本市州的推荐材料")
    return package


def packages_of(round_id: int, city_code: str | None = None) -> list[CityPackage]:
    query = select(CityPackage).where(CityPackage.round_id == round_id)
    if city_code:
        query = query.where(CityPackage.city_code == city_code)
    return list(db.session.scalars(query.order_by(CityPackage.city_code, CityPackage.number)))


def _packed_ids(packages: list[CityPackage]) -> set[int]:
    return {m["application_id"] for p in packages for m in p.members}


def _waiting_clause(round_id: int):
    """Applications of the round that wait in an element catching ``city_package`` (by element id)."""
    from sqlalchemy import or_

    version_ids = db.session.scalars(select(Application.process_version_id).where(
        Application.round_id == round_id, Application.outcome.is_(None)).distinct()).all()
    ids = set()
    for version_id in version_ids:
        ids |= _ids_catching(version_id, MESSAGE)
    if not ids:
        return None
    return or_(*(Application.waiting.contains(f",{i},") for i in sorted(ids)))


def pending(round_id: int, city_code: str) -> list[Application]:
    """The city's recommended applications that wait for a package and are in none on its way (oldest first)."""
    clause = _waiting_clause(round_id)
    if clause is None:
        return []
    # Members of a package on its way (frozen or sent) wait for its receipt. A member of a received package
    # that waits again (an administrator rewound it to the declaration, the city recommended it anew) is
    # pending again: it goes into the city's next package.
    packed = _packed_ids([p for p in packages_of(round_id, city_code) if p.status != "received"])
    candidates = db.session.scalars(select(Application).where(
        Application.round_id == round_id, Application.city_code == city_code, Application.outcome.is_(None), clause)
        .order_by(Application.id)).all()
    return [a for a in candidates if a.id not in packed and waits_for(a, MESSAGE)]


def open_reviews(round_id: int, city_code: str) -> tuple[int, list[tuple[int, str, str]]]:
    """How many of the city's applications still wait in a city-reviewer step, and the first few of them."""
    where = (WorkItem.role == "city_reviewer", WorkItem.city_code == city_code, Application.round_id == round_id)
    count = db.session.scalar(select(func.count()).select_from(WorkItem).join(
        Application, Application.id == WorkItem.application_id).where(*where))
    rows = db.session.execute(select(Application.id, Application.unit_name, WorkItem.name).join(
        WorkItem, WorkItem.application_id == Application.id).where(*where).order_by(Application.id)
        .limit(SHOWN_BLOCKERS)).all()
    return count, [tuple(row) for row in rows]


# -- what the pages and the API show ----------------------------------------------------------------
ACTORS = ("frozen_by", "sent_by", "received_by")


def package_names(packages) -> dict[str, str]:
    """Who froze, sent and received these packages, by name (one query for them all)."""
    return display_names(getattr(p, key) for p in packages for key in ACTORS)


def package_dict(package: CityPackage, names: dict[str, str] | None = None) -> dict:
    """A package as the pages and the API show it: each actor's login and, beside it, ``<actor>_name``
    (``names`` from package_names for a page of packages; looked up here for a single one)."""
    names = package_names([package]) if names is None else names
    return {**{f"{key}_name": names.get(getattr(package, key), "") for key in ACTORS},
            "id": package.id, "round_id": package.round_id, "city_code": package.city_code,
            "city": CITIES.get(package.city_code), "number": package.number, "status": package.status,
            "status_label": STATUS[package.status], "members": package.members,
            "table_sha256": package.table_sha256, "frozen_by": package.frozen_by, "frozen_at": package.frozen_at,
            "letter_name": package.letter_name, "letter_sha256": package.letter_sha256,
            "sealed_table_name": package.sealed_table_name, "sealed_table_sha256": package.sealed_table_sha256,
            "sent_by": package.sent_by, "sent_at": package.sent_at, "sent_note": package.sent_note,
            "received_by": package.received_by, "received_at": package.received_at}


def city_view(user: User, round_: Round, city_code: str) -> dict:
    """One city's packages of a round, what still waits for one, and whether it may be frozen now."""
    _check_sees(user, _city_or_404(city_code))
    offered = version_categories(round_.process_version_id)
    waiting = pending(round_.id, city_code)
    groups = defaultdict(list)
    for application in waiting:
        groups[application.category].append({"application_id": application.id, "unit_name": application.unit_name,
                                             "credit_code": application.credit_code})
    open_count, blockers = open_reviews(round_.id, city_code)
    mine = packages_of(round_.id, city_code)
    names = package_names(mine)
    shown = [package_dict(p, names) for p in mine]
    return {"round_id": round_.id, "city_code": city_code, "city": CITIES[city_code],
            "deadline": round_.city_deadline, "overdue": utcnow() >= round_.city_deadline,
            "packages": shown,
            "pending": [{"category": key, "name": offered[key].name if key in offered else key, "rows": groups[key]}
                        for key in round_.categories if groups.get(key)],
            "open_reviews": open_count,
            "open_review_rows": [{"application_id": i, "unit_name": n, "step": s} for i, n, s in blockers],
            "can_freeze": bool(waiting) and open_count == 0 and may_act_for_city(user, city_code)}


def round_view(user: User, round_: Round) -> list[dict]:
    """Every city's state for the province: packages, and how many recommendations wait outside a package."""
    if not any(user.has_role(r) for r in ("province_staff", "admin", "auditor")):
        raise Forbidden("只有省厅、管理员和审计可以查看各市州的推荐材料")
    packages = packages_of(round_.id)
    names = package_names(packages)
    by_city = defaultdict(list)
    for package in packages:
        by_city[package.city_code].append(package)
    waiting = {}
    clause = _waiting_clause(round_.id)
    if clause is not None:
        waiting = dict(db.session.execute(select(Application.city_code, func.count()).where(
            Application.round_id == round_.id, Application.outcome.is_(None), clause)
            .group_by(Application.city_code)).all())
    rows = []
    for code, name in CITIES.items():
        mine = by_city.get(code, [])
        # Members of a package not yet received still wait in the diagram: not "pending" any more.
        in_transit = sum(len(p.members) for p in mine if p.status != "received")
        rows.append({"city_code": code, "city": name, "packages": [package_dict(p, names) for p in mine],
                     "pending": max(0, waiting.get(code, 0) - in_transit)})
    return rows


# -- the steps ---------------------------------------------------------------------------------------
def _check_ranks(waiting: list[Application], ranks) -> dict[int, int]:
    """application id -> rank, each category ranked 1..n without duplicates; 422 naming the rows otherwise."""
    names = {a.id: a.unit_name for a in waiting}
    given, errors = {}, {}
    for item in ranks or []:
        try:
            application_id, rank = int(item["application_id"]), item["rank"]
        except (KeyError, TypeError, ValueError):
            raise Invalid("推荐排序格式不正确", fields={"ranks": ["每项应为 {application_id, rank}"]}) from None
        if application_id not in names:
            errors[str(application_id)] = ["该申报不在本次待封存的推荐名单中"]
        elif application_id in given:
            errors[str(application_id)] = ["同一申报只能排序一次"]
        elif isinstance(rank, bool) or not isinstance(rank, int):
            errors[str(application_id)] = [f"{names[application_id]}：排序应为整数"]
        else:
            given[application_id] = rank
    by_category = defaultdict(list)
    for application in waiting:
        by_category[application.category].append(application)
        if application.id not in given and str(application.id) not in errors:
            errors[str(application.id)] = [f"{application.unit_name}：请填写推荐排序"]
    for category, members in by_category.items():
        count, seen = len(members), defaultdict(list)
        for application in members:
            if application.id in given:
                seen[given[application.id]].append(application)
        for rank, holders in seen.items():
            if not 1 <= rank <= count:
                for a in holders:
                    errors[str(a.id)] = [f"{a.unit_name}：排序应在 1–{count} 之间（本类别共 {count} 家）"]
            elif len(holders) > 1:
                others = "、".join(a.unit_name for a in holders)
                for a in holders:
                    errors[str(a.id)] = [f"{a.unit_name}：排序第 {rank} 位重复（{others}）"]
    if errors:
        raise Invalid("推荐排序有误：每个类别的排序须为 1 至该类别家数，且不重复", fields={"ranks": errors})
    return given


def freeze(*, user: User, round_id: int, city_code: str, ranks, filler_name: str, filler_phone: str,
           folder: Path) -> CityPackage:
    """Order the city's waiting recommendations and freeze the 推荐汇总表 (stored once, hash audited)."""
    _check_acts(user, _city_or_404(city_code))
    # One freeze at a time per round (PostgreSQL row lock; SQLite serialises writers): the package number
    # and the set of members cannot be claimed twice.
    round_ = db.session.scalars(select(Round).where(Round.id == round_id).with_for_update()).one_or_none()
    if round_ is None:
        raise NotFound(f"批次 {round_id} 不存在")
    errors = {}
    if not (filler_name or "").strip():
        errors["filler_name"] = ["请填写填报人"]
    if not (filler_phone or "").strip():
        errors["filler_phone"] = ["请填写填报人联系电话"]
    if errors:
        raise Invalid("请填写推荐汇总表的填报人和联系电话", fields=errors)
    open_count, blockers = open_reviews(round_id, city_code)
    if open_count:
        listed = "、".join(f"{name}（{step}）" for _, name, step in blockers)
        raise Conflict(f"本市州还有 {open_count} 个申报在初审中，初审全部办结后才能封存推荐材料：{listed}",
                       code="city_reviews_open", details=[i for i, _, _ in blockers])
    waiting = pending(round_id, city_code)
    if not waiting:
        raise Conflict("本市州没有待封存的推荐申报", code="nothing_to_freeze")
    given = _check_ranks(waiting, ranks)
    order = {key: n for n, key in enumerate(round_.categories)}
    waiting.sort(key=lambda a: (order.get(a.category, 99), given[a.id]))
    number = len(packages_of(round_id, city_code)) + 1
    content = summary_table(round_id, city_code, [(a, given[a.id]) for a in waiting], number=number,
                            filler=(filler_name.strip(), filler_phone.strip()))
    stored, digest = _store(folder, content)
    members = [{"application_id": a.id, "category": a.category, "rank": given[a.id]} for a in waiting]
    package = CityPackage(round_id=round_id, city_code=city_code, number=number, status="frozen", members=members,
                          table_stored=stored, table_sha256=digest, frozen_by=user.username, frozen_at=utcnow())
    db.session.add(package)
    db.session.flush()
    facts = {"package_id": package.id, "round_id": round_id, "city_code": city_code, "number": number,
             "table_sha256": digest, "filler": filler_name.strip(), "filler_phone": filler_phone.strip()}
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="city_package_frozen",
                 data={**facts, "members": members})
    for member in members:
        audit.append(audit.application_chain(member["application_id"]), actor=user.username,
                     action="city_package_frozen", application_id=member["application_id"],
                     data={**facts, "rank": member["rank"]})
    return package


def _store(folder: Path, content: bytes) -> tuple[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    stored = uuid.uuid4().hex
    (folder / stored).write_bytes(content)
    return stored, hashlib.sha256(content).hexdigest()


def upload(*, user: User, package_id: int, kind: str, filename: str, content: bytes, folder: Path) -> CityPackage:
    """Attach (or replace, until sent) the sealed 推荐文件 or the sealed 推荐汇总表, a PDF."""
    package = package_or_404(user, package_id, lock=True)
    _check_acts(user, package.city_code)
    errors = {}
    if kind not in FILES:
        errors["kind"] = [f"应为 {'、'.join(FILES)} 之一"]
    if not content:
        errors["file"] = ["文件为空"]
    elif len(content) > MAX_PDF_BYTES:
        errors["file"] = [f"文件不能超过 {MAX_PDF_BYTES // 1024 // 1024} MB"]
    elif not content.startswith(b"%PDF-"):
        errors["file"] = ["只接受 PDF 文件（文件内容不是 PDF）"]
    if errors:
        raise Invalid("盖章材料未通过检查", fields=errors)
    if package.status != "frozen":
        raise Conflict("推荐材料已寄送，盖章材料不能再更换", code="package_sent")
    from service.applications.attachments import pdf_download_name

    stored, digest = _store(folder, content)
    name = pdf_download_name(Path((filename or "").replace("\\", "/")).name or FILES[kind])
    setattr(package, f"{kind}_stored", stored)
    setattr(package, f"{kind}_name", name)
    setattr(package, f"{kind}_sha256", digest)
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="city_package_file_uploaded",
                 data={"package_id": package.id, "kind": kind, "name": name, "sha256": digest, "size": len(content)})
    return package


def confirm_sent(*, user: User, package_id: int, note: str = "") -> CityPackage:
    """The city confirms the sealed materials and the paper copies (评价报告一式两份) were sent."""
    package = package_or_404(user, package_id, lock=True)
    _check_acts(user, package.city_code)
    if package.status != "frozen":
        raise Conflict("推荐材料已确认寄送", code="package_sent")
    missing = {kind: [f"请先上传{label}"] for kind, label in FILES.items() if not getattr(package, f"{kind}_stored")}
    if missing:
        raise Invalid("盖章材料尚未上传齐全", fields=missing)
    if len(note or "") > 500:
        raise Invalid("寄送说明过长", fields={"note": ["最多 500 个字"]})
    package.status, package.sent_by, package.sent_at, package.sent_note = "sent", user.username, utcnow(), note or ""
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="city_package_sent",
                 data={"package_id": package.id, "note": package.sent_note})
    what = _package_title(package)
    notify_package(f"package_sent:{package.id}", kind="package_sent", users=holders_of("province_staff"),
                   subject=f"【绿色制造】{what}已寄送",
                   body=f"{what}已由{display_names([user.username])[user.username]}确认寄送"
                        + (f"（{package.sent_note}）" if package.sent_note else "")
                        + "。收到纸质材料后，请在“年度批次 → 各市州推荐材料”中登记签收，其中的申报随即进入形式审查。")
    return package


def _package_title(package: CityPackage) -> str:
    """``长春市推荐材料（2024，首批，3 家）`` as the notices name a package."""
    batch = "首批" if package.number == 1 else f"补充第 {package.number} 批"
    round_name = db.session.scalar(select(Round.name).where(Round.id == package.round_id)) or ""
    city = CITIES.get(package.city_code, package.city_code)
    return f"{city}推荐材料（{round_name}，{batch}，{len(package.members)} 家）"


def register_receipt(*, user: User, package_id: int) -> CityPackage:
    """The province registers the package's receipt; its applications move on to the formal review."""
    if not may_register_package_receipt(user):
        raise Forbidden("只有省工信厅工作人员可以登记签收推荐材料")
    package = package_or_404(user, package_id, lock=True)
    if package.status == "received":
        raise Conflict("推荐材料已签收", code="package_received")
    if package.status != "sent":
        raise Conflict("市州尚未确认寄送推荐材料，不能签收", code="package_not_sent")
    package.status, package.received_by, package.received_at = "received", user.username, utcnow()
    facts = {"package_id": package.id, "city_code": package.city_code, "number": package.number,
             "table_sha256": package.table_sha256, "letter_sha256": package.letter_sha256,
             "sealed_table_sha256": package.sealed_table_sha256}
    released, skipped = [], []
    for member in package.members:
        application = db.session.get(Application, member["application_id"])
        # A member withdrawn or repaired out of the wait since the freeze is left where it is, and said so.
        if application is None or application.outcome is not None or not waits_for(application, MESSAGE):
            skipped.append(member["application_id"])
            continue
        deliver_message(application_id=application.id, message=MESSAGE, payload={}, actor=user.username,
                        action="city_package_received", audit_data={**facts, "rank": member["rank"]})
        released.append(application.id)
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="city_package_received",
                 data={**facts, "released": released, "skipped": skipped})
    what = _package_title(package)
    notify_package(f"package_received:{package.id}", kind="package_received",
                   users=holders_of("city_reviewer", package.city_code), subject=f"【绿色制造】{what}已签收",
                   body=f"省工信厅已签收{what}，其中 {len(released)} 家申报进入形式审查。")
    return package


def stored_file(user: User, package_id: int, kind: str, folder: Path) -> tuple[CityPackage, bytes, str]:
    """The stored bytes of the frozen table ("table") or a sealed PDF, checked against the recorded hash."""
    package = package_or_404(user, package_id)
    column = {"table": "table", "letter": "letter", "sealed_table": "sealed_table"}.get(kind)
    if column is None:
        raise NotFound("没有这种材料")
    stored, digest = getattr(package, f"{column}_stored"), getattr(package, f"{column}_sha256")
    if not stored:
        raise NotFound("该材料尚未上传")
    path = folder / stored
    content = path.read_bytes() if path.is_file() else b""
    if hashlib.sha256(content).hexdigest() != digest:
        raise Conflict("存储的文件与封存记录的哈希不符，请联系管理员核查", code="package_file_altered")
    return package, content, (getattr(package, f"{column}_name", None) or "")
