"""A fourth category, 绿色设计产品 (design_product), as an administrator would add it: the factory branch of the
shipped diagram copied (task, deadline timer, flows, drawing), its declaration form copied from the factory's,
and the category declared in processes/categories.json."""
from __future__ import annotations

import copy
import json

from lxml import etree

from service.engine.bundle import NSMAP, Bundle
from service.engine.categories import STANDARD_CATEGORIES, to_json

KEY, NAME, CODE = "design_product", "绿色设计产品", "SJ"
FORM = f"declaration_{KEY}.form.json"
COPIED = ("Task_declare_factory", "Timer_declare_factory", "Flow_Gw_category_T_declare_factory",
          "Flow_T_declare_factory_Gw_declared", "Flow_Timer_declare_factory_End_overdue_declaration")
SHIFT_X = 240  # drawn to the right of the factory's task
DI_NS = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dc": "http://www.omg.org/spec/DD/20100524/DC",
         "di": "http://www.omg.org/spec/DD/20100524/DI"}


def _renamed(element):
    """A deep copy with factory → design_product in every id, reference, condition and name."""
    clone = copy.deepcopy(element)
    for node in clone.iter():
        for attribute, value in node.attrib.items():
            node.set(attribute, value.replace("factory", KEY).replace("绿色工厂", NAME))
        if node.text and node.text.strip():
            node.text = node.text.replace("factory", KEY)
    return clone


def _by_id(root, element_id):
    return root.xpath(f"//*[@id='{element_id}']")[0]


def _add_ref(root, element_id, tag, ref):
    parent = _by_id(root, element_id)
    node = etree.SubElement(parent, f"{{{NSMAP['bpmn']}}}{tag}")
    node.text = ref
    siblings = parent.findall(f"bpmn:{tag}", NSMAP)  # keep refs of one kind together, as modelers write them
    siblings[-2].addnext(node)


def diagram_with_design_product(xml: str) -> str:
    root = etree.fromstring(xml.encode("utf-8"))
    process = root.find("bpmn:process", NSMAP)
    for element_id in COPIED:
        process.append(_renamed(_by_id(root, element_id)))
        shape = root.xpath(f"//bpmndi:*[@bpmnElement='{element_id}']", namespaces=DI_NS)[0]
        drawn = _renamed(shape)
        for point in drawn.iter(f"{{{DI_NS['dc']}}}Bounds", f"{{{DI_NS['di']}}}waypoint"):
            point.set("x", str(int(float(point.get("x"))) + SHIFT_X))
        shape.addnext(drawn)
    _add_ref(root, "Gateway_category", "outgoing", f"Flow_Gw_category_T_declare_{KEY}")
    _add_ref(root, "Gateway_declared", "incoming", f"Flow_T_declare_{KEY}_Gw_declared")
    _add_ref(root, "End_overdue_declaration", "incoming", f"Flow_Timer_declare_{KEY}_End_overdue_declaration")
    lane = _by_id(root, "Lane_applicant")
    for ref in (f"Task_declare_{KEY}", f"Timer_declare_{KEY}"):
        etree.SubElement(lane, f"{{{NSMAP['bpmn']}}}flowNodeRef").text = ref
    _by_id(root, f"Task_declare_{KEY}").set("name", f"填报{NAME}申报书")
    return etree.tostring(root, encoding="unicode")


def design_product_form(factory_form: str) -> str:
    form = json.loads(factory_form)
    form["id"] = f"Form_declaration_{KEY}"
    return json.dumps(form, ensure_ascii=False, indent=2)


def categories_with_design_product(step: str = f"Task_declare_{KEY}") -> str:
    from service.engine.categories import Category

    return to_json([*STANDARD_CATEGORIES, Category(KEY, NAME, CODE, step, FORM)])


def design_product_files(bundle: Bundle) -> dict[str, str]:
    """The draft files to save (name → text) that add the category to ``bundle``."""
    return {"processes/green_round.bpmn": diagram_with_design_product(bundle.processes["green_round.bpmn"]),
            f"forms/{FORM}": design_product_form(bundle.forms["declaration_factory.form.json"]),
            "processes/categories.json": categories_with_design_product()}
