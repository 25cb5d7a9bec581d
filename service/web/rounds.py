"""The round page for province staff: where applications stand, the notice and publish batches, objections."""
from __future__ import annotations

from collections import defaultdict

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from service.accounts.names import display_names
from service.applications.access import sees_ranking
from service.applications.batch import BATCH_LABELS, awaiting, batch_action
from service.engine.bundle import Bundle
from service.platform.errors import Invalid, ServiceError
from service.platform.extensions import db
from service.platform.inputs import id_from
from service.versions.categories import version_categories
from service.versions.models import ProcessVersion
from service.rounds.models import Round
from service.rounds.changes import deadline_history, has_started
from service.rounds.service import get_round_or_404
from service.rounds.ranking import ranking_by_application, round_ranking
from service.rounds.statistics import round_statistics, stage_counts
from service.platform.transactions import transaction
from service.web.base import bp, flash_error, me, roles_required
from service.web.presenters import dump
from service.rounds.calendar import current_calendar
from service.rounds.calendar_watch import round_warnings

READERS = ("province_staff", "admin", "auditor")



@bp.get("/rounds")
@roles_required(*READERS)
def rounds():
    return render_template("rounds.html", rounds=db.session.scalars(select(Round).order_by(Round.year.desc(),
                                                                                             Round.id.desc())).all())


@bp.get("/rounds/<int:round_id>")
@roles_required(*READERS)
def round_page(round_id):
    round_ = get_round_or_404(round_id)
    offered = {key: c.name for key, c in version_categories(round_.process_version_id).items()}
    category = request.args.get("category") if request.args.get("category") in offered else None
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cities_present = set()
    for row in stage_counts(round_id):
        if category and row["category"] != category:
            continue
        table[row["stage"] or "未开始"][row["city_code"]] += row["count"]
        table[row["stage"] or "未开始"]["total"] += row["count"]
        cities_present.add(row["city_code"])
    # The ranking, and each application's place in it beside the notice selection: for those who see scores.
    ranking = round_ranking(round_id, me()) if sees_ranking(me()) else None
    ranked = ranking_by_application(ranking) if ranking else {}
    ready_for_notice = sorted(awaiting(round_id, "start_notice"),
                              key=lambda a: (a.category, ranked.get(a.id, {}).get("rank", 10**9), a.city_code, a.id))
    history = deadline_history(round_id)
    return render_template("round.html", round_=round_, table=dict(sorted(table.items())), category=category,
                           offered=offered, ranking=ranking, ranked=ranked,
                           cities_present=cities_present, ready_for_notice=ready_for_notice,
                           ready_for_publish=awaiting(round_id, "publish"),
                           under_notice=awaiting(round_id, "objection"), labels=BATCH_LABELS,
                           version=db.session.get(ProcessVersion, round_.process_version_id),
                           editable=not has_started(round_id), history=history,
                           names=display_names(h.changed_by for h in history),
                           calendar_warnings=round_warnings(round_, current_calendar()))


@bp.post("/rounds/<int:round_id>/batch")
@roles_required("province_staff")
def round_batch(round_id):
    get_round_or_404(round_id)
    action = request.form.get("action", "")
    ids = [id_from(v) for v in request.form.getlist("applications") if id_from(v) is not None]
    try:
        if action not in BATCH_LABELS:
            raise Invalid("未知的批量操作", fields={"action": ["应为启动公示或发布名单"]})
        if not ids:
            raise Invalid("请至少勾选一个申报", fields={"applications": ["不能为空"]})
        with transaction():
            batch_action(message=action, round_id=round_id, application_ids=ids, user=me())
        flash(f"已{BATCH_LABELS[action]}：{len(ids)} 个申报", "success")
    except ServiceError as err:
        flash_error(err)
    return redirect(url_for("web.round_page", round_id=round_id))


@bp.get("/rounds/<int:round_id>/statistics")
@roles_required(*READERS)
def round_statistics_page(round_id):
    """Time per step and missed deadlines, as tables and as a heat map on the round's diagram."""
    round_ = get_round_or_404(round_id)
    figures = round_statistics(round_id)
    version = db.session.get(ProcessVersion, round_.process_version_id)
    slowest = max((row["median_hours"] for row in figures["steps"]), default=0) or 1
    heat = {row["step"]: {"level": min(5, 1 + int(4 * row["median_hours"] / slowest)),
                          "label": f"中位 {row['median_hours']:g} 小时 · 第90百分位 {row['p90_hours']:g} 小时"}
            for row in figures["steps"]}
    missed = {row["step"]: row["count"] for row in figures["missed_deadlines"]}
    diagram = {"xml": next(iter(Bundle.from_json(version.bundle).bpmn_files().values())), "heat": heat,
               "missed": missed}
    return render_template("round_statistics.html", round_=round_, figures=figures, diagram_json=dump(diagram))
