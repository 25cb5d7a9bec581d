"""A browser without JavaScript for the page tests: a Visitor keeps the session cookie and the CSRF token."""
from __future__ import annotations

import re

from service.platform.extensions import db


class Visitor:
    """A browser without JavaScript: keeps the session cookie, reads the CSRF token off each page."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def get(self, path, **kw):
        response = self.client.get(path, **kw)
        match = re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        db.session.remove()
        return response

    def post(self, path, data=None, with_token=True, **kw):
        form = dict(data or {})
        if with_token:
            form["csrf_token"] = self.token
        response = self.client.post(path, data=form, **kw)
        db.session.remove()
        return response

    def login(self, username, password="demo"):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        if response.status_code == 302:
            self.get(response.headers["Location"])  # a new session and token come with the login
        return response


def text(response):
    return response.get_data(as_text=True)
