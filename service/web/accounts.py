"""Account pages for the administrator: the list, the create and edit form, (de)activation, xlsx import and export."""
from __future__ import annotations

import io

from flask import current_app, flash, redirect, render_template, request, send_file, url_for

from service.accounts.admin import (PROFILE, account_kinds, create_account, deactivate_account, get_account_or_404,
                                    list_accounts, reactivate_account, reissue_access, update_account)
from service.accounts.roles import role_names
from service.accounts.bulk import MAX_BYTES, MAX_ROWS, export_workbook, import_accounts, template_workbook
from service.audit import chain as audit
from service.platform.errors import Invalid, ServiceError
from service.platform.inputs import id_from, text_problem
from service.platform.reference import CITIES
from service.platform.transactions import transaction
from service.web.base import bp, flash_error, me, roles_required

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters() -> dict:
    args = request.args
    active = {"1": True, "0": False}.get(args.get("active", ""))
    return {"role": args.get("role") if args.get("role") in role_names() else None,
            "city": args.get("city") if args.get("city") in CITIES else None,
            "active": active, "q": _search_text(args.get("q"))}


def _search_text(value: str | None) -> str | None:
    text = (value or "").strip()[:64]
    return text if text and not text_problem(text) else None  # a NUL would reach PostgreSQL and fail there


def _page() -> int:
    page = id_from(request.args.get("page", "1")) or 1
    return min(max(page, 1), 10 ** 6)


def _form_values() -> dict:
    """What the form posted, as the service takes it (lists from checkboxes, text as typed)."""
    form = request.form
    return {"display_name": form.get("display_name", ""), "roles": form.getlist("roles"),
            "city_code": form.get("city_code", ""), "email": form.get("email", ""), "phone": form.get("phone", ""),
            "employer": form.get("employer", ""), "specialties": form.getlist("specialties"),
            "industry_codes": form.get("industry_codes", "")}


@bp.get("/admin/accounts")
@roles_required("admin")
def accounts():
    filters = _filters()
    result = list_accounts(page=_page(), page_size=PAGE_SIZE, **filters)
    pages = max(1, -(-result["total"] // PAGE_SIZE))
    return render_template("accounts.html", result=result, pages=pages, filters=filters, kinds=account_kinds())


def _render_form(account, values, errors, status=200):
    return render_template("account_form.html", account=account, values=values, errors=errors,
                           kinds=account_kinds()), status


@bp.route("/admin/accounts/new", methods=["GET", "POST"])
@roles_required("admin")
def account_new():
    if request.method == "GET":
        return _render_form(None, {"roles": [], "specialties": []}, {})
    values = {"username": request.form.get("username", ""), **_form_values()}
    try:
        with transaction():
            created = create_account(actor=me().username, values=values, roles_allowed=tuple(account_kinds()),
                                     base_url=current_app.config["GREENLIST_PUBLIC_URL"])
            account_id, username, email = created.user.id, created.user.username, created.user.email
            password = created.temporary_password
    except ServiceError as err:
        flash_error(err)
        return _render_form(None, values, err.fields, 422)
    if password:
        # Shown once, on this response only: never stored in the session or a flash message.
        return render_template("account_created.html", username=username, password=password, account_id=account_id)
    flash(f"已创建账号“{username}”，设置密码的链接已发送至 {email}", "success")
    return redirect(url_for("web.account_edit", account_id=account_id))


@bp.route("/admin/accounts/<int:account_id>", methods=["GET", "POST"])
@roles_required("admin")
def account_edit(account_id):
    account = get_account_or_404(account_id)
    if request.method == "GET":
        return _render_form(account, {field: getattr(account, field) for field in PROFILE}, {})
    values = _form_values()
    try:
        with transaction():
            changed = update_account(get_account_or_404(account_id), actor=me().username, changes=values,
                                     roles_allowed=tuple(account_kinds()))
    except ServiceError as err:
        flash_error(err)
        return _render_form(get_account_or_404(account_id), values, err.fields, 422)
    flash("已保存修改" if changed else "没有需要保存的修改", "success" if changed else "info")
    return redirect(url_for("web.account_edit", account_id=account_id))


@bp.post("/admin/accounts/<int:account_id>/deactivate")
@roles_required("admin")
def account_deactivate(account_id):
    return _switch(account_id, deactivate_account, "已停用账号“{}”，其登录已全部失效")


@bp.post("/admin/accounts/<int:account_id>/reactivate")
@roles_required("admin")
def account_reactivate(account_id):
    return _switch(account_id, reactivate_account, "已重新启用账号“{}”")


@bp.post("/admin/accounts/<int:account_id>/reissue-password")
@roles_required("admin")
def account_reissue(account_id):
    try:
        with transaction():
            given = reissue_access(get_account_or_404(account_id), actor=me().username,
                                   base_url=current_app.config["GREENLIST_PUBLIC_URL"])
            username, email, password = given.user.username, given.user.email, given.temporary_password
    except ServiceError as err:
        if err.status == 404:
            raise
        flash_error(err)
        return redirect(url_for("web.account_edit", account_id=account_id))
    if password:
        return render_template("account_created.html", username=username, password=password, account_id=account_id,
                               reissued=True)
    flash(f"已向 {email} 重新发送设置密码的链接（之前的链接已作废）", "success")
    return redirect(url_for("web.account_edit", account_id=account_id))


def _switch(account_id, command, message):
    try:
        with transaction():
            account = get_account_or_404(account_id)
            command(account, actor=me().username)
            username = account.username
        flash(message.format(username), "success")
    except ServiceError as err:
        if err.status == 404:
            raise
        flash_error(err)
    return redirect(url_for("web.account_edit", account_id=account_id))


@bp.route("/admin/accounts/import", methods=["GET", "POST"])
@roles_required("admin")
def accounts_import():
    context = {"max_rows": MAX_ROWS, "max_mb": MAX_BYTES // 1024 // 1024, "problems": [], "result": None}
    if request.method == "GET":
        return render_template("accounts_import.html", **context)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid("请选择要导入的 .xlsx 文件", fields={"file": ["请选择文件"]})
        with transaction():
            context["result"] = import_accounts(upload.read(), actor=me().username, filename=upload.filename,
                                                base_url=current_app.config["GREENLIST_PUBLIC_URL"])
    except ServiceError as err:
        context["message"] = err.message.split("：", 1)[0]
        context["problems"] = err.fields.get("file", [])
        return render_template("accounts_import.html", **context), err.status
    return render_template("accounts_import.html", **context)


@bp.get("/admin/accounts/template.xlsx")
@roles_required("admin")
def accounts_template():
    return send_file(io.BytesIO(template_workbook()), mimetype=XLSX, as_attachment=True,
                     download_name="账号导入模板.xlsx")


@bp.get("/admin/accounts/export.xlsx")
@roles_required("admin")
def accounts_export():
    filters = {k: v for k, v in _filters().items() if k != "q" and v is not None}
    content = export_workbook(**filters)
    with transaction():
        audit.append(audit.SYSTEM_CHAIN, actor=me().username, action="accounts_exported", data=filters)
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name="账号清单.xlsx")
