"""Property-based fuzzing of the API: whatever a client sends, the answer is never a 500."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api import ApiScenario

SCALARS = st.none() | st.booleans() | st.integers(-10**15, 10**15) | st.floats(allow_nan=True) | st.text(max_size=40)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                            max_size=4), max_leaves=12)
KEYS = ["data", "version", "round", "category", "applications", "username", "password", "name", "year",
        "city_deadline", "real_name", "contact", "content", "evidence", "unit_name", "credit_code", "decision",
        "score", "experts", "page", "page_size"]
BODIES = VALUES | st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6) | \
    st.fixed_dictionaries({"data": st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6), "version": VALUES})
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def targets(api):
    s = ApiScenario(api).start()
    task = s.open_task("factory1")
    return [
        ("POST", "/api/auth/login", None),
        ("POST", "/api/applications", "factory1"),
        ("POST", "/api/rounds", "admin"),
        ("PUT", f"/api/tasks/{task}/draft", "factory1"),
        ("POST", f"/api/tasks/{task}/submit", "factory1"),
        ("POST", f"/api/applications/{s.application_id}/objections", "province"),
        ("POST", f"/api/rounds/{s.round_id}/start-notice", "province"),
    ]


def assert_clean(response):
    assert response.status_code < 500, (response.status_code, response.data[:300])
    body = response.json
    assert body is None or {"code", "status", "message"} <= set(body) or response.status_code < 400


@SETTINGS
@given(data=st.data())
def test_json_bodies_never_cause_a_500(api, targets, data):
    method, path, who = data.draw(st.sampled_from(targets))
    body = data.draw(BODIES)
    raw = json.dumps(body, allow_nan=True)  # NaN/Infinity are not JSON: the API must say so, not crash
    assert_clean(api.call(method, path, who, data=raw, content_type="application/json"))


@SETTINGS
@given(data=st.data())
def test_query_strings_never_cause_a_500(api, targets, data):
    path = data.draw(st.sampled_from(["/api/applications", "/api/tasks"]))
    params = data.draw(st.dictionaries(st.sampled_from(["page", "page_size", "round", "stage", "city", "category",
                                                        "outcome", "step", "claimed", "x"]),
                                       st.text(max_size=20), max_size=5))
    who = data.draw(st.sampled_from(["province", "changchun", "factory1", "expert1", "auditor"]))
    assert_clean(api.get(path, who, query_string=params))


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_garbage_bytes_never_cause_a_500(api, targets, raw):
    assert_clean(api.call("POST", targets[4][1], "factory1", data=raw, content_type="application/json"))
