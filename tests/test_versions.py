"""Deployed versions are immutable; rounds pin one; running applications finish on the one they started."""
import json
from datetime import date

from sqlalchemy import select

from service.versions.samples import sample_declaration
from service.engine.bundle import Bundle
from service.platform.extensions import db
from service.versions.models import ProcessVersion
from service.versions.deploy import deploy
from service.rounds.service import open_round
from service.platform.transactions import transaction
from tests.scenario import Scenario
from tests.conftest import OBJECTION_CHANNEL


def renamed_bundle(bundle):
    text = bundle.processes["green_round.bpmn"].replace('name="市州初审推荐"', 'name="市州初审推荐（2025版）"')
    return Bundle({**bundle.processes, "green_round.bpmn": text}, bundle.forms, bundle.files)


def test_same_content_is_the_same_version(version, bundle):
    with transaction():
        again, created = deploy(bundle, actor="admin")
        assert (again.id, created) == (version, False)


def test_running_application_finishes_on_the_version_it_started(users, round_, clock, bundle):
    s = Scenario(users, round_, clock).start().declare()
    with transaction():
        v2, created = deploy(renamed_bundle(bundle), actor="admin", note="2025年流程")
        assert created and v2.number == 2
        next_round = open_round(name="2025年度省级绿色制造名单", year=2025, city_deadline=date(2025, 6, 10),
                                actor="admin", **OBJECTION_CHANNEL)
        assert next_round.process_version_id == v2.id
        v2_id, next_round_id = v2.id, next_round.id
    assert s.item().name == "市州初审推荐"
    s.city_review("recommend").seal_city_package()
    assert s.application.process_version_id != v2_id
    assert s.item().name == "形式审查与遴选专家"
    s2 = Scenario(users, next_round_id, clock).start(applicant="other_applicant")
    s2.complete("other_applicant", sample_declaration("factory"))
    assert s2.application.process_version_id == v2_id
    assert s2.item().name == "市州初审推荐（2025版）"


def test_stored_state_does_not_repeat_the_spec(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare()
    state = json.loads(s.application.state)
    assert "spec" not in state and "subprocess_specs" not in state
    assert len(s.application.state) < 20_000


def test_deploy_is_audited_on_the_system_chain(version):
    from service.audit.chain import SYSTEM_CHAIN, trail, verify_chain

    events = trail(SYSTEM_CHAIN)
    assert [e.action for e in events] == ["deployed"]
    assert json.loads(events[0].data)["version"] == 1
    assert verify_chain(SYSTEM_CHAIN).ok
    assert db.session.scalar(select(ProcessVersion.note)) == "测试部署"
