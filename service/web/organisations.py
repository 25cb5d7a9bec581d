"""单位注册 (the city bureau's queue of registrations, and a unit's page for its bureau) and 我的单位."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from service.accounts.names import display_names
from service.organisations.invitations import invite, revoke_invitation
from service.organisations.models import KINDS, STATUSES
from service.organisations.registration import decide_registration, registration_queue, rename_by_bureau, resubmit
from service.organisations.service import FIELDS
from service.organisations.views import my_organisation, organisation_for
from service.platform.errors import ServiceError
from service.platform.inputs import id_from
from service.platform.reference import CITIES
from service.platform.transactions import transaction
from service.web.base import bp, flash_error, me, roles_required
from service.web.inbox import PAGE_SIZE, _page_arg

DECIDERS = ("city_reviewer", "province_staff", "admin")


def _public_url() -> str:
    return current_app.config["GREENLIST_PUBLIC_URL"]


@bp.get("/registrations")
@roles_required(*DECIDERS)
def registrations_page():
    status = request.args.get("status") if request.args.get("status") in STATUSES else "pending_city"
    city = request.args.get("city") if request.args.get("city") in CITIES else None
    if me().has_role("city_reviewer") and not (me().has_role("province_staff") or me().has_role("admin")):
        city = None  # a city sees its own, whatever the address says
    result = registration_queue(me(), status=status, city_code=city, page=_page_arg(), page_size=PAGE_SIZE)
    pages = max((result["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    names = display_names(o.decided_by for o in result["items"])
    return render_template("registrations.html", result=result, pages=pages, status=status, city=city, names=names,
                           statuses=STATUSES, kinds=KINDS)


@bp.post("/registrations/<int:organisation_id>/<any(confirm, refuse):decision>")
@roles_required(*DECIDERS)
def decide(organisation_id, decision):
    try:
        with transaction():
            organisation = decide_registration(me(), organisation_id, confirm=decision == "confirm",
                                               reason=request.form.get("reason", ""))
            name = organisation.name
        flash(f"已{'确认' if decision == 'confirm' else '退回'}：{name}", "success")
    except ServiceError as err:
        flash_error(err)
        for reasons in err.fields.values():
            for reason in reasons:
                flash(reason, "error")
    return redirect(url_for("web.registrations_page"))


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@roles_required(*DECIDERS)
def organisation_page(organisation_id):
    """A unit as its bureau sees it, with the change of name the bureau makes once it saw the licence."""
    values, errors, message = {}, {}, None
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in ("name", "reason")}
        try:
            with transaction():
                rename_by_bureau(me(), organisation_id, **values)
            flash("单位名称已变更，并已通知该单位", "success")
            return redirect(url_for("web.organisation_page", organisation_id=organisation_id))
        except ServiceError as err:
            message, errors = err.message, err.fields
    page = organisation_for(me(), organisation_id)
    return render_template("organisation.html", page=page, values=values, errors=errors, message=message,
                           names=_names_on(page), mine=False), 422 if errors else 200


@bp.route("/my-organisation", methods=["GET", "POST"])
@roles_required("applicant")
def my_organisation_page():
    """我的单位; its forms: invite a colleague, revoke an invitation, correct a refused registration."""
    values, errors, message, form = {}, {}, None, request.form.get("form")
    if request.method == "POST":
        try:
            with transaction():
                _act(form)
            return redirect(url_for("web.my_organisation_page"))
        except ServiceError as err:
            message, errors = err.message, err.fields
            values = {name: request.form.get(name, "").strip() for name in (*FIELDS, "email")}
    page = my_organisation(me())
    return render_template("organisation.html", page=page, values=values, errors=errors, message=message,
                           names=_names_on(page), failed_form=form, mine=True, kinds=KINDS), \
        422 if errors else 409 if message else 200


def _names_on(page: dict) -> dict[str, str]:
    """Who decided on the registration, invited a colleague or renamed the unit, by name (one query)."""
    return display_names([page["organisation"]["decided_by"], *(i["invited_by"] for i in page["invitations"]),
                          *(c["changed_by"] for c in page["name_history"])])


def _act(form: str | None) -> None:
    if form == "invite":
        link = invite(me(), request.form.get("email", ""), public_url=_public_url())
        flash(f"邀请已发往 {link.email}", "success")
    elif form == "revoke":
        revoke_invitation(me(), id_from(request.form.get("invitation")) or 0)
        flash("邀请已撤销", "success")
    elif form == "resubmit":
        given = {name: request.form.get(name, "") for name in FIELDS if name in request.form}
        resubmit(me(), given, public_url=_public_url())
        flash("已重新提交，等待所在市州工信部门确认", "success")
    else:
        flash("未知的操作", "error")
