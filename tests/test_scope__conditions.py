"""The notice's 申报范围 per category, decided by processes/scope.dmn right after a declaration is submitted:
each condition a unit does not meet ends its application at 不符合申报范围 with that condition's reason, kept on
the application, told to the unit and recorded on the trail; a declaration meeting them all goes on to the
exclusions and the city."""
import pytest
from sqlalchemy import select

from service.accounts.admin import create_account
from service.notify.models import Notification
from service.organisations.service import attach_account, create_organisation
from service.platform.errors import Invalid
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.versions.samples import make_credit_code, sample_declaration
from tests.scenario import Scenario

LEGAL = "应为依法设立并具有独立法人资格或者视同法人的独立核算单位"
FACTORY_LEGAL = "绿色工厂" + LEGAL
IN_PRODUCTION = "绿色工厂应为从事实际生产的制造型企业"
MANUFACTURING = "绿色工厂应为制造型企业：所填主营行业（第一个行业代码）不属于 GB/T 4754 制造业（门类 C，大类 13–43）"
PARK_LEVEL = "绿色工业园区应为省级及以上的工业园区"
VALUE_SHARE = "绿色工业园区的工业增加值占比应超过 50%"
MAIN_FUNCTION = "绿色工业园区应以产品制造和能源供给为主要功能"
BOUNDARY = "绿色工业园区应具有法定边界和范围"
MANAGEMENT = "绿色工业园区应具备统一管理机构"
PARK_ENTERPRISES = "园区内有企业近三年存在不得申报的情形（《通知》：近三年有下列情况的企业或园区（含园区内企业），不得申报）"
CHAIN_LEADER = "绿色供应链管理企业应为在产业链发挥主导作用的链主企业"
CHAIN_LEGAL = "绿色供应链管理企业" + LEGAL
OUTSIDE_JILIN = ("申报单位的统一社会信用代码显示其登记管理机关不在吉林省：省级绿色制造名单由吉林省各市（州）推荐本地区的企业和园区，"
                 "在吉林的分支机构或子公司请以其在吉林登记的统一社会信用代码申报")

OUT_OF_SCOPE = [
    ("factory", {"legal_status": "other"}, FACTORY_LEGAL),
    ("factory", {"in_production": "no"}, IN_PRODUCTION),
    ("factory", {"industry_codes": "I6510"}, MANUFACTURING),
    ("factory", {"industry_codes": "6510, C3670"}, MANUFACTURING),  # the first code is the main industry
    ("factory", {"industry_codes": "I3670"}, MANUFACTURING),  # a section letter contradicting its digits
    ("park", {"park_level": "municipal"}, PARK_LEVEL),
    ("park", {"industrial_value_share": 50}, VALUE_SHARE),  # "超过 50%": exactly half is not enough
    ("park", {"park_main_function": "other"}, MAIN_FUNCTION),
    ("park", {"has_legal_boundary": "no", "legal_boundary": None}, BOUNDARY),
    ("park", {"has_management_body": "no", "management_body": None}, MANAGEMENT),
    ("park", {"exc_park_enterprises": "yes", "exc_park_enterprises_detail": "某化工公司 91220101MA0000000X 2023年发生安全事故"},
     PARK_ENTERPRISES),
    ("supply_chain", {"chain_leader": "no", "chain_leader_description": None}, CHAIN_LEADER),
    ("supply_chain", {"legal_status": "other"}, CHAIN_LEGAL),
]
IN_SCOPE = [
    ("factory", {"legal_status": "accounting_unit"}),
    ("factory", {"industry_codes": "3670"}),
    ("factory", {"industry_codes": "c 3670，I6510"}),
    ("factory", {"industry_codes": "C1311、C4320"}),  # the first and last manufacturing divisions
    ("park", {"park_level": "national", "industrial_value_share": 50.01}),
    ("supply_chain", {"legal_status": "accounting_unit"}),
]


@pytest.fixture
def scenario(users, round_, clock):
    return Scenario(users, round_, clock)


