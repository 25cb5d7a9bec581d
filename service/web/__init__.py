"""The staff web: server-rendered Chinese pages over the same service functions as the API.

Pages are Jinja templates; the task form, the diagram and the round's batch actions use a little
JavaScript that talks to the JSON API with the page's session cookie and CSRF token.
"""
from __future__ import annotations

from flask import g

from service.web.base import bp


def init_web(app) -> None:
    from service.web import (account, accounts, actions, admin, applications, auth, calendar, inbox, list_register,
                             messages, notice_files, organisations, packages, public, registration, repair, roles,
                             round_settings, rounds, tasks)
    from service.web.filters import register_filters

    register_filters(app)
    messages.register(app)
    app.register_blueprint(bp)

    @app.teardown_request
    def forget_the_login(_error):
        # Flask-Login and Flask-WTF keep the user and the CSRF token on `g`, which lives as long as the app
        # context; a caller running several requests in one context (tests) must not carry them over.
        for name in ("_login_user", "csrf_token", "csrf_valid"):
            g.pop(name, None)
