"""Redirects stay on this site: a `next` that a browser would read as another site (after dropping tabs
and newlines and taking backslashes for slashes, as browsers do) lands on our own page, and a newline
in it is refused, not a 500."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.pages import Visitor

# Each of these, as a browser reads it, leaves the site (or would split the Location header).
HOSTILE = [
    "//evil.test/", "///evil.test/", "https://evil.test/", "https:evil.test", "javascript:alert(1)",
    "/\t/evil.test",           # next=/%09/evil.test: the browser drops the tab -> //evil.test
    "/\\evil.test", "\\\\evil.test", "/\\/evil.test", "\\/evil.test",  # a backslash is a slash to a browser
    "/\r\n/evil.test", "/\n/evil.test", "/\r/evil.test",             # so are newlines dropped
    " //evil.test", "\t//evil.test", "\x00//evil.test", "\x1f/\x7f/evil.test",
    "/inbox\r\nSet-Cookie: greenlist_session=stolen",                # header splitting
]


@pytest.fixture
def person(app, api):
    visitor = Visitor(app)
    visitor.get("/login")
    return visitor


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_next_after_login_lands_on_the_home_page(person, target):
    response = person.post("/login", {"username": "changchun", "password": "demo", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_next_in_the_login_link_is_dropped_from_the_form(person, target):
    response = person.get(f"/login?next={quote(target, safe='')}")
    assert response.status_code == 200
    assert "evil.test" not in response.get_data(as_text=True) and "stolen" not in response.get_data(as_text=True)


def test_the_literal_tab_trick_from_the_issue(person):
    response = person.client.get("/login?next=/%09/evil.test")
    assert response.status_code == 200 and "evil.test" not in response.get_data(as_text=True)


@pytest.mark.parametrize("target", HOSTILE)
def test_a_form_sending_the_user_back_refuses_a_hostile_next(app, api, target):
    visitor = Visitor(app)
    assert visitor.login("changchun").status_code == 302
    response = visitor.post("/tasks/00000000-0000-0000-0000-000000000000/claim", {"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"


@pytest.mark.parametrize("target", ["/inbox?step=Task_city_review", "/applications/1", "/rounds/1#city",
                                    "/%2F%2Fevil.test", "/申报"])
def test_our_own_pages_are_still_where_login_returns(person, target):
    response = person.post("/login", {"username": "province", "password": "demo", "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert location in (target, quote(target, safe="/?#=%"))
