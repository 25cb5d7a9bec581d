"""Who may see what: every read is filtered by role and scope here, in one place."""
from __future__ import annotations

from sqlalchemy import exists, false, or_, select, true, union, union_all
from sqlalchemy.orm import aliased

from service.platform.errors import NotFound
from service.platform.extensions import db
from service.applications.models import Application, ApplicationCopy, WorkCount, WorkItem
from service.audit.models import AuditEvent
from service.accounts.models import User, UserRole
from service.accounts.names import display_names
from service.accounts.roles import scope_of, scopes_of

SEE_ALL = ("admin", "auditor", "province_staff")
# The roles this module has rules about by name; a role the deployment added is governed by its scope alone.
BUILT_IN = ("applicant", "city_reviewer", "province_staff", "expert", "admin", "auditor")
EXPERT_LANE_ROLES = ("expert",)


def application_filter(user: User):
    """A WHERE clause selecting the applications ``user`` may see: for one application (an id already in the
    query), where each branch is a cheap test of that row."""
    if any(user.has_role(r) for r in SEE_ALL):
        return true()
    return or_(*(row_test for row_test, _ in _visibility(user)))


def visible_ids(user: User):
    """The ids of the applications ``user`` may see, for a list: a union of index lookups, one per branch of
    the rule (None: everything). An OR of the branches would make PostgreSQL read the whole application table
    for one unit's few applications (no single index answers "this unit's, or copied to me")."""
    if any(user.has_role(r) for r in SEE_ALL):
        return None
    return union_all(*(ids for _, selects in _visibility(user) for ids in selects))


def _visibility(user: User) -> list[tuple]:
    """(test of an application row, the selects of the matching application ids) for each reason ``user`` may
    see an application: the one rule behind application_filter and visible_ids."""
    a = aliased(Application)  # never correlated with the caller's application table
    branches = []
    if user.has_role("city_reviewer") and user.city_code:
        branches.append((Application.city_code == user.city_code,
                         [select(a.id).where(a.city_code == user.city_code)]))
    if user.has_role("applicant") and user.unit_code:
        branches.append((Application.applicant_unit == user.unit_code,  # ix_application_applicant
                         [select(a.id).where(a.applicant_unit == user.unit_code)]))
    if user.has_role("expert") or any(role not in BUILT_IN for role in user.roles or []):
        # Experts and the holders of roles the deployment added: the applications they work or worked on.
        worked = [select(WorkItem.application_id).where(work_item_filter(user)),
                  select(AuditEvent.application_id).where(AuditEvent.actor == user.username,
                                                          AuditEvent.action == "task_completed")]
        branches.append((Application.id.in_(union(*worked)), worked))
    # 抄送: an application copied to the user is theirs to read (the copy index, by user).
    copied = select(ApplicationCopy.application_id).where(ApplicationCopy.user_id == user.id)
    branches.append((Application.id.in_(copied), [copied]))
    return branches


def _scope_columns(user: User, scope: str) -> dict | None:
    """The columns a task of a role with ``scope`` must match for ``user`` to work it (None: no task at all,
    e.g. a city-scoped account without a city)."""
    if scope == "city":
        return {"city_code": user.city_code} if user.city_code else None
    if scope == "organisation":
        return {"applicant_unit": user.unit_code} if user.unit_code else None
    if scope == "assignee":
        return {"assignee": str(user.id)}
    return {}


def _inbox_scopes(user: User) -> list[tuple[str, dict]]:
    """(role, equal columns) of each kind of task ``user`` may work on, by each held role's scope: the one
    rule behind the inbox, its counts, can_work_on and the notification recipients."""
    scopes = []
    for role, scope in sorted(scopes_of(user.roles).items()):
        columns = _scope_columns(user, scope)
        if columns is not None:
            scopes.append((role, columns))
    return scopes


def _inbox_clause(model, user: User, unassigned, *, every_unit=None):
    clauses = _inbox_clauses(model, user, unassigned, every_unit=every_unit)
    return or_(*clauses) if clauses else false()