def assert_out_of_scope(s, reasons):
    application = s.application
    assert (application.outcome, application.outcome_element) == ("不符合申报范围", "End_out_of_scope")
    assert application.outcome_reasons == reasons
    assert s.items() == []
    events = s.trail_events()
    assert [(e.action, e.element_id) for e in events][-3:] == [
        ("rule_evaluated", "Task_scope"), ("gateway_decision", "Gateway_scope"), ("ended", "End_out_of_scope")]
    assert events[-3].payload["scope_reasons"] == reasons
    assert events[-1].payload["reasons"] == reasons
    assert "Task_eligibility" not in {e.element_id for e in events}  # the exclusions are never reached
    notice = db.session.scalar(select(Notification).where(Notification.application_id == s.application_id,
                                                          Notification.kind == "outcome"))
    assert notice.subject.endswith("不符合申报范围")
    assert all(reason in notice.body for reason in reasons)
    assert s.chain_ok()


def drop(data, changes):
    """The declaration with the fields ``changes`` maps to None left out (as a unit leaves them empty)."""
    return {k: v for k, v in data.items() if changes.get(k, "") is not None}


@pytest.mark.parametrize("category, changes, reason", OUT_OF_SCOPE,
                         ids=[f"{c}-{'-'.join(ch)}" for c, ch, _ in OUT_OF_SCOPE])
def test_each_condition_not_met_ends_out_of_scope_with_its_reason(scenario, category, changes, reason):
    s = scenario.start(category)
    data = drop({**sample_declaration(category, unit_name=s.user("applicant").unit_name), **changes}, changes)
    s.complete("applicant", data, bpmn_id=f"Task_declare_{category}")
    assert_out_of_scope(s, [reason])


@pytest.mark.parametrize("category, changes", IN_SCOPE, ids=[f"{c}-{'-'.join(ch)}" for c, ch in IN_SCOPE])
def test_a_declaration_meeting_every_condition_goes_on_to_the_city(scenario, category, changes):
    s = scenario.start(category).declare(category, changes=changes)
    assert s.application.outcome is None
    assert s.item().bpmn_id == "Task_city_review"
    scope = next(e for e in s.trail_events() if e.element_id == "Task_scope")
    assert scope.payload["scope_reasons"] == []


def beijing_unit(users):
    """A unit registered in Beijing (credit code 91110108…) whose account applies in Changchun."""
    with transaction():
        organisation = create_organisation(
            {"credit_code": make_credit_code(4242, division="110108"), "name": "北京软件科技有限公司",
             "kind": "enterprise", "city_code": "220100", "county": "朝阳区", "contact_name": "孙七",
             "contact_phone": "13800000001", "contact_email": "beijing@example.cn"}, actor="admin", status="confirmed")
        user = create_account(actor="admin", values={"username": "beijing", "display_name": "北京软件科技有限公司",
                                                      "roles": ["applicant"], "city_code": "220100"},
                              preset_password="demo").user
        attach_account(user, organisation)
        assert organisation.outside_jilin
        users["beijing"] = user.id
    return "beijing"


def test_a_unit_registered_outside_jilin_is_out_of_scope(scenario, users):
    s = scenario.start("factory", applicant=beijing_unit(users)).declare("factory", who="beijing")
    assert_out_of_scope(s, [OUTSIDE_JILIN])


def test_every_failed_condition_is_a_reason_the_issues_software_factory_from_beijing(scenario, users):
    """The case the issue found recommended and ranked first: software (I6510), a Beijing credit code."""
    s = scenario.start("factory", applicant=beijing_unit(users))
    s.declare("factory", who="beijing", changes={"industry_codes": "I6510", "in_production": "no"})
    assert_out_of_scope(s, [OUTSIDE_JILIN, IN_PRODUCTION, MANUFACTURING])


def test_a_park_answering_for_its_enterprises_must_name_them(scenario):
    s = scenario.start("park")
    with pytest.raises(Invalid) as refused:
        s.declare("park", changes={"exc_park_enterprises": "yes"})
    assert "exc_park_enterprises_detail" in refused.value.fields
    assert s.item().bpmn_id == "Task_declare_park"


def test_an_excluded_declaration_tells_its_exclusion_too(scenario):
    s = scenario.start().declare(exclusions=("exc_dishonest",))
    assert (s.application.outcome, s.application.outcome_reasons) == ("不予受理", ["被列为失信被执行人"])


def test_a_unit_registered_outside_jilin_is_told_before_it_declares(app, users, round_):
    from tests.pages import Visitor, text

    beijing_unit(users)
    visitor = Visitor(app)
    visitor.login("beijing")
    page = text(visitor.get("/my"))
    assert 'id="unit-outside-jilin"' in page and "登记管理机关不在吉林省" in page
