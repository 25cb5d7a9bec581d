"""Process administration pages: versions, the draft editor, comparison, next year's round, moves.

The editor page is a shell: bpmn-js's modeler, form-js's editor and the rule text are driven by a script
over the drafts API, so the browser and the API do exactly the same things.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from service.engine.diff import diff_bundles
from service.versions.drafts import bundle_of, create_draft, files_of, get_draft_or_404, version_usage
from service.accounts.names import display_names
from service.accounts.roles import lane_roles, role_names
from service.engine.bundle import SERVICE_MESSAGES, Bundle
from service.engine.categories import CATEGORIES_FILE, STANDARD_CATEGORIES, to_json as categories_json
from service.engine.categories import CategoriesInvalid, categories_in
from service.engine.materials import MaterialsInvalid, notice_files_in
from service.platform.errors import Invalid, ServiceError
from service.platform.extensions import db
from service.platform.inputs import id_from
from service.versions.models import ProcessDraft, ProcessVersion
from service.rounds.models import Round
from service.versions.deploy import get_version_or_404
from service.platform.transactions import transaction
from service.applications.moves import check_move, move_application
from service.web.base import bp, flash_error, me, roles_required
from service.web.presenters import dump
from service.web.round_settings import next_round_page


def _main_diagram(bundle: Bundle) -> str:
    return next(iter(bundle.bpmn_files().values()))


@bp.get("/admin/versions")
@roles_required("admin")
def admin_versions():
    versions = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.number.desc())).all()
    drafts = db.session.scalars(select(ProcessDraft).order_by(ProcessDraft.id.desc())).all()
    rounds = db.session.scalars(select(Round).order_by(Round.year.desc(), Round.id.desc())).all()
    names = display_names([v.deployed_by for v in versions] + [d.updated_by for d in drafts])
    return render_template("admin_versions.html", versions=versions, usage=version_usage(), drafts=drafts,
                           rounds=rounds, numbers={v.id: v.number for v in versions}, names=names)


@bp.get("/admin/versions/<int:version_id>")
@roles_required("admin")
def admin_version(version_id):
    version = get_version_or_404(version_id)
    bundle = Bundle.from_json(version.bundle)
    return render_template("admin_version.html", version=version, files=files_of(bundle),
                           names=display_names([version.deployed_by]),
                           diagram_json=dump({"xml": _main_diagram(bundle)}))


@bp.post("/admin/drafts")
@roles_required("admin")
def admin_new_draft():
    version_id = request.form.get("from_version", "")
    try:
        if id_from(version_id) is None:
            raise Invalid("请选择底稿版本", fields={"from_version": ["必填项"]})
        with transaction():
            draft_id = create_draft(actor=me().username, from_version_id=id_from(version_id),
                                    name=request.form.get("name") or None).id
    except ServiceError as err:
        flash_error(err)
        return redirect(url_for("web.admin_versions"))
    return redirect(url_for("web.admin_draft", draft_id=draft_id))


@bp.get("/admin/drafts/<int:draft_id>")
@roles_required("admin")
def admin_draft(draft_id):
    draft = get_draft_or_404(draft_id)
    bundle = bundle_of(draft)
    rounds = db.session.scalars(select(Round).order_by(Round.year.desc(), Round.id.desc())).all()
    # A draft whose diagram was deleted still opens: the editor starts an empty one under this name.
    main = next((name for name in sorted(bundle.processes) if name.endswith(".bpmn")), "process.bpmn")
    lanes = lane_roles()  # a lane is named by a role's Chinese name or its key
    context = {"draft_id": draft.id, "revision": draft.revision, "files": files_of(bundle),
               "main": "processes/" + main,
               "deployed": draft.deployed_version_id is not None,
               "categories": bundle.processes.get(CATEGORIES_FILE) or categories_json(STANDARD_CATEGORIES),
               "lane_roles": {**lanes, **{key: key for key in lanes.values()}}, "role_names": role_names(),
               "messages": list(SERVICE_MESSAGES)}
    return render_template("admin_draft.html", draft=draft, rounds=rounds, context_json=dump(context),
                           names=display_names([draft.created_by, draft.updated_by]),
                           notice_files=_notice_files(bundle), category_names=_category_names(bundle))


def _notice_files(bundle: Bundle) -> list:
    try:
        return list(notice_files_in(bundle.processes))
    except MaterialsInvalid:
        return []  # the validation names the problem; the tab then offers to upload afresh


def _category_names(bundle: Bundle) -> dict[str, str]:
    try:
        return {c.key: c.name for c in categories_in(bundle.processes)}
    except CategoriesInvalid:
        return {c.key: c.name for c in STANDARD_CATEGORIES}


@bp.get("/admin/compare")
@roles_required("admin")
def admin_compare():
    versions = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.number)).all()
    a, b = id_from(request.args.get("a")), id_from(request.args.get("b"))
    draft_id = id_from(request.args.get("draft"))
    diff = old = new = None
    if draft_id:
        draft = get_draft_or_404(draft_id)
        old, new_bundle = get_version_or_404(draft.base_version_id), bundle_of(draft)
        new = {"label": f"草稿“{draft.name}”", "xml": _main_diagram(new_bundle)}
        diff = diff_bundles(Bundle.from_json(old.bundle), new_bundle)
    elif a and b:
        old, newer = get_version_or_404(a), get_version_or_404(b)
        new = {"label": f"第 {newer.number} 版", "xml": _main_diagram(Bundle.from_json(newer.bundle))}
        diff = diff_bundles(Bundle.from_json(old.bundle), Bundle.from_json(newer.bundle))
    payload = None
    if diff is not None:
        payload = {"old": {"label": f"第 {old.number} 版", "xml": _main_diagram(Bundle.from_json(old.bundle))},
                   "new": new, "diff": diff}
    return render_template("admin_compare.html", versions=versions, a=a, b=b, diff=diff,
                           compare_json=dump(payload) if payload else None, old=old, new=new)


@bp.route("/admin/rounds/<int:round_id>/next", methods=["GET", "POST"])
@roles_required("admin")
def admin_next_round(round_id):
    previous = db.session.get(Round, round_id)
    if previous is None:
        return render_template("error.html", status=404, message=f"批次 {round_id} 不存在"), 404
    return next_round_page(previous)


@bp.post("/admin/applications/<int:application_id>/move")
@roles_required("admin")
def admin_move(application_id):
    version_id = request.form.get("process_version_id", "")
    target = url_for("web.application", application_id=application_id)
    try:
        if id_from(version_id) is None:
            raise Invalid("请选择目标版本", fields={"process_version_id": ["必填项"]})
        if request.form.get("confirm") != "yes":
            check = check_move(application_id, id_from(version_id))
            if check["allowed"]:
                flash(f"检查通过：可以从第 {check['from_version']} 版迁移到第 {check['to_version']} 版。"
                      "填写原因后点“确认迁移”", "info")
                return redirect(f"{target}?move_to={version_id}")
            for reason in check["reasons"]:
                flash(f"不能迁移：{reason}", "error")
            return redirect(target)
        note = request.form.get("note", "").strip()
        if not note:
            raise Invalid("请说明迁移原因", fields={"note": ["必填项"]})
        with transaction():
            move_application(application_id, id_from(version_id), user=me(), note=note)
        flash("已迁移，审计记录已写入", "success")
    except ServiceError as err:
        flash_error(err)
    return redirect(target)
