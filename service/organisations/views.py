"""What the 我的单位 page and the bureau's registration pages show about one organisation: one read model."""
from __future__ import annotations

from sqlalchemy import select

from service.accounts.models import User
from service.organisations.invitations import pending_invitations
from service.organisations.models import KINDS, STATUSES, Organisation, OrganisationNameChange
from service.organisations.service import check_may_manage, get_organisation_or_404
from service.platform.errors import NotFound
from service.platform.extensions import db
from service.platform.reference import CITIES

MAX_COLLEAGUES = 200  # a unit has a handful of 经办人; the cap keeps a page bounded whatever happens


def organisation_summary(organisation: Organisation) -> dict:
    return {"id": organisation.id, "credit_code": organisation.credit_code, "name": organisation.name,
            "kind": organisation.kind, "kind_name": KINDS.get(organisation.kind, organisation.kind),
            "city_code": organisation.city_code, "city_name": CITIES.get(organisation.city_code, ""),
            "county": organisation.county, "address": organisation.address,
            "legal_representative": organisation.legal_representative,
            "contact_name": organisation.contact_name, "contact_phone": organisation.contact_phone,
            "contact_email": organisation.contact_email, "outside_jilin": organisation.outside_jilin,
            "status": organisation.status, "status_name": STATUSES.get(organisation.status, organisation.status),
            "status_reason": organisation.status_reason, "decided_by": organisation.decided_by,
            "decided_at": organisation.decided_at, "created_at": organisation.created_at}


def organisation_page(organisation: Organisation) -> dict:
    """The organisation with its accounts, pending invitations and name history."""
    colleagues = db.session.scalars(select(User).where(User.organisation_id == organisation.id)
                                    .order_by(User.id).limit(MAX_COLLEAGUES)).all()
    history = db.session.scalars(select(OrganisationNameChange)
                                 .where(OrganisationNameChange.organisation_id == organisation.id)
                                 .order_by(OrganisationNameChange.id.desc()).limit(100)).all()
    return {"organisation": organisation_summary(organisation),
            "colleagues": [{"id": u.id, "username": u.username, "display_name": u.display_name, "email": u.email,
                            "phone": u.phone, "active": bool(u.active),
                            "email_verified": u.email_verified_at is not None} for u in colleagues],
            "invitations": [{"id": link.id, "email": link.email, "invited_by": (link.data or {}).get("invited_by"),
                             "created_at": link.created_at, "expires_at": link.expires_at}
                            for link in pending_invitations(organisation.id)],
            "name_history": [{"old_name": c.old_name, "new_name": c.new_name, "reason": c.reason,
                              "changed_by": c.changed_by, "changed_at": c.changed_at} for c in history]}


def my_organisation(user: User) -> dict:
    """An applicant's own unit (404 for an account that belongs to none)."""
    if user.organisation_id is None:
        raise NotFound("您的账号不属于任何申报单位", code="no_organisation")
    return organisation_page(get_organisation_or_404(user.organisation_id))


def organisation_for(user: User, organisation_id: int) -> dict:
    """Any unit ``user`` may look at: its own accounts, its city bureau, the province (check_may_manage)."""
    organisation = get_organisation_or_404(organisation_id)
    check_may_manage(user, organisation)
    return organisation_page(organisation)
