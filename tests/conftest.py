"""Fixtures: an app on SQLite (or DATABASE_URL), a movable clock, users by role, a deployed bundle and a round."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from service import create_app
from service.commands.demo import ensure_user
from service.platform.transactions import transaction
from service.versions.deploy import forget_loaded_versions
from service.accounts.roles import forget_roles
from service.engine.bundle import Bundle
from service.engine.clock import ManualClock, use_clock
from service.platform.extensions import db
from service.versions.deploy import deploy
from service.rounds.service import open_round
from service.platform.database import upgrade_database

ROOT = Path(__file__).resolve().parent.parent
# Where the public notice says objections go: every round names it.
OBJECTION_CHANNEL = {"objection_address": "长春市人民大街 3555 号 资源节约与综合利用处", "objection_phone": "0431-88914475",
                     "objection_email": "yiyi@example.cn"}


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "GREENLIST_PROCESSES_DIR": str(ROOT / "processes"), "GREENLIST_FORMS_DIR": str(ROOT / "forms"),
                      "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        drop_everything()
        upgrade_database()  # the tests run on the schema the migrations build, not on create_all
    yield app


def drop_everything():
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@pytest.fixture(autouse=True)
def clean_database(app):
    with app.app_context():
        yield
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name == "role":  # the built-in roles are the migration's seed: only added ones go
                db.session.execute(table.delete().where(table.c.built_in.is_(False)))
                continue
            db.session.execute(table.delete())  # keeps alembic_version: the schema stays migrated
        db.session.execute(db.metadata.tables["work_count"].delete())  # after work_item's triggers wrote to it
        db.session.commit()
        db.session.remove()
        forget_loaded_versions()  # the next test's version 1 may be other content
        forget_roles()


@pytest.fixture
def clock():
    """Monday 6 May 2024, 09:00 in Changchun; tests move it forward explicitly."""
    manual = ManualClock(datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc))
    with use_clock(manual):
        yield manual


@pytest.fixture
def bundle():
    return Bundle.from_directories(ROOT / "processes", ROOT / "forms")


@pytest.fixture
def version(app, clock, bundle):
    with transaction():
        deployed, _ = deploy(bundle, actor="admin", note="测试部署")
        version_id = deployed.id
    return version_id


@pytest.fixture
def users(app, clock):
    """One account per role, as {name: user id} (ORM objects would outlive their session)."""
    specs = {
        "applicant": dict(display_name="长春示范制造有限公司", roles=["applicant"], city_code="220100",
                          unit_name="长春示范制造有限公司"),
        "other_applicant": dict(display_name="吉林另一公司", roles=["applicant"], city_code="220200",
                                unit_name="吉林另一公司"),
        "changchun": dict(display_name="长春市初审员", roles=["city_reviewer"], city_code="220100"),
        "jilin": dict(display_name="吉林市初审员", roles=["city_reviewer"], city_code="220200"),
        "staff": dict(display_name="省厅工作人员", roles=["province_staff"]),
        "staff2": dict(display_name="省厅工作人员二", roles=["province_staff"]),
        # Eligible for every category, from none of the applicants' cities (回避 is tested in test_panels).
        "expert1": dict(display_name="专家一", roles=["expert"], employer="延边大学", city_code="222400",
                        specialties=["factory", "park", "supply_chain"]),
        "expert2": dict(display_name="专家二", roles=["expert"], employer="通化师范学院", city_code="220500",
                        specialties=["factory", "park", "supply_chain"]),
        "expert3": dict(display_name="专家三", roles=["expert"], employer="白城师范学院", city_code="220800",
                        specialties=["factory", "park", "supply_chain"]),
    }
    with transaction():
        ids = {name: ensure_user(username=name, **spec).id for name, spec in specs.items()}
    return ids


@pytest.fixture
def round_(app, clock, version):
    with transaction():
        opened = open_round(name="2024年度省级绿色制造名单", year=2024, city_deadline=date(2024, 6, 10),
                            actor="admin", notice_days=5, expert_count=2, pass_score=60, **OBJECTION_CHANNEL)
        round_id = opened.id
    return round_id


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Real hashing costs ~0.1 s per account; tests create many accounts and test no hashing strength."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("service.accounts.models.generate_password_hash",
                        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"))


@pytest.fixture
def demo(app, clock, bundle):
    """The README's demo data: deployed bundle, round "2024" (id 1), demo accounts with password "demo"."""
    from service.commands.demo import seed_demo

    with transaction():
        seed_demo(bundle, with_applications=False)


@pytest.fixture
def api(app, demo):
    from tests.api import ApiClient

    return ApiClient(app.test_client())


@pytest.fixture
def demo_passwords(users):
    """Give the fixture accounts the demo password and add eight applicant units in Changchun."""
    from service.accounts.models import User

    with transaction():
        for user in db.session.scalars(db.select(User)):
            user.set_password("demo")
        for n in range(8):
            users[f"unit{n}"] = ensure_user(username=f"unit{n}", display_name=f"单位{n}", roles=["applicant"],
                                            city_code="220100", unit_name=f"长春单位{n}").id


@pytest.fixture
def visitor(app, api):
    """Someone at a browser without JavaScript, logged in as ``username`` (or not at all)."""
    from tests.pages import Visitor

    def make(username=None):
        person = Visitor(app)
        if username:
            assert person.login(username).status_code == 302
        return person

    return make
