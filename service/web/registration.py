"""The public pages of self-registration: 注册, the e-mail verification link, and joining a unit by invitation."""
from __future__ import annotations

from flask import current_app, render_template, request

from service.accounts import links
from service.organisations.invitations import invitation_for, join
from service.organisations.models import KINDS
from service.organisations.registration import already_registered, register_unit, verify_email
from service.organisations.service import FIELDS
from service.platform.errors import ServiceError
from service.platform.transactions import transaction
from service.web.base import bp

REGISTRATION_FIELDS = (*FIELDS, "username")  # the password is never sent back into the page


def _status(errors: dict, message: str | None, err: ServiceError | None = None) -> int:
    return err.status if err else 422 if errors else 200


@bp.route("/register", methods=["GET", "POST"])
def register_page():
    values, errors, message, err = {}, {}, None, None
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in REGISTRATION_FIELDS}
        try:
            with transaction():  # a refused second registration still commits the unit's notice
                organisation = register_unit({**values, "password": request.form.get("password", "")},
                                             remote_addr=request.remote_addr or "unknown",
                                             public_url=current_app.config["GREENLIST_PUBLIC_URL"])
                done = {"name": organisation.name, "email": organisation.contact_email} if organisation else None
            if done is None:
                raise already_registered()
            return render_template("register_sent.html", done=done), 201
        except ServiceError as caught:
            err, message, errors = caught, caught.message, caught.fields
    return render_template("register.html", values=values, errors=errors, message=message, kinds=KINDS), \
        _status(errors, message, err)


@bp.route("/register/verify/<token>", methods=["GET", "POST"])
def verify_page(token):
    """GET shows a button, POST spends the link: a mail scanner that opens links must not use it up."""
    if request.method == "GET":
        links.peek(token, "verify_email")  # a used or expired link says so at once
        return render_template("register_verify.html", token=token)
    with transaction():
        organisation = verify_email(token, public_url=current_app.config["GREENLIST_PUBLIC_URL"])
        name = organisation.name
    return render_template("register_verify.html", verified=name)


@bp.route("/join/<token>", methods=["GET", "POST"])
def join_page(token):
    link, organisation = invitation_for(token)
    values, errors, message, err = {}, {}, None, None
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in ("username", "display_name", "phone")}
        try:
            with transaction():
                join(token, {**values, "password": request.form.get("password", "")})
            return render_template("join.html", joined=organisation.name, username=values["username"])
        except ServiceError as caught:
            err, message, errors = caught, caught.message, caught.fields
    return render_template("join.html", organisation=organisation, email=link.email, values=values, errors=errors,
                           message=message, invited_by=(link.data or {}).get("invited_by_name")), \
        _status(errors, message, err)
