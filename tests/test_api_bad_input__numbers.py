"""Hostile numbers and nesting: ids and versions no integer column holds (32 bits on PostgreSQL), in paths, query strings and bodies,
and JSON nested a hundred thousand deep. Each answers a 4xx in the one error shape, naming the field,
and changes nothing."""
import json

import pytest

from service.versions.samples import sample_declaration
from tests.api import refused
from tests.test_api_bad_input import at_declaration, world_state  # noqa: F401  (a fixture)
from tests.pages import Visitor

HUGE = 99999999999999999999999  # beyond 2**63



def raw_json(api, method, path, who, text):
    return api.call(method, path, who, data=text, content_type="application/json")


# -- numbers beyond 64 bits ------------------------------------------------------------------------

@pytest.mark.parametrize("path", [f"/api/applications/{HUGE}", f"/api/applications/{HUGE}/audit",
                                  f"/api/rounds/{HUGE}", f"/api/attachments/{HUGE}",
                                  f"/api/process-versions/{HUGE}", f"/api/process-drafts/{HUGE}",
                                  "/api/applications/" + "9" * 5000,
                                  f"/api/rounds/{2 ** 31}", f"/api/rounds/{2 ** 63 - 1}",
                                  f"/api/applications/{2 ** 31}/audit"])
def test_an_id_beyond_64_bits_in_the_path_names_nothing(api, at_declaration, path):
    refused(api.get(path, "admin"), 404, "not_found")


def test_an_id_beyond_64_bits_on_a_web_page_is_the_ordinary_not_found_page(app, api):
    person = Visitor(app)
    person.login("province")
    response = person.get(f"/applications/{HUGE}")
    assert response.status_code == 404 and "请求的资源不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, field", [(f"page={10 ** 30}", "page"), (f"page_size={2 ** 70}", "page_size"),
                                          (f"round={HUGE}", "round"), (f"round=-{HUGE}", "round")])
def test_a_query_number_beyond_64_bits_is_refused_naming_it(api, at_declaration, query, field):
    before = world_state()
    body = refused(api.get(f"/api/applications?{query}", "province"), 422, "validation_failed", field)
    assert len(body["errors"][field]) == 1  # one clear message, not one per validator
    assert world_state() == before


@pytest.mark.parametrize("version", ["1e400", str(2 ** 70), "-1e400"])
def test_a_submit_with_a_version_no_column_holds_is_refused(api, at_declaration, version):
    before = world_state()
    text = '{"data": %s, "version": %s}' % (json.dumps(sample_declaration("factory")), version)
    response = raw_json(api, "POST", f"/api/tasks/{at_declaration.task_id}/submit", "factory1", text)
    refused(response, 422, "validation_failed", "version")
    assert world_state() == before


def test_ids_beyond_64_bits_in_bodies_are_refused_naming_them(api, at_declaration):
    before = world_state()
    refused(api.post("/api/applications", "factory1", json={"round": 2 ** 70, "category": "factory"}),
            422, "validation_failed", "round")
    refused(api.post("/api/applications", "factory1", json={"round": 2 ** 31, "category": "factory"}),
            422, "validation_failed", "round")  # fits 64 bits, not PostgreSQL's INTEGER
    body = refused(api.post(f"/api/rounds/{at_declaration.round_id}/start-notice", "province",
                            json={"applications": [at_declaration.application_id, 2 ** 70]}),
                   422, "validation_failed", "applications")
    assert set(body["errors"]["applications"]) == {"1"}  # the second item, by its index
    refused(api.post("/api/rounds", "admin", json={"name": "2025", "year": 2025, "city_deadline": "2025-06-10",
                                                  "expert_count": 2 ** 70, "pass_score": 1e308 * 10}),
            422, "validation_failed", "expert_count", "pass_score")
    assert world_state() == before


# -- JSON nested beyond reason ---------------------------------------------------------------------

@pytest.mark.parametrize("depth", [100_000, 40])
def test_json_nested_too_deep_is_a_400_not_a_crash(api, at_declaration, depth):
    before = world_state()
    text = '{"data": ' + '{"a": ' * depth + '1' + '}' * depth + ', "version": 1}'
    response = raw_json(api, "POST", f"/api/tasks/{at_declaration.task_id}/submit", "factory1", text)
    body = refused(response, 400, "bad_request")
    assert body["message"] == "JSON 嵌套层数过多（最多 32 层）"
    assert world_state() == before