def _inbox_clauses(model, user: User, unassigned, *, every_unit=None) -> list:
    clauses = []
    for role, equal in _inbox_scopes(user):
        if every_unit is not None and "applicant_unit" not in equal:
            equal = {**equal, "applicant_unit": every_unit}
        clause = model.role == role
        for column, value in equal.items():
            clause = clause & (getattr(model, column) == value)
        # A task for one named person (an assignee) is in nobody else's inbox, whatever their role.
        clauses.append(clause & (unassigned | (model.assignee == str(user.id))))
    return clauses


def work_item_filter(user: User):
    """A WHERE clause selecting the open tasks ``user`` may work on (their inbox)."""
    return _inbox_clause(WorkItem, user, WorkItem.assignee.is_(None))


def work_item_scopes(user: User) -> list:
    """work_item_filter as one clause per task role ``user`` holds. They never overlap (each names its role),
    so an inbox page can walk each role's index in page order and merge, instead of sorting their union."""
    return _inbox_clauses(WorkItem, user, WorkItem.assignee.is_(None))


def work_count_filter(user: User):
    """The same rule over the inbox counters (work_count: '' stands for no assignee, and for the unit of
    any task whose role is not scoped by organisation; the triggers of migration 0018 write them so)."""
    return _inbox_clause(WorkCount, user, WorkCount.assignee == "", every_unit="")


def works_tasks(user: User) -> bool:
    """Whether any role ``user`` holds works tasks (administrators and auditors only read)."""
    return bool(scopes_of(user.roles))


def can_work_on(user: User, item: WorkItem, scope: str | None = None) -> bool:
    """The same rule as work_item_filter, for one item already loaded (checks and notification recipients);
    ``scope`` is the item's role's, when the caller has read it already."""
    if not user.active or not user.has_role(item.role):
        return False
    if item.assignee is not None and item.assignee != str(user.id):
        return False
    scope = scope_of(item.role) if scope is None else scope
    columns = None if scope is None else _scope_columns(user, scope)
    return columns is not None and all(getattr(item, column) == value for column, value in columns.items())


def workers_for(item: WorkItem):
    """The active accounts that may work on ``item``: can_work_on as one indexed query, so finding a
    task's recipients costs the same with 60 accounts or 20,000."""
    scope = scope_of(item.role)
    if scope is None:
        return []
    query = (select(User).join(UserRole, UserRole.user_id == User.id)
             .where(UserRole.role == item.role, User.active.is_(True)))
    if item.assignee is not None:
        if not item.assignee.isdigit():
            return []
        query = query.where(User.id == int(item.assignee))
    if scope == "city":
        query = query.where(User.city_code == item.city_code)
    elif scope == "organisation":
        query = query.where(User.unit_code == item.applicant_unit)
    return [user for user in db.session.scalars(query) if can_work_on(user, item, scope)]


def holders_of(role: str, city_code: str | None = None):
    """Active accounts holding ``role`` (the expert pool; a city's reviewers with ``city_code``), by the role
    index."""
    query = (select(User).join(UserRole, UserRole.user_id == User.id)
             .where(UserRole.role == role, User.active.is_(True)).order_by(User.id))
    if city_code is not None:
        query = query.where(User.city_code == city_code)
    return db.session.scalars(query).all()


def unit_accounts(credit_code: str):
    """The active applicant accounts of one unit (who hears an application's outcome)."""
    return [user for user in db.session.scalars(select(User).where(User.unit_code == credit_code,
                                                                   User.active.is_(True)))
            if user.has_role("applicant")]


def visible_application_or_404(user: User, application_id: int) -> Application:
    """The application, or 404 whether it does not exist or lies outside the caller's scope."""
    application = db.session.scalar(select(Application).where(Application.id == application_id,
                                                              application_filter(user)))
    if application is None:
        raise NotFound(f"申报 {application_id} 不存在")
    return application


def may_change_attachments(user: User, application: Application, uploader: User | None) -> bool:
    """Delete or replace a file: the applicant unit itself, and only files its own accounts uploaded (never
    the province's inspection record or an objector's evidence)."""
    return (user.has_role("applicant") and application.applicant_unit == user.unit_code and uploader is not None
            and uploader.unit_code == application.applicant_unit)


