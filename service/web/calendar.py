"""The working-day calendar page (administrators): a year's holidays and make-up workdays, a pasted
holiday notice previewed and saved, single days entered or corrected, and the year confirmed.

Plain forms, no script: the preview is a page showing what saving would enter, with the pasted text kept
in the form so that saving sends the same text again (and the server reads it again)."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for

from service.engine.calendar import library_knows
from service.platform.errors import Invalid, ServiceError
from service.platform.extensions import db
from service.accounts.names import display_names
from service.platform.timeutil import to_shanghai, utcnow
from service.platform.transactions import transaction
from service.rounds.calendar import (NOTE_MAX, check_year, clear_day, confirm_year, current_calendar,
                                     preview_notice, save_notice, set_day, year_view)
from service.web.base import bp, flash_error, me, roles_required

KINDS = {"holiday": False, "workday": True, "default": None}


def _this_year() -> int:
    return to_shanghai(utcnow()).year


def _years_around(year: int) -> list[dict]:
    calendar = current_calendar()
    first = min(year, _this_year()) - 1
    return [{"year": y, "library": library_knows(y), "known": calendar.knows_year(y)}
            for y in range(first, max(year, _this_year()) + 3)]


def _page(year: int, *, preview=None, errors=None, status=200):
    view = year_view(year)
    names = display_names([view["confirmed_by"]] + [d.get("updated_by") for d in view["days"]])
    return render_template("admin_calendar.html", view=view, years=_years_around(year), preview=preview, names=names,
                           errors=errors or {}, text=request.form.get("text", ""), note_max=NOTE_MAX), status


@bp.get("/admin/calendar")
@roles_required("admin")
def admin_calendar_home():
    """The first year from this one on that cannot be computed yet, else this year."""
    calendar = current_calendar()
    year = next((y for y in range(_this_year(), _this_year() + 3) if not calendar.knows_year(y)), _this_year())
    return redirect(url_for("web.admin_calendar", year=year))


@bp.get("/admin/calendar/<int:year>")
@roles_required("admin")
def admin_calendar(year):
    try:
        check_year(year)
    except ServiceError as err:
        flash_error(err)
        return redirect(url_for("web.admin_calendar", year=_this_year()))
    return _page(year)


@bp.post("/admin/calendar/<int:year>/preview")
@roles_required("admin")
def admin_calendar_preview(year):
    text = request.form.get("text", "")
    if not text.strip():
        flash("请粘贴通知的各行再预览", "error")
        return _page(year, errors={"text": ["必填项"]}, status=422)
    try:
        return _page(year, preview=preview_notice(check_year(year), text))
    except ServiceError as err:
        flash_error(err)
        return _page(year, errors=err.fields or {}, status=err.status)


@bp.post("/admin/calendar/<int:year>/notice")
@roles_required("admin")
def admin_calendar_save(year):
    text = request.form.get("text", "")
    try:
        with transaction():
            changed = save_notice(check_year(year), text, actor=me().username)
    except ServiceError as err:
        db.session.rollback()
        flash_error(err)
        preview = preview_notice(year, text) if isinstance(err, Invalid) and err.details else None
        return _page(year, preview=preview, errors=err.fields or {}, status=err.status)
    flash(f"已保存：录入或更正 {changed} 天" if changed else "通知中的日期已全部录入，无需更改", "success")
    return redirect(url_for("web.admin_calendar", year=year))


def _read_day(year: int) -> tuple[date, bool | None, str]:
    errors = {}
    try:
        day = date.fromisoformat(request.form.get("day", "").strip())
        if day.year != year:
            errors["day"] = [f"日期不在{year}年"]
    except ValueError:
        day, errors["day"] = None, ["日期格式应为 YYYY-MM-DD"]
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        errors["kind"] = ["请选择放假、调休上班或恢复默认"]
    note = request.form.get("note", "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [f"不能超过 {NOTE_MAX} 个字符"]
    if errors:
        raise Invalid("这一天的录入不正确", fields=errors)
    return day, KINDS[kind], note


@bp.post("/admin/calendar/<int:year>/day")
@roles_required("admin")
def admin_calendar_day(year):
    try:
        check_year(year)
        day, is_workday, note = _read_day(year)
        with transaction():
            if is_workday is None:
                cleared = clear_day(day, actor=me().username)
            else:
                set_day(day, is_workday=is_workday, note=note, actor=me().username)
    except ServiceError as err:
        db.session.rollback()
        flash_error(err)
        return _page(year, errors=err.fields or {}, status=err.status)
    if is_workday is None:
        flash(f"已删除 {day:%Y-%m-%d} 的录入" if cleared else f"{day:%Y-%m-%d} 没有录入，无需删除", "success")
    else:
        flash(f"已将 {day:%Y-%m-%d} 设为{'调休上班日' if is_workday else '放假日'}", "success")
    return redirect(url_for("web.admin_calendar", year=year))


@bp.post("/admin/calendar/<int:year>/confirm")
@roles_required("admin")
def admin_calendar_confirm(year):
    try:
        with transaction():
            confirm_year(check_year(year), actor=me().username)
    except ServiceError as err:
        db.session.rollback()
        flash_error(err)
        return _page(year, status=err.status)
    flash(f"已确认{year}年的节假日安排：此后按工作日计算的期限可以跨入{year}年", "success")
    return redirect(url_for("web.admin_calendar", year=year))
