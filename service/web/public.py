"""Public pages, no login: the round's public notice (公示), its published list (认定名单) and the current
provincial list (名单库). Units, credit codes, categories and cities only: nothing personal."""
from __future__ import annotations

import math

from flask import render_template, request

from service.platform.inputs import id_from
from service.platform.reference import CITIES
from service.register import service as register
from service.rounds.notice import DEFAULT_ISSUER, issuer, notice_batches, objection_channel, publications
from service.rounds.service import get_round_or_404
from service.versions.categories import known_categories
from service.web.base import bp

PAGE_SIZE = 50


@bp.get("/lists/<int:round_id>/notice")
def public_notice(round_id):
    """关于{round}拟认定名单的公示: issuer, title, period (working days, as dates), the list, how to object."""
    round_ = get_round_or_404(round_id)
    return render_template("public_notice.html", round_=round_, issuer=issuer(round_),
                           batches=notice_batches(round_), channel=objection_channel(round_))


@bp.get("/lists/<int:round_id>/published")
def public_published(round_id):
    """The round's published list (认定名单), each publication with its date."""
    round_ = get_round_or_404(round_id)
    return render_template("public_published.html", round_=round_, issuer=issuer(round_),
                           batches=publications(round_))


@bp.get("/lists/register")
def public_register():
    """现行省级绿色制造名单: every unit listed now; searchable by name or credit code, filtered, paginated."""
    categories = known_categories()
    filters = {"q": (request.args.get("q") or "").strip()[:100],
               "category": request.args.get("category") if request.args.get("category") in categories else None,
               "city": request.args.get("city") if request.args.get("city") in CITIES else None}
    page = min(max(id_from(request.args.get("page")) or 1, 1), 10 ** 6)
    rows, total = register.search(register.Query(**filters, page=page, page_size=PAGE_SIZE))
    result = {"items": rows, "total": total, "page": page}
    return render_template("public_register.html", result=result, pages=max(1, math.ceil(total / PAGE_SIZE)),
                           filters=filters, categories=categories, issuer=DEFAULT_ISSUER)

