"""The roles page for the administrator: the deployment's roles and a form to add one."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.accounts.roles import ADDABLE_SCOPES, SCOPES, add_role, all_roles
from service.platform.errors import ServiceError
from service.platform.transactions import transaction
from service.web.base import bp, flash_error, me, roles_required


def _render(values, errors, status=200):
    return render_template("roles.html", roles=all_roles(), scopes=SCOPES, addable=ADDABLE_SCOPES,
                           values=values, errors=errors), status


@bp.get("/admin/roles")
@roles_required("admin")
def roles():
    return _render({"scope": "none", "works_tasks": True}, {})


@bp.post("/admin/roles")
@roles_required("admin")
def role_add():
    form = request.form
    values = {"key": form.get("key", ""), "name": form.get("name", ""), "scope": form.get("scope", ""),
              "works_tasks": form.get("works_tasks") == "1"}
    try:
        with transaction():
            name = add_role(actor=me().username, values=values).name
    except ServiceError as err:
        flash_error(err)
        return _render(values, err.fields, 422)
    flash(f"已添加角色“{name}”：可在账号管理中授予账号，并在流程图中用作泳道名", "success")
    return redirect(url_for("web.roles"))
