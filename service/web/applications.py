"""Application pages: the applicant's own list and start, everyone's list, one application's whole path."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from service.audit import chain as audit
from service.applications.views import list_applications
from service.applications.inbox import sent_back
from service.applications.commands import start_application
from service.applications.repair import repair_view, sees_faults
from service.applications.attachments import UploadLimits
from service.applications.batch import ObjectionSchema, record_objection_with_files, waits_for
from service.platform.errors import Invalid, ServiceError
from service.platform.extensions import db
from service.platform.inputs import id_from
from service.platform.reference import CITIES
from service.platform.storage import files_folder
from service.web.filters import CATEGORIES
from service.versions.models import ProcessVersion
from service.rounds.models import Round
from service.applications.models import WorkItem
from service.organisations.models import Organisation
from service.platform.timeutil import utcnow
from service.platform.transactions import transaction
from service.web.base import bp, flash_error, me, roles_required
from service.web.inbox import PAGE_SIZE, _page_arg
from service.web.actions import application_actions
from service.web.presenters import application_page, dump


def open_rounds() -> list[Round]:
    return db.session.scalars(select(Round).where(Round.status == "open", Round.unit_deadline > utcnow())
                              .order_by(Round.year.desc(), Round.id.desc())).all()


@bp.get("/my")
@roles_required("applicant")
def my_applications():
    result = list_applications(me(), page=_page_arg(), page_size=PAGE_SIZE)
    ids = [application.id for application in result["items"]]
    own_tasks = {application_id: [] for application_id in ids}
    for item in db.session.scalars(select(WorkItem).where(WorkItem.application_id.in_(ids),
                                                          WorkItem.role == "applicant")) if ids else ():
        own_tasks[item.application_id].append(item)
    # 已退回 with the reviewer's comment, for those whose declaration is back with the unit.
    returned = sent_back(me(), [application_id for application_id, items in own_tasks.items() if items])
    unit = db.session.get(Organisation, me().organisation_id) if me().organisation_id else None
    return render_template("my_applications.html", result=result, rounds=open_rounds(), own_tasks=own_tasks,
                           returned=returned, unit=unit)


@bp.post("/my/start")
@roles_required("applicant")
def start():
    round_id, category = request.form.get("round", ""), request.form.get("category", "")
    try:
        if id_from(round_id) is None:
            raise Invalid("请选择批次", fields={"round": ["请选择批次"]})
        with transaction():
            application = start_application(round_id=id_from(round_id), category=category, user=me())
            application_id, number = application.id, application.number
    except ServiceError as err:
        flash_error(err)
        return redirect(url_for("web.my_applications"))
    item = db.session.scalar(select(WorkItem).where(WorkItem.application_id == application_id,
                                                    WorkItem.role == "applicant"))
    flash(f"已创建{CATEGORIES.get(category, category)}申报（编号 {number}），请填写申报书", "success")
    if item is None:
        return redirect(url_for("web.application", application_id=application_id))
    return redirect(url_for("web.task", task_id=item.task_id))


@bp.get("/applications")
@login_required
def applications():
    filters = {"round_id": id_from(request.args.get("round")),
               "city_code": request.args.get("city") if request.args.get("city") in CITIES else None,
               "category": request.args.get("category") if request.args.get("category") in CATEGORIES else None,
               "q": request.args.get("q")}
    result = list_applications(me(), page=_page_arg(), page_size=PAGE_SIZE, **filters)
    pages = max((result["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    rounds = db.session.scalars(select(Round).order_by(Round.year.desc())).all()
    return render_template("applications.html", result=result, pages=pages, filters=filters, rounds=rounds)


@bp.get("/applications/<int:application_id>")
@login_required
def application(application_id):
    page = application_page(me(), application_id)
    can_object = me().has_role("province_staff") and waits_for(page["application"], "objection")
    versions = db.session.scalars(select(ProcessVersion).where(ProcessVersion.id != page["application"].process_version_id)
                                  .order_by(ProcessVersion.number.desc())).all() if me().has_role("admin") else []
    repair = repair_view(me(), page["application"]) if sees_faults(me()) else None
    return render_template("application.html", page=page, diagram_json=dump(page["diagram"]), can_object=can_object,
                           versions=versions, repair=repair, actions=application_actions(me(), page["application"]))


@bp.get("/applications/<int:application_id>/audit")
@login_required  # whoever may see the application (application_page decides), roles added later included
def audit_print(application_id):
    """The printable audit record: the trail with every step's data, the path on the diagram, the check."""
    page = application_page(me(), application_id)
    with transaction():  # every read of an export is itself on the record
        audit.append(audit.SYSTEM_CHAIN, actor=me().username, action="report_exported",
                     data={"report": "audit_print", "application_id": application_id, "verified": page["verified"]})
    return render_template("audit_print.html", page=page, diagram_json=dump(page["diagram"]), printed_at=utcnow())


@bp.route("/applications/<int:application_id>/objection", methods=["GET", "POST"])
@roles_required("province_staff")
def objection(application_id):
    page = application_page(me(), application_id)
    values, errors, message = {}, {}, None
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in ObjectionSchema().fields
                  if name != "attachment_ids"}
        files = [(f.filename or "", f.read()) for f in request.files.getlist("evidence_files") if f.filename]
        try:
            with transaction():
                # An empty box is a missing answer, and gets the "required" message.
                record_objection_with_files(application_id=application_id,
                                            data={k: v for k, v in values.items() if v}, files=files, user=me(),
                                            folder=files_folder(), limits=UploadLimits.from_config(current_app.config))
            flash("异议已登记，已转入异议处理", "success")
            return redirect(url_for("web.application", application_id=application_id))
        except ServiceError as err:
            message, errors = err.message, err.fields
    return render_template("objection.html", page=page, values=values, errors=errors, message=message), \
        (422 if errors else 409 if message else 200)
