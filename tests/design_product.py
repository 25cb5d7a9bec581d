"""A fourth category, 绿色设计产品 (design_product), as an administrator would add it: the factory branch of the
shipped diagram copied (task, deadline timer, flows), drawn in a row of its own under the supply chain's, its
declaration form copied from the factory's, and the category declared in processes/categories.json."""
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
LAST_ROW = "supply_chain"  # the new row is drawn under this category's, spaced as the rows above it
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


def _di(root, element_id):
    return root.xpath(f"//bpmndi:*[@bpmnElement='{element_id}']", namespaces=DI_NS)[0]


def _points(node):
    return list(node.iter(f"{{{DI_NS['dc']}}}Bounds", f"{{{DI_NS['di']}}}waypoint"))


def _move(point, dy):
    point.set("y", str(float(point.get("y")) + dy))


def _waypoint(x, y):
    point = etree.Element(f"{{{DI_NS['di']}}}waypoint")
    point.set("x", str(x))
    point.set("y", str(y))
    return point


def _y(root, element_id) -> float:
    return float(_di(root, element_id).find("dc:Bounds", DI_NS).get("y"))


def _make_room(root, row: float):
    """One row more in the applicant's lane: the lanes under it move down, and so does the end event the
    deadlines lead to, their arrows now entering it from above."""
    lane = _di(root, "Lane_applicant").find("dc:Bounds", DI_NS)
    lane_bottom = float(lane.get("y")) + float(lane.get("height"))
    for point in _points(_di(root, "Lane_applicant").getparent()):
        if float(point.get("y")) >= lane_bottom:
            _move(point, row)
    for pool_or_lane in (lane, _di(root, "Participant_round").find("dc:Bounds", DI_NS)):
        pool_or_lane.set("height", str(float(pool_or_lane.get("height")) + row))
    end = _di(root, "End_overdue_declaration")
    for point in _points(end):
        _move(point, row)
    bounds = end.find("dc:Bounds", DI_NS)
    centre_x, top = float(bounds.get("x")) + float(bounds.get("width")) / 2, float(bounds.get("y"))
    for edge in root.xpath("//bpmndi:BPMNEdge[contains(@bpmnElement, '_End_overdue_declaration')]", namespaces=DI_NS):
        points = edge.findall("di:waypoint", DI_NS)
        if float(points[-2].get("x")) != centre_x:
            points[-1].addprevious(_waypoint(centre_x, points[-2].get("y")))
        points[-1].set("x", str(centre_x))
        points[-1].set("y", str(top))


def _draw_new_row(root):
    """The new branch drawn as a copy of the last row's, one row lower (its arrows still start and end on the
    category gateway and the gateway after the declarations)."""
    row = _y(root, f"Task_declare_{LAST_ROW}") - _y(root, "Task_declare_park")
    drawn_deadline = copy.deepcopy(_di(root, f"Flow_Timer_declare_{LAST_ROW}_End_overdue_declaration"))
    _make_room(root, row)
    for element_id in COPIED:
        last_row = element_id.replace("factory", LAST_ROW)
        drawn = drawn_deadline if element_id.startswith("Flow_Timer") else copy.deepcopy(_di(root, last_row))
        drawn.set("id", f"{element_id.replace('factory', KEY)}_di")
        drawn.set("bpmnElement", element_id.replace("factory", KEY))
        waypoints = drawn.findall("di:waypoint", DI_NS)
        kept = {waypoints[0] if element_id.startswith("Flow_Gw_category") else None,
                waypoints[-1] if element_id.endswith("Gw_declared") else None}
        for point in _points(drawn):
            if point not in kept:
                _move(point, row)
        label = drawn.find("bpmndi:BPMNLabel/dc:Bounds", DI_NS)
        if element_id.startswith("Flow_Gw_category") and label is not None:  # one line just over the arrow
            width = 11 * len(NAME)
            label.set("x", str(float(label.get("x")) + float(label.get("width")) / 2 - width / 2))
            label.set("y", str(float(waypoints[-1].get("y")) - 18))
            label.set("width", str(width))
            label.set("height", "14")
        _di(root, last_row).addnext(drawn)


def diagram_with_design_product(xml: str) -> str:
    root = etree.fromstring(xml.encode("utf-8"))
    process = root.find("bpmn:process", NSMAP)
    for element_id in COPIED:
        process.append(_renamed(_by_id(root, element_id)))
    _draw_new_row(root)
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
