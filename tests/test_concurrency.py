"""Two writers never both win: optimistic versions, the chain's unique sequence, timers fired once."""
from datetime import datetime, timezone

import pytest
from sqlalchemy.orm import Session

from service.applications.commands import complete_task, start_application
from service.commands.cli import cli
from service.platform.errors import Conflict, StaleVersion
from service.platform.extensions import db
from service.applications.models import Application
from service.accounts.models import User
from service.platform.transactions import transaction
from tests.scenario import Scenario


def test_update_based_on_an_old_read_is_refused(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare()
    item = s.item()
    read_version = s.application.version
    db.session.remove()
    with Session(db.engine) as other:  # another process changes the application after our read
        other.get(Application, s.application_id).stage = "并发修改"
        other.commit()
    with pytest.raises(StaleVersion):
        with transaction():
            complete_task(application_id=s.application_id, task_id=item.task_id,
                          user=db.session.get(User, users["changchun"]),
                          data={"consult_ecology": "无", "consult_emergency": "无", "consult_market": "无",
                                "decision": "reject", "comments": "不符合"},
                          expected_version=read_version)
    assert s.item().task_id == item.task_id  # nothing completed


def test_applications_cannot_start_after_the_city_deadline(users, round_, clock):
    clock.set(datetime(2024, 6, 11, tzinfo=timezone.utc))
    with pytest.raises(Conflict) as caught:
        with transaction():
            start_application(round_id=round_, category="factory", user=db.session.get(User, users["applicant"]))
    assert caught.value.code == "deadline_passed"


def test_one_open_application_per_unit_and_category(users, round_, clock):
    Scenario(users, round_, clock).start()
    with pytest.raises(Conflict) as caught:
        Scenario(users, round_, clock).start()
    assert caught.value.code == "duplicate"
    Scenario(users, round_, clock).start(category="park")


def test_worker_command_fires_due_timers_once(app, users, round_, clock):
    s = Scenario(users, round_, clock).start().declare()
    clock.set(datetime(2024, 6, 12, tzinfo=timezone.utc))
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["worker", "--once"])
    assert first.exit_code == 0 and "已处理 1 个" in first.output
    second = runner.invoke(cli, ["worker", "--once"])
    assert "已处理 0 个" in second.output
    assert s.application.outcome == "逾期未推荐"