# -- who may see which data: one rule per kind, used by the API, the pages, exports and the audit record --

CONSULTATION_FIELDS = ("consult_ecology", "consult_emergency", "consult_market")
# Who was drawn, who declared a conflict and why, who replaced them: the province's record.
PANEL_EVENTS = ("expert_panel_drawn", "expert_conflict_declared", "expert_substituted")


def sees_everything(user: User) -> bool:
    """Province staff, administrators and auditors see every field of every application."""
    return any(user.has_role(r) for r in SEE_ALL)


def sees_expert_review(user: User, actor: str) -> bool:
    """An expert's score and opinion: the province, and the expert who wrote it; never another expert."""
    return sees_everything(user) or actor == user.username


EXPERT_ALIAS = "评审专家"


def actor_names(user: User, actors) -> dict[str, str]:
    """Login names as ``user`` may know them, for trails, the printed record and histories (one query):
    an expert is named to the province, administrators and auditors (and to themself); to anyone else
    an expert is 评审专家."""
    return display_names(actors, alias=lambda account: EXPERT_ALIAS if account.has_role("expert")
                         and not sees_expert_review(user, account.username) else None)


def sees_ranking(user: User) -> bool:
    """Every expert's score of every application side by side (the round's ranking, the expert-review summary,
    scores beside the notice batch): the province, administrators and auditors; never cities, units or experts."""
    return sees_everything(user)


def sees_objector(user: User) -> bool:
    """Who objected (name, contact, evidence) stays with the province; others see what was objected to."""
    return sees_everything(user)


def sees_consultations(user: User) -> bool:
    """The city's verification of the exclusions and the departments' opinions and replies: the city that
    gathered them and the province (who decides on them). Not the applicant; not the experts either, who
    score the evaluation materials: an administrative finding (a pending case, a credit record) is not
    theirs to weigh, and is kept from them like any internal opinion."""
    return sees_everything(user) or user.has_role("city_reviewer")


def is_internal_field(key: str) -> bool:
    """A form field of the city's verification or the consultations (consult_*, verified_exc_*)."""
    return key in CONSULTATION_FIELDS or key.startswith(("consult_", "verified_exc_"))


def visible_event_data(user: User, action: str, element_id: str | None, actor: str, data: dict,
                       expert_elements: set[str]) -> dict:
    """One audit event's data as ``user`` may see it ("redacted" says what was left out and why)."""
    if action in PANEL_EVENTS and not sees_everything(user):
        return {"name": data.get("name"), "redacted": "专家遴选与回避情况仅省厅和审计可见"}
    if action == "objection_recorded" and not sees_objector(user):
        return {"content": data.get("content"), "received_at": data.get("received_at"),
                "redacted": "异议人信息仅省厅和审计可见"}
    form = data.get("form")
    if not isinstance(form, dict):
        return data
    if element_id in expert_elements and not sees_expert_review(user, actor):
        return {**data, "form": None, "redacted": "专家评审内容仅省厅和审计可见"}
    if not sees_consultations(user) and any(is_internal_field(field) for field in form):
        return {**data, "form": {k: v for k, v in form.items() if not is_internal_field(k)},
                "redacted": "排除情形核查与征求有关部门意见仅市州、省厅和审计可见"}
    return data


# -- task actions: who may hand over, take back, withdraw, urge and copy (转办 / 撤回 / 放弃申报 / 催办 / 抄送) --

MAX_COLLEAGUES = 20  # a search answers with at most this many accounts: type more of the name to narrow it


def may_hand_over(user: User, item: WorkItem) -> bool:
    """转办: who may work on the task, while it is unclaimed or their own claim; province staff also a task
    another person claimed (as they may release it). A task named for one person (an expert's review) is
    not handed over: its substitute is chosen through 回避."""
    if item.assignee is not None or not can_work_on(user, item):
        return False
    return item.claimed_by in (None, user.id) or user.has_role("province_staff")


