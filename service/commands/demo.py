"""Demo accounts, a demo round and sample declarations (also used by tests and the benchmark)."""
from __future__ import annotations

import zlib
from datetime import date

from sqlalchemy import select

from service.engine.bundle import Bundle
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.rounds.models import Round
from service.accounts.admin import create_account
from service.accounts.models import User
from service.organisations.models import Organisation
from service.organisations.service import attach_account, create_organisation, organisation_by_code
from service.versions.deploy import deploy, latest_version
from service.rounds.service import open_round
from service.platform.timeutil import last_day_text, utcnow
from service.versions.samples import make_credit_code, sample_declaration

DEMO_PASSWORD = "demo"
CITY_ACCOUNTS = {"220100": "changchun", "220200": "jilin", "220300": "siping", "220400": "liaoyuan",
                 "220500": "tonghua", "220600": "baishan", "220700": "songyuan", "220800": "baicheng",
                 "222400": "yanbian", "229900": "changbaishan", "220581": "meihekou"}
DEMO_ROUND = "2024"


def demo_users() -> list[dict]:
    users = [
        dict(username="admin", display_name="系统管理员", roles=["admin"]),
        dict(username="auditor", display_name="审计员", roles=["auditor"]),
        dict(username="province", display_name="省工信厅资源节约与综合利用处", roles=["province_staff"]),
        dict(username="factory1", display_name="长春示范汽车零部件有限公司", roles=["applicant"],
             city_code="220100", unit_name="长春示范汽车零部件有限公司"),
        dict(username="park1", display_name="吉林示范经济开发区管理委员会", roles=["applicant"],
             city_code="220200", unit_name="吉林示范经济开发区"),
        dict(username="chain1", display_name="四平示范装备制造集团有限公司", roles=["applicant"],
             city_code="220300", unit_name="四平示范装备制造集团有限公司"),
    ]
    for code, login in CITY_ACCOUNTS.items():
        users.append(dict(username=login, display_name=f"{CITIES[code]}工信局", roles=["city_reviewer"],
                          city_code=code))
    # Experts 1–3 may review every demo application (none is from Changchun, Jilin or Siping); expert4
    # is from Changchun and expert5 from Jilin, so each is 回避 for the applicant of their city.
    everything = ["factory", "park", "supply_chain"]
    experts = [("延边大学", "222400", everything, ["C36", "C30"]),
               ("通化市节能监察中心", "220500", everything, ["C26"]),
               ("白城师范学院", "220800", everything, []),
               ("吉林大学", "220100", ["factory"], ["C36"]),
               ("北华大学", "220200", ["park"], [])]
    for n, (employer, city, specialties, industries) in enumerate(experts, start=1):
        users.append(dict(username=f"expert{n}", display_name=f"评审专家{n}", roles=["expert"], employer=employer,
                          city_code=city, specialties=specialties, industry_codes=industries))
    return users


def ensure_user(*, username: str, password: str = DEMO_PASSWORD, unit_name: str | None = None, **fields) -> User:
    """The account ``username``, made if missing through the administrator's own create function (validated
    and audited like any other; only the demo password is preset); with ``unit_name``, an account of that
    unit (see demo_unit)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_account(actor="seed-demo", values={"username": username, **fields},
                              preset_password=password).user
    if unit_name is not None and user.organisation_id is None:
        attach_account(user, demo_unit(unit_name, fields.get("city_code") or "220100"))
    return user


def demo_unit(name: str, city_code: str) -> Organisation:
    """A confirmed organisation called ``name`` in ``city_code``, made through the organisations service as
    the province would; its credit code is derived from the name, so the same name finds the same unit."""
    serial = zlib.crc32(name.encode("utf-8")) % 10 ** 8
    code = make_credit_code(serial, division=city_code)
    organisation = organisation_by_code(code)
    if organisation is None:
        organisation = create_organisation(
            {"credit_code": code, "name": name, "kind": "park_authority" if name.endswith(("区", "园区")) else "enterprise",
             "city_code": city_code, "county": "示范区", "contact_name": "演示联系人", "contact_phone": "13800000000",
             "contact_email": f"unit{serial}@example.cn"}, actor="admin", status="confirmed")
    return organisation


def demo_deadline(today: date) -> date:
    """10 June 2024 as the notice says, or the next 10 June when that has passed, so the demo round is usable."""
    deadline = date(2024, 6, 10)
    while deadline < today:
        deadline = date(deadline.year + 1, 6, 10)
    return deadline


# The contact the 2024 notice (吉工信资源〔2024〕98号) gives, as the demo round's objection channel.
DEMO_OBJECTION_CHANNEL = {"objection_address": "吉林省工业和信息化厅资源节约与综合利用处",
                          "objection_phone": "0431-88914475", "objection_email": "jlzy8904578@163.com"}


def seed_demo(bundle: Bundle | None = None, *, with_applications: bool = True) -> list[str]:
    """Schema, deployed bundle, open round "2024" and the demo accounts; running it again changes nothing.

    Call it outside a transaction: it first migrates the schema, then writes in the caller's transaction.
    """
    lines = []
    if latest_version() is None:
        if bundle is None:
            raise ValueError("no process version deployed and no bundle given")
        version, _ = deploy(bundle, actor="admin", note="演示数据初始化")
        lines.append(f"已部署流程第 {version.number} 版")
    for spec in demo_users():
        ensure_user(**spec)
    lines.append(f"演示账号（密码均为 {DEMO_PASSWORD}）：admin、auditor、province、expert1–expert5、"
                 f"{'、'.join(CITY_ACCOUNTS.values())}、factory1、park1、chain1")
    if db.session.scalar(select(Round).where(Round.name == DEMO_ROUND)) is None:
        deadline = demo_deadline(utcnow().date())
        open_round(name=DEMO_ROUND, year=2024, city_deadline=deadline, actor="admin", **DEMO_OBJECTION_CHANNEL)
    round_ = db.session.scalar(select(Round).where(Round.name == DEMO_ROUND))
    if with_applications:
        lines += _demo_applications(round_)
    lines.append(f"演示批次：{DEMO_ROUND}，市州推荐截止 {last_day_text(round_.city_deadline)}")
    return lines


def _demo_applications(round_: Round) -> list[str]:
    """Two declarations already submitted, so the Changchun and Jilin inboxes have work on day one."""
    from service.applications.commands import complete_task, start_application
    from service.applications.models import Application, WorkItem
    from service.commands.sample_reports import attach_sample_reports

    if db.session.scalar(select(Application.id).where(Application.round_id == round_.id).limit(1)) is not None:
        return []
    lines = []
    for username, category, serial in (("factory1", "factory", 1), ("park1", "park", 2)):
        user = db.session.scalar(select(User).where(User.username == username))
        application = start_application(round_id=round_.id, category=category, user=user)
        task_id = db.session.scalar(select(WorkItem.task_id).where(WorkItem.application_id == application.id))
        data = sample_declaration(category, unit_name=user.unit_name, serial=serial)
        attach_sample_reports(user=user, application_id=application.id, declaration=data)  # reports come first
        complete_task(application_id=application.id, task_id=task_id, data=data, user=user)
        lines.append(f"演示申报 {application.id}：{user.unit_name}（{application.stage}）")
    return lines
