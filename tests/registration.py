"""Helpers for the registration tests: valid credit codes, a registration form, links read from the outbox."""
from __future__ import annotations

import re

from sqlalchemy import select

from service.forms.credit_code import check_character, organisation_code_check
from service.notify.models import Notification
from service.platform.extensions import db


def credit_code(serial: int, *, area: str = "220100") -> str:
    """A credit code with both check digits right (GB 32100 and the embedded GB 11714 organisation code)."""
    organisation = f"{serial:08d}"
    first17 = f"91{area}{organisation}{organisation_code_check(organisation)}"
    return first17 + check_character(first17)


def with_wrong_organisation_digit(code: str) -> str:
    """The same code with the GB 11714 digit (the 17th) wrong and the GB 32100 digit recomputed to match."""
    wrong = "1" if code[16] != "1" else "2"
    first17 = code[:16] + wrong
    return first17 + check_character(first17)


def registration_form(serial: int = 1, **changes) -> dict:
    values = {"credit_code": credit_code(serial), "name": f"长春绿源新材料有限公司{serial}", "kind": "enterprise",
              "city_code": "220100", "county": "长春新区", "contact_name": "王经办", "contact_phone": "13900000001",
              "contact_email": f"wang{serial}@lvyuan.example.cn", "username": f"lvyuan{serial}",
              "password": "Lvyuan-Green-2024"}
    values.update(changes)
    return values


def mails(kind: str) -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)).all()


def link_token(notification: Notification, path: str) -> str:
    """The token of the link to ``path`` (e.g. "/register/verify/") in a mail's body."""
    found = re.search(re.escape(path) + r"([A-Za-z0-9_-]+)", notification.body)
    assert found, notification.body
    return found.group(1)


def registered(serial: int = 1, *, code: str | None = None):
    """The organisation registered with ``registration_form(serial)``'s credit code (or ``code``), or None."""
    from service.organisations.models import Organisation

    return db.session.scalar(select(Organisation).where(Organisation.credit_code == (code or credit_code(serial))))
