"""The API's own pages: the docs page (swagger-ui from npm) and the style of the public lists.

flask-smorest's swagger-ui page starts swagger-ui with an inline script, which the
Content-Security-Policy refuses; this page loads the same swagger-ui with a script file of ours.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

bp = Blueprint("api_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/api")


@bp.get("/api/docs")
def docs():
    return render_template("api_docs.html", title=current_app.config["API_TITLE"],
                           spec_url=url_for("api-docs.openapi_json"))
