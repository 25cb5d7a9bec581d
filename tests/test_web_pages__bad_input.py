"""The staff web takes the same hostile numbers and text as the API: ids beyond what an integer column holds, digits int() refuses,
control characters. Pages ignore a filter no row can match, forms answer with their error, nothing is
written, and nothing is a 500."""
import pytest
from sqlalchemy import func, select

from service.platform.extensions import db
from service.versions.models import ProcessDraft
from service.rounds.models import Round
from tests.api import demo_round_id, first_version_id
from tests.pages import Visitor

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("path", [f"/inbox?page={HUGE}", "/inbox?page=²", "/inbox?step=%00", f"/done?page={HUGE}",
                                  f"/applications?round={HUGE}", f"/applications?page={HUGE}",
                                  f"/admin/compare?a={HUGE}&b=1", f"/admin/compare?draft={HUGE}"])
def test_filters_no_row_can_match_are_ignored(visitor, path):
    person = visitor("admin" if path.startswith("/admin") else "province")
    assert person.get(path).status_code == 200


def test_forms_with_ids_beyond_an_integer_column_answer_with_their_error(visitor):
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    before = count(ProcessDraft), count(Round)
    admin = visitor("admin")
    round_id, version_id = demo_round_id(), first_version_id()
    admin.get("/admin/versions")
    assert admin.post("/admin/drafts", {"from_version": HUGE}).status_code == 302
    assert admin.post("/admin/drafts", {"from_version": str(version_id), "name": "草稿\x00"}).status_code == 302
    assert admin.post(f"/admin/rounds/{round_id}/next", {"process_version_id": "²"}).status_code == 422
    province = visitor("province")
    province.get(f"/rounds/{round_id}")
    assert province.post(f"/rounds/{round_id}/batch", {"action": "publish", "applications": HUGE}).status_code == 302
    factory = visitor("factory1")
    factory.get("/my")
    assert factory.post("/my/start", {"round": HUGE, "category": "factory"}).status_code == 302
    assert (count(ProcessDraft), count(Round)) == before


def test_a_login_name_with_a_control_character_is_refused(app, api):
    person = Visitor(app)
    person.get("/login")
    response = person.post("/login", {"username": "admin\x00", "password": "demo"})
    assert response.status_code == 400 and "无效字符" in response.get_data(as_text=True)
