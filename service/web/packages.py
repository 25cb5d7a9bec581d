"""推荐材料 pages: the city orders, freezes, uploads its sealed files and sends; the province registers receipt."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.platform.errors import Invalid, ServiceError
from service.platform.inputs import id_from
from service.platform.reference import CITIES
from service.platform.storage import files_folder
from service.platform.transactions import transaction
from service.rounds import packages
from service.rounds.service import get_round_or_404
from service.web.base import bp, flash_error, me, roles_required

CITY_PAGE_ROLES = ("city_reviewer", "province_staff", "admin", "auditor")


def _flash_fields(err: ServiceError) -> None:
    flash_error(err)
    for field, reasons in (err.fields or {}).items():
        for reason in (reasons.values() if isinstance(reasons, dict) else [reasons]):
            for line in (reason if isinstance(reason, list) else [reason]):
                flash(f"{line}" if field == "ranks" else f"{packages.FIELD_LABELS.get(field, field)}：{line}", "error")


def _back(round_id: int, city_code: str):
    return redirect(url_for("web.city_package_page", round_id=round_id, city_code=city_code))


@bp.get("/rounds/<int:round_id>/cities/<city_code>/package")
@roles_required(*CITY_PAGE_ROLES)
def city_package_page(round_id, city_code):
    round_ = get_round_or_404(round_id)
    view = packages.city_view(me(), round_, city_code)
    return render_template("city_package.html", round_=round_, view=view, me=me(),
                           acts=packages.may_act_for_city(me(), city_code),
                           receives=packages.may_register_package_receipt(me()))


@bp.post("/rounds/<int:round_id>/cities/<city_code>/package")
@roles_required("city_reviewer")
def city_package_freeze(round_id, city_code):
    get_round_or_404(round_id)
    ranks = []
    for key, value in request.form.items():
        application_id = id_from(key.removeprefix("rank-")) if key.startswith("rank-") else None
        if application_id is not None:
            rank = id_from(value.strip())
            ranks.append({"application_id": application_id, "rank": rank if rank is not None else value.strip()})
    try:
        if request.form.get("confirm") != "yes":
            raise Invalid("请勾选确认：封存后推荐汇总表不能再修改", fields={"confirm": ["请确认"]})
        with transaction():
            package = packages.freeze(user=me(), round_id=round_id, city_code=city_code, ranks=ranks,
                                      filler_name=request.form.get("filler_name", ""),
                                      filler_phone=request.form.get("filler_phone", ""), folder=files_folder())
            flash(f"已封存第 {package.number} 批推荐材料（{len(package.members)} 个申报），"
                  f"推荐汇总表 SHA-256：{package.table_sha256[:16]}…", "success")
    except ServiceError as err:
        _flash_fields(err)
    return _back(round_id, city_code)


@bp.post("/packages/<int:package_id>/files/<any(letter, sealed_table):kind>")
@roles_required("city_reviewer")
def city_package_upload(package_id, kind):
    upload = request.files.get("file")
    try:
        with transaction():
            package = packages.upload(user=me(), package_id=package_id, kind=kind,
                                      filename=upload.filename if upload else "",
                                      content=upload.read() if upload else b"", folder=files_folder())
            round_id, city_code = package.round_id, package.city_code
        flash(f"已上传{packages.FILES[kind]}", "success")
        return _back(round_id, city_code)
    except ServiceError as err:
        _flash_fields(err)
        return _back_to_package(package_id)


@bp.post("/packages/<int:package_id>/sent")
@roles_required("city_reviewer")
def city_package_sent(package_id):
    try:
        with transaction():
            package = packages.confirm_sent(user=me(), package_id=package_id, note=request.form.get("note", ""))
            round_id, city_code = package.round_id, package.city_code
        flash("已确认寄送，等待省厅签收", "success")
        return _back(round_id, city_code)
    except ServiceError as err:
        _flash_fields(err)
        return _back_to_package(package_id)


@bp.post("/packages/<int:package_id>/received")
@roles_required("province_staff")
def city_package_received(package_id):
    try:
        with transaction():
            package = packages.register_receipt(user=me(), package_id=package_id)
            round_id, count = package.round_id, len(package.members)
        flash(f"已登记签收，{count} 个推荐申报进入形式审查", "success")
        return redirect(url_for("web.round_packages_page", round_id=round_id))
    except ServiceError as err:
        _flash_fields(err)
        return _back_to_package(package_id)


def _back_to_package(package_id: int):
    package = packages.package_or_404(me(), package_id)
    if package.city_code == me().city_code:
        return _back(package.round_id, package.city_code)
    return redirect(url_for("web.round_packages_page", round_id=package.round_id))


@bp.get("/rounds/<int:round_id>/packages")
@roles_required("province_staff", "admin", "auditor")
def round_packages_page(round_id):
    round_ = get_round_or_404(round_id)
    return render_template("round_packages.html", round_=round_, rows=packages.round_view(me(), round_),
                           receives=packages.may_register_package_receipt(me()), CITY_NAMES=CITIES)