def _name_matches(query, text: str):
    """Login names by prefix (the unique index), display names by substring within the scope's rows."""
    pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return query.where(or_(User.username.like(f"{pattern}%", escape="\\"),
                           User.display_name.like(f"%{pattern}%", escape="\\")))


def hand_over_colleagues(item: WorkItem, user: User, text: str = "", limit: int = MAX_COLLEAGUES) -> list[User]:
    """The colleagues ``item`` may be handed to: active accounts holding its role in its scope (the same
    rule as workers_for, as one indexed query), not ``user``, matching ``text``, at most ``limit``."""
    scope = scope_of(item.role)
    if scope is None or item.assignee is not None:
        return []
    query = (select(User).join(UserRole, UserRole.user_id == User.id)
             .where(UserRole.role == item.role, User.active.is_(True), User.id != user.id))
    if scope == "city":
        query = query.where(User.city_code == item.city_code)
    elif scope == "organisation":
        query = query.where(User.unit_code == item.applicant_unit)
    if text:
        query = _name_matches(query, text)
    found = db.session.scalars(query.order_by(User.id).limit(limit)).all()
    return [colleague for colleague in found if can_work_on(colleague, item, scope)]


def may_take_back_as(user: User, role: str, application: Application) -> bool:
    """撤回: whoever could have done the step (its role, in the application's scope) may take it back."""
    probe = WorkItem(role=role, city_code=application.city_code, applicant_unit=application.applicant_unit,
                     assignee=None)
    return can_work_on(user, probe)


def may_withdraw(user: User, application: Application) -> bool:
    """放弃申报: the applicant unit's own accounts."""
    return user.active and user.has_role("applicant") and bool(user.unit_code) \
        and application.applicant_unit == user.unit_code


def may_urge(user: User, item: WorkItem) -> bool:
    """催办: province staff any open task; a city its own applicants' tasks (the applicant's steps in its city)."""
    if not user.active:
        return False
    if user.has_role("province_staff"):
        return True
    return user.has_role("city_reviewer") and bool(user.city_code) and item.role == "applicant" \
        and item.city_code == user.city_code


def may_copy(user: User) -> bool:
    """抄送: province staff and city reviewers, to colleagues of their own office (see copy_colleague_clause)."""
    return user.active and (user.has_role("province_staff") or (user.has_role("city_reviewer")
                                                                and bool(user.city_code)))


NOT_COPIED_TO = ("applicant", "expert")  # an applicant or an expert is nobody's office colleague


def copy_colleague_clause(user: User):
    """A WHERE clause selecting the accounts ``user`` may copy an application to: active accounts of the
    same office (the province: no city and no unit; a city: that city, no unit) holding some role other
    than applicant or expert (a leader's role a deployment added is the usual reader of a copy)."""
    if not may_copy(user):
        return false()
    office = (User.city_code.is_(None) if user.has_role("province_staff") else User.city_code == user.city_code)
    staff_role = exists().where(UserRole.user_id == User.id, UserRole.role.not_in(NOT_COPIED_TO))
    return User.active.is_(True) & (User.id != user.id) & User.unit_code.is_(None) & office & staff_role


def copy_colleagues(user: User, text: str = "", limit: int = MAX_COLLEAGUES) -> list[User]:
    query = select(User).where(copy_colleague_clause(user))
    if text:
        query = _name_matches(query, text)
    return db.session.scalars(query.order_by(User.id).limit(limit)).all()


# -- city packages (rounds/packages.py) ---------------------------------------------------------
def may_see_city_package(user: User, city_code: str) -> bool:
    """A city sees its own packages; the province (and those who see everything) every city's."""
    return any(user.has_role(r) for r in SEE_ALL) or may_act_for_city(user, city_code)


def may_act_for_city(user: User, city_code: str) -> bool:
    """Ordering, freezing, uploading the sealed files and sending: only the city's own reviewers."""
    return user.has_role("city_reviewer") and bool(user.city_code) and user.city_code == city_code


def may_register_package_receipt(user: User) -> bool:
    return user.has_role("province_staff")
