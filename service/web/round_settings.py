"""Round settings pages for province staff and administrators: create a round, change it, extend its deadlines.

The rules (what may change when, which deadlines are refused) live in rounds/settings.py and rounds/changes.py;
this module reads the form into typed values, calls them and renders the outcome. A refused form is shown
again with what was typed and each reason at its field.
"""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from service.platform.errors import Invalid, ServiceError
from service.platform.extensions import db
from service.platform.inputs import id_from
from service.platform.transactions import transaction
from service.rounds.changes import current_values, has_started, update_round
from service.rounds.service import get_round_or_404, open_round
from service.rounds.settings import DEADLINES, OBJECTION_FIELDS
from service.versions.categories import version_categories
from service.versions.models import ProcessVersion
from service.web.base import bp, flash_error, me, roles_required

MANAGERS = ("province_staff", "admin")
INTEGERS = {"year": "年度应为整数", "notice_days": "公示期应为整数（工作日）", "expert_count": "评审专家人数应为整数"}
TEXTS = ("name", *OBJECTION_FIELDS)


def read_form(form, fields: tuple[str, ...]) -> dict:
    """The typed settings a form posted (only ``fields``); raises Invalid naming each value that is not
    a number or a date at all. Empty optional values are left out."""
    values, errors = {}, {}
    for field in fields:
        raw = form.get(field, "").strip()
        if field in TEXTS:
            values[field] = raw
        elif field == "categories":
            values[field] = form.getlist("categories")
        elif field in INTEGERS:
            try:
                values[field] = int(raw)
            except ValueError:
                errors[field] = [INTEGERS[field]]
        elif field == "pass_score":
            try:
                values[field] = float(raw)
            except ValueError:
                errors[field] = ["合格分应为数字"]
        elif field in DEADLINES:
            try:
                values[field] = date.fromisoformat(raw)
            except ValueError:
                errors[field] = ["日期格式应为 YYYY-MM-DD" if raw else "必填项"]
        elif field == "process_version_id" and raw:
            if id_from(raw) is None:
                errors[field] = ["请选择已部署的流程版本"]
            else:
                values[field] = id_from(raw)
    if errors:
        raise Invalid("批次设置不正确", fields=errors)
    return values


def _versions() -> list[ProcessVersion]:
    return db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.number.desc())).all()


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_round():
    versions = _versions()
    errors, status = {}, 200
    values = {"notice_days": 5, "expert_count": 3, "pass_score": 60,
              "categories": list(version_categories(versions[0].id)) if versions else None,
              "process_version_id": versions[0].id if versions else None}
    if request.method == "POST":
        try:
            settings = read_form(request.form, ("name", "year", "categories", "unit_deadline", "city_deadline",
                                                "notice_days", "expert_count", "pass_score", *OBJECTION_FIELDS,
                                                "process_version_id"))
            with transaction():
                created = open_round(actor=me().username, **settings)
                created_id, created_name = created.id, created.name
            flash(f"已新建批次“{created_name}”", "success")
            return redirect(url_for("web.round_page", round_id=created_id))
        except ServiceError as err:
            flash_error(err)
            errors, status = err.fields, err.status
    return render_template("round_form.html", round_=None, versions=versions, values=values, errors=errors,
                           started=False), status


@bp.route("/rounds/<int:round_id>/settings", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def round_settings(round_id):
    round_ = get_round_or_404(round_id)
    started = has_started(round_id)
    errors, values, status = {}, current_values(round_), 200
    if request.method == "POST":
        fields = DEADLINES if started else tuple(values)
        try:
            changes = read_form(request.form, fields)
            with transaction():
                update_round(round_id, changes=changes, actor=me().username, reason=request.form.get("reason", ""))
            flash("已延长截止日期，已在办申报的期限随之顺延" if started else "批次设置已保存", "success")
            return redirect(url_for("web.round_page", round_id=round_id))
        except ServiceError as err:
            db.session.rollback()
            flash_error(err)
            errors, status = err.fields, err.status
            round_ = get_round_or_404(round_id)
    return render_template("round_form.html", round_=round_, versions=_versions(), values=values, errors=errors,
                           started=started), status
