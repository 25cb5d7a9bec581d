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
from service.platform.timeutil import utcnow
from service.platform.transactions import transaction
from service.engine.round_settings import BUILT_IN, COLUMNS, RoundSetting
from service.rounds.changes import current_values, deadline_settings, has_started, update_round
from service.rounds.models import Round
from service.rounds.notice import NOTICE_CHANNEL
from service.rounds.service import get_round_or_404, next_round, next_round_defaults, open_round
from service.rounds.setting_values import extra_values, extras, labels, listed
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


def setting_specs(process_version_id: int | None) -> list[RoundSetting]:
    """The settings the round form shows: every one the version lists, then any of the round's own
    settings it leaves out (they stay in the round and in the diagram's start data)."""
    specs = list(listed(process_version_id)) if process_version_id else list(BUILT_IN)
    names = {s.name for s in specs}
    return specs + [s for s in BUILT_IN if s.name not in names]


def read_settings(form, specs: list[RoundSetting], *, only=None, posted_only: bool = False) -> tuple[dict, dict]:
    """(the round's own settings typed, the version's other settings as posted) from a form; ``only``: the
    names to read (a round under way takes only its deadlines); ``posted_only``: leave out what the form
    does not carry (it keeps the value carried over). Raises Invalid naming each bad value."""
    wanted = [s for s in specs if (only is None or s.name in only) and (not posted_only or s.name in form)]
    columns = read_form(form, tuple(s.name for s in wanted if s.name in COLUMNS))
    extras = {s.name: form.get(s.name, "") for s in wanted if s.name not in COLUMNS and s.name in form}
    return columns, extras


def shown_settings(values: dict) -> dict:
    """What a settings field shows: what was posted (a refused form keeps it), else the value stored."""
    if request.method != "POST":
        return values
    return {**values, **{key: request.form.get(key) for key in request.form}}


def _versions() -> list[ProcessVersion]:
    return db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.number.desc())).all()


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_round():
    versions = _versions()
    errors, status = {}, 200
    values = {"notice_days": 5, "expert_count": 3, "pass_score": 60,
              "categories": list(version_categories(versions[0].id)) if versions else None,
              "process_version_id": versions[0].id if versions else None,
              **NOTICE_CHANNEL}  # the notice's own contact lines, to be checked and completed (address)
    chosen = id_from(request.values.get("process_version_id", "")) or values["process_version_id"]
    specs = setting_specs(chosen if any(v.id == chosen for v in versions) else values["process_version_id"])
    values.update({s.name: s.default_for(utcnow().year) for s in specs if s.name not in values})
    if request.method == "POST":
        try:
            settings = read_form(request.form, ("name", "year", "categories", *OBJECTION_FIELDS, "process_version_id"))
            columns, extras = read_settings(request.form, specs)
            with transaction():
                created = open_round(actor=me().username, **settings, **columns, extra_settings=extras)
                created_id, created_name = created.id, created.name
            flash(f"已新建批次“{created_name}”", "success")
            return redirect(url_for("web.round_page", round_id=created_id))
        except ServiceError as err:
            flash_error(err)
            errors, status = err.fields, err.status
    return render_template("round_form.html", round_=None, versions=versions, values=values, errors=errors,
                           started=False, setting_specs=specs, shown_settings=shown_settings), status


@bp.route("/rounds/<int:round_id>/settings", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def round_settings(round_id):
    round_ = get_round_or_404(round_id)
    started = has_started(round_id)
    errors, values, status = {}, current_values(round_), 200
    specs = setting_specs(round_.process_version_id)
    if request.method == "POST":
        try:
            deadlines = deadline_settings(round_)
            changes = {} if started else read_form(request.form, (
                "name", "year", "categories", *OBJECTION_FIELDS, "process_version_id"))
            columns, extras = read_settings(request.form, specs, only=deadlines if started else None)
            changes.update(columns)
            changes.update(extras)
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
                           started=started, setting_specs=specs, shown_settings=shown_settings), status


def next_round_page(previous: Round):
    """Next year's round (admin): every setting of the chosen version's list, pre-filled from this round
    (deadlines a year later, a setting new in that version with its default), editable before it is made."""
    versions = _versions()
    chosen = id_from(request.values.get("process_version_id", ""))
    version_id = chosen if any(v.id == chosen for v in versions) else (versions[0].id if versions else None)
    specs = setting_specs(version_id)
    carried = next_round_defaults(previous, version_id)
    errors, status = {}, 200
    if request.method == "POST" and request.form.get("refill") and chosen is not None:
        return redirect(url_for("web.admin_next_round", round_id=previous.id, process_version_id=chosen))
    if request.method == "POST":
        try:
            if chosen is None:
                raise Invalid("请选择流程版本", fields={"process_version_id": ["必填项"]})
            posted = read_form(request.form, tuple(f for f in ("categories", *OBJECTION_FIELDS)
                                                   if f in request.form))
            columns, extras = read_settings(request.form, specs, posted_only=True)
            with transaction():
                created = next_round(previous.id, process_version_id=chosen, actor=me().username,
                                     name=request.form.get("name", "").strip() or None, extra_settings=extras,
                                     **posted, **columns)
                created_id, created_name = created.id, created.name
            flash(f"已新建批次“{created_name}”", "success")
            return redirect(url_for("web.round_page", round_id=created_id))
        except ServiceError as err:
            db.session.rollback()
            flash_error(err)
            errors, status = err.fields, err.status
    return render_template("admin_next_round.html", previous=previous, versions=versions, errors=errors,
                           carried=carried, version_id=version_id, setting_specs=specs,
                           shown_settings=shown_settings), status


@bp.app_template_global("round_extra_settings")
def round_extra_settings(round_: Round) -> list[tuple[str, str]]:
    """(label, value as shown) of each setting the round's version lists beyond the round's own columns."""
    values = extra_values(round_)
    return [(s.name, s.label, "未设置" if values.get(s.name) is None
             else f"{values[s.name]:%Y-%m-%d}（含）" if s.type == "date" else str(values[s.name]))
            for s in extras(round_.process_version_id)]


@bp.app_template_global("deadline_label")
def deadline_label(round_: Round, field: str) -> str:
    return {"unit_deadline": "单位申报截止", "city_deadline": "市州推荐截止",
            **labels(round_.process_version_id)}.get(field, field)
