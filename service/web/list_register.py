"""名单库 pages for the province: search and filter the register, one entry with its history and the 动态调整
form, the import of an earlier year's list, the export for national nominations."""
from __future__ import annotations

import io
import math
from datetime import date
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, send_file, url_for

from service.accounts.names import display_names
from service.platform.errors import Invalid, ServiceError
from service.platform.inputs import id_from
from service.platform.reference import CITIES
from service.platform.transactions import transaction
from service.register import files as register_files
from service.register import service as register
from service.register.models import LISTED, REMOVED, STATUS_LABELS
from service.versions.categories import known_categories
from service.web.base import bp, me, roles_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 20


def document_folder() -> Path:
    base = current_app.config.get("GREENLIST_ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments"
    return Path(base) / "register"


def _filters() -> dict:
    categories = known_categories()
    status = request.args.get("status", LISTED)
    return {"q": (request.args.get("q") or "").strip()[:100],
            "category": request.args.get("category") if request.args.get("category") in categories else None,
            "city": request.args.get("city") if request.args.get("city") in CITIES else None,
            "status": status if status in (LISTED, REMOVED, "all") else LISTED}


def _query(filters: dict, page: int = 1) -> register.Query:
    return register.Query(q=filters["q"], category=filters["category"], city=filters["city"],
                          status=None if filters["status"] == "all" else filters["status"], page=page,
                          page_size=PAGE_SIZE)


@bp.get("/list-register")
@roles_required(*register.READERS)
def list_register():
    filters = _filters()
    page = min(max(id_from(request.args.get("page")) or 1, 1), 10 ** 6)
    rows, total = register.search(_query(filters, page))
    return render_template("list_register.html", result={"items": rows, "total": total, "page": page},
                           pages=max(1, math.ceil(total / PAGE_SIZE)), filters=filters,
                           categories=known_categories(), STATUS_LABELS=STATUS_LABELS,
                           keeper=any(me().has_role(r) for r in register.KEEPERS))


def _entry_page(entry_id: int, *, errors=None, typed=None, status=200):
    entry = register.get_entry_or_404(entry_id)
    history = register.history(entry.id)
    return render_template("list_register_entry.html", entry=entry, history=history,
                           names=display_names(change.recorded_by for change in history),
                           STATUS_LABELS=STATUS_LABELS, errors=errors or {}, typed=typed or {},
                           keeper=any(me().has_role(r) for r in register.KEEPERS), today=register.today()), status


@bp.get("/list-register/<int:entry_id>")
@roles_required(*register.READERS)
def list_register_entry(entry_id):
    return _entry_page(entry_id)


@bp.post("/list-register/<int:entry_id>/removal")
@roles_required(*register.KEEPERS)
def list_register_removal(entry_id):
    typed = {k: request.form.get(k, "") for k in ("reason", "effective_on", "document_number")}
    upload = request.files.get("document")
    document = register.Document(upload.filename or "", upload.read()) if upload and upload.filename else None
    try:
        effective_on = None
        if typed["effective_on"].strip():
            try:
                effective_on = date.fromisoformat(typed["effective_on"].strip())
            except ValueError:
                raise Invalid("动态调整信息不完整", fields={"effective_on": ["调整日期应为 YYYY-MM-DD"]}) from None
        with transaction():
            register.remove(entry_id, reason=typed["reason"], effective_on=effective_on,
                            document_number=typed["document_number"], document=document, user=me(),
                            folder=document_folder())
    except ServiceError as err:
        if err.status != 422:
            flash(err.message, "error")
            return redirect(url_for("web.list_register_entry", entry_id=entry_id))
        return _entry_page(entry_id, errors=err.fields, typed=typed, status=422)
    flash("已记录动态调整：该单位已调出名单；其近三年内的申报将在资格审查时按名单库记录排除。", "success")
    return redirect(url_for("web.list_register_entry", entry_id=entry_id))


@bp.get("/list-register/documents/<int:change_id>")
@roles_required(*register.READERS)
def list_register_document(change_id):
    change = register.removal_document(change_id, me())
    response = send_file(document_folder() / change.document_stored, mimetype="application/pdf", as_attachment=True,
                         download_name=change.document_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/list-register/import", methods=["GET", "POST"])
@roles_required(*register.KEEPERS)
def list_register_import():
    context = {"max_rows": register_files.MAX_ROWS, "problems": [], "imported": None}
    if request.method == "GET":
        return render_template("list_register_import.html", **context)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid("请选择要导入的 .xlsx 文件", fields={"file": ["请选择文件"]})
        with transaction():
            context["imported"] = len(register_files.import_workbook(upload.read(), filename=upload.filename,
                                                                     user=me()))
    except ServiceError as err:
        context["message"] = err.message
        context["problems"] = err.fields.get("file", [])
        return render_template("list_register_import.html", **context), err.status
    return render_template("list_register_import.html", **context)


@bp.get("/list-register/template.xlsx")
@roles_required(*register.KEEPERS)
def list_register_template():
    return send_file(io.BytesIO(register_files.template_workbook()), mimetype=XLSX, as_attachment=True,
                     download_name="省级绿色制造名单导入模板.xlsx")


@bp.get("/list-register/export.xlsx")
@roles_required(*register.READERS)
def list_register_export():
    filters = _filters()
    if filters["status"] == REMOVED:
        filters["status"] = "all"
    with transaction():
        content = register_files.export_workbook(_query(filters), user=me())
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"省级绿色制造名单库-{register.today():%Y%m%d}.xlsx")
