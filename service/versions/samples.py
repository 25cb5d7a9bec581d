"""Sample declarations: complete, valid forms per category, for rehearsal's standard paths, the demo,
the benchmark and the tests."""
from __future__ import annotations

from service.forms.credit_code import check_character, organisation_code_check

EXCLUSIONS = ("exc_not_operating", "exc_accident", "exc_removed", "exc_inspection",
              "exc_energy_rectification", "exc_dishonest")


def make_credit_code(serial: int, division: str = "220100") -> str:
    """A valid code (both check digits) for an enterprise in ``division``, numbered by ``serial``."""
    body = f"{serial:08d}"
    first17 = f"91{division}{body}{organisation_code_check(body)}"
    return first17 + check_character(first17)


def sample_declaration(category: str, *, unit_name: str = "吉林示范制造有限公司", serial: int = 1,
                       exclusions: tuple[str, ...] = ()) -> dict:
    """A complete, valid declaration form for ``category``; ``exclusions`` are answered "yes"."""
    data = {
        "unit_name": unit_name, "credit_code": make_credit_code(serial), "county": "朝阳区",
        "address": "长春市朝阳区示范路1号", "postcode": "130000", "industry_codes": "C3670",
        "main_products": "汽车零部件", "ownership": "private", "founded_on": "2010-05-01",
        "registered_capital": 5000.0, "legal_representative": "张三", "legal_representative_phone": "0431-88880000",
        "contact_name": "李四", "contact_phone": "0431-88881111", "contact_mobile": "13800000000",
        "contact_email": "contact@example.cn", "profile": "单位简介", "evaluation_standard": "GB/T 36132-2025",
        "evaluation_method": "third_party", "third_party_name": "吉林绿色评价中心", "third_party_contact": "王五",
        "third_party_report_lead": "赵六", "third_party_basic_ok": "yes", "evaluation_score": 86.5,
        "highlights": "余热回收与光伏发电", "energy_diagnosis": True, "truth_pledge": True,
    }
    data.update({name: ("yes" if name in exclusions else "no") for name in EXCLUSIONS})
    if category in ("factory", "supply_chain"):
        data["legal_status"] = "independent_legal_person"
    if category == "factory":
        data["in_production"] = "yes"
        data.update({"energy_per_unit": 0.1234, "water_per_unit": 1.5, "pollutant_per_unit": 0.02,
                     "green_material_rate": 35.5, "solid_waste_utilization_rate": 92.0, "plot_ratio": 1.2,
                     "energy_benchmark": "yes", "energy_limit_advanced": "no"})
    elif category == "park":
        data.update({"park_level": "provincial", "industrial_value_share": 65.0,
                     "park_main_function": "manufacturing_energy", "has_legal_boundary": "yes",
                     "legal_boundary": "四至范围", "has_management_body": "yes", "management_body": "园区管委会",
                     "green_factories_in_park": 6, "energy_output_rate": 2.5, "water_reuse_rate": 88.0,
                     "exc_park_enterprises": "no", "park_enterprises_checked": 120,
                     "industrial_enterprises_in_park": 20})
    elif category == "supply_chain":
        data.update({"chain_leader": "yes",
                     "chain_leader_description": "省内汽车零部件行业龙头，带动上下游配套企业80余家，主导行业绿色采购标准",
                     "supply_chain_industry": "auto", "green_suppliers": 40, "green_factory_suppliers": 12,
                     "epr_pilot": "yes", "gsci_strategy": 18, "gsci_supplier": 17, "gsci_production": 18,
                     "gsci_recycling": 16, "gsci_platform": 9, "gsci_disclosure": 8})
    return data


SAMPLE_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sample_verification(evidence: str | int, reply: str | int, *, queried_on: str,
                        found: tuple[str, ...] = ()) -> dict:
    """The city review's verification part: each exclusion checked (``found``: those verified "yes") at its
    first offered source on ``queried_on`` (YYYY-MM-DD) with the evidence attachment ``evidence``, and the three
    departments without objection, replying in attachment ``reply``. Add the decision (and its opinion)."""
    from service.applications.verification import DEPARTMENTS, EXCLUSIONS
    data = {}
    for exclusion in EXCLUSIONS:
        data.update({exclusion.answer: "yes" if exclusion.key in found else "no",
                     exclusion.source: exclusion.sources[0], exclusion.date: queried_on,
                     exclusion.evidence: str(evidence)})
    for department in DEPARTMENTS:
        data.update({department.conclusion: "no_objection", department.reply: str(reply)})
    return data
