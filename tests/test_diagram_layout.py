"""Every diagram in processes/ is drawn so that people can read it: each step has its shape, no two shapes
overlap, every shape sits inside its lane and every lane inside its pool, each arrow leaves its source and
arrives at its target, no arrow runs through a shape it does not connect, and no label covers a shape,
another label or an arrow. The labels are measured as bpmn-js lays them out (11 px text wrapped at 90 px,
centred on the label's box), since that is what the pages show. The diagram tests/design_product.py derives
(a fourth category, as an administrator would draw it) is held to the same rules."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
DIAGRAMS = sorted(PROCESSES.glob("*.bpmn"))
DERIVED = "green_round.bpmn+design_product"  # tests/design_product.py's diagram
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
ACTIVITIES = {"callActivity", "subProcess", "transaction", "adHocSubProcess"}
EXTERNAL_LABEL = ("Event", "Gateway", "sequenceFlow", "dataObjectReference", "dataStoreReference")
MARGIN = 20  # px kept free between two shapes, so that neither crowds the other
TOUCH = 3  # px an arrow's end may lie off its shape's outline
CLEARANCE = 1  # px a line may graze a shape or label without crossing it
# bpmn-js's external labels: 11 px Arial (CJK falls back to a 1 em wide font), line height 1.2, wrapped at 90 px
FONT_SIZE, LINE_HEIGHT, WRAP = 11, 13.2, 90


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self):
        return self.x + self.w

    @property
    def bottom(self):
        return self.y + self.h

    def overlaps(self, other: Box) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def contains(self, other: Box) -> bool:
        return (self.x <= other.x and self.y <= other.y and other.right <= self.right
                and other.bottom <= self.bottom)

    def gap(self, other: Box) -> float:
        """How far apart two boxes lie (0 when they touch or overlap)."""
        return math.hypot(max(other.x - self.right, self.x - other.right, 0),
                          max(other.y - self.bottom, self.y - other.bottom, 0))

    def shrunk(self, by: float) -> Box:
        return Box(self.x + by, self.y + by, self.w - 2 * by, self.h - 2 * by)

    def __str__(self):
        return f"({self.x:g},{self.y:g} {self.w:g}×{self.h:g})"


@dataclass
class Diagram:
    name: str
    kinds: dict[str, str]  # flow node or flow id → BPMN tag
    names: dict[str, str]
    flows: dict[str, tuple[str, str]]  # flow id → (source, target)
    hosts: dict[str, str]  # boundary event → the activity it is attached to
    lanes: dict[str, list[str]]  # lane id → flow node ids
    pools: dict[str, str]  # participant id → process id
    shapes: dict[str, Box]
    labels: dict[str, Box]  # bpmnElement → its label's box in the DI
    edges: dict[str, list[tuple[float, float]]]

    def __repr__(self):
        return f"Diagram({self.name})"

    def flow_nodes(self):
        return [i for i, kind in self.kinds.items() if kind != "sequenceFlow"]


def local(tag) -> str:
    return etree.QName(tag).localname


def bounds(element) -> Box:
    return Box(*(float(element.get(k)) for k in ("x", "y", "width", "height")))


def is_flow_node(tag: str) -> bool:
    return tag.endswith(("Event", "Task", "Gateway")) or tag in ACTIVITIES or tag == "task"


def read(name: str, xml: str) -> Diagram:
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    diagram = Diagram(name, {}, {}, {}, {}, {}, {}, {}, {}, {})
    for process in root.iterfind("bpmn:process", NS):
        for element in process.iter():
            if not isinstance(element.tag, str) or element.get("id") is None:
                continue
            tag = local(element.tag)
            if is_flow_node(tag) or tag == "sequenceFlow":
                diagram.kinds[element.get("id")] = tag
                diagram.names[element.get("id")] = (element.get("name") or "").strip()
            if tag == "sequenceFlow":
                diagram.flows[element.get("id")] = (element.get("sourceRef"), element.get("targetRef"))
            if tag == "boundaryEvent":
                diagram.hosts[element.get("id")] = element.get("attachedToRef")
            if tag == "lane":
                diagram.lanes[element.get("id")] = [ref.text.strip() for ref in element.iterfind("bpmn:flowNodeRef", NS)]
    for participant in root.iterfind(".//bpmn:participant", NS):
        diagram.pools[participant.get("id")] = participant.get("processRef")
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        diagram.shapes[shape.get("bpmnElement")] = bounds(shape.find("dc:Bounds", NS))
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        diagram.edges[edge.get("bpmnElement")] = [(float(p.get("x")), float(p.get("y")))
                                                  for p in edge.iterfind("di:waypoint", NS)]
    for owner in root.iterfind(".//bpmndi:BPMNLabel/dc:Bounds/../..", NS):
        diagram.labels[owner.get("bpmnElement")] = bounds(owner.find("bpmndi:BPMNLabel/dc:Bounds", NS))
    return diagram


def char_width(char: str) -> float:
    return FONT_SIZE if ord(char) >= 0x2E80 else FONT_SIZE * 0.56


def text_size(text: str) -> tuple[float, float]:
    """The width and height bpmn-js gives an external label: lines wrapped at 90 px (CJK breaks anywhere)."""
    lines, line = [], 0.0
    for char in text:
        if line and line + char_width(char) > WRAP:
            lines.append(line)
            line = 0.0
        line += char_width(char)
    lines.append(line)
    return max(lines), len(lines) * LINE_HEIGHT


def label_boxes(diagram: Diagram) -> dict[str, Box]:
    """Where each external label shows: bpmn-js keeps the top and horizontal centre of the DI box and sizes it
    to the text."""
    shown = {}
    for element_id, box in diagram.labels.items():
        name = diagram.names.get(element_id)
        if name:
            width, height = text_size(name)
            shown[element_id] = Box(box.x + box.w / 2 - width / 2, box.y, width, height)
    return shown


def outline_distance(box: Box, kind: str, point) -> float:
    """How far a point lies from the drawn outline: a circle for events, a diamond for gateways, else the box."""
    x, y = point
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    if kind.endswith("Event"):
        return abs(math.hypot(x - cx, y - cy) - box.w / 2)
    if kind.endswith("Gateway"):
        return abs(abs(x - cx) / (box.w / 2) + abs(y - cy) / (box.h / 2) - 1) * min(box.w, box.h) / 2
    dx, dy = max(box.x - x, 0, x - box.right), max(box.y - y, 0, y - box.bottom)
    if dx or dy:
        return math.hypot(dx, dy)
    return min(x - box.x, box.right - x, y - box.y, box.bottom - y)


def crosses(start, end, box: Box) -> bool:
    """Whether the segment start→end enters the box's interior (Liang–Barsky clipping)."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x), (dx, box.right - x0), (-dy, y0 - box.y), (dy, box.bottom - y0)):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low >= high:
            return False
    return True


def segments(points):
    return list(zip(points, points[1:]))


def described(diagram: Diagram, element_id: str) -> str:
    name = diagram.names.get(element_id)
    return f"{element_id}「{name}」" if name else element_id


@pytest.fixture(params=[*DIAGRAMS, DERIVED], ids=[*(path.name for path in DIAGRAMS), DERIVED])
def diagram(request) -> Diagram:
    if request.param == DERIVED:
        from service.engine.bundle import Bundle
        from tests.design_product import design_product_files

        files = design_product_files(Bundle.from_directories(PROCESSES, ROOT / "forms"))
        return read(DERIVED, files["processes/green_round.bpmn"])
    return read(request.param.name, request.param.read_text(encoding="utf-8"))


def test_there_are_diagrams_to_check():
    assert DIAGRAMS, f"no .bpmn file in {PROCESSES}"


def test_each_step_and_flow_is_drawn(diagram):
    missing_shapes = [described(diagram, n) for n in diagram.flow_nodes() if n not in diagram.shapes]
    missing_edges = [described(diagram, f) for f in diagram.flows if len(diagram.edges.get(f, [])) < 2]
    assert not missing_shapes and not missing_edges, \
        f"{diagram.name}: not drawn: shapes {missing_shapes}, arrows {missing_edges}"


def test_named_elements_place_their_labels(diagram):
    """Without a label box the viewer guesses a place, often on the arrow or the next shape."""
    unplaced = [described(diagram, i) for i, kind in diagram.kinds.items()
                if diagram.names[i] and kind.endswith(EXTERNAL_LABEL) and i not in diagram.labels]
    assert not unplaced, f"{diagram.name}: named elements without a label box: {unplaced}"


def test_no_two_shapes_overlap_or_crowd_each_other(diagram):
    nodes = [n for n in diagram.flow_nodes() if n in diagram.shapes]
    crowded = [f"{described(diagram, a)} {diagram.shapes[a]} and {described(diagram, b)} {diagram.shapes[b]}: "
               f"{diagram.shapes[a].gap(diagram.shapes[b]):.0f} px apart"
               for i, a in enumerate(nodes) for b in nodes[i + 1:]
               if diagram.hosts.get(a) != b and diagram.hosts.get(b) != a
               and diagram.shapes[a].gap(diagram.shapes[b]) < MARGIN]
    assert not crowded, f"{diagram.name}: shapes closer than {MARGIN} px:\n" + "\n".join(crowded)


def test_boundary_events_sit_on_their_activity(diagram):
    loose = [described(diagram, event) for event, host in diagram.hosts.items()
             if not diagram.shapes[event].overlaps(diagram.shapes[host])
             or diagram.shapes[host].contains(diagram.shapes[event])]
    assert not loose, f"{diagram.name}: boundary events off their activity's border: {loose}"


def test_shapes_and_labels_lie_inside_their_lane_and_pool(diagram):
    shown = label_boxes(diagram)
    outside = []
    for lane, nodes in diagram.lanes.items():
        for node in nodes:
            for what, box in (("shape", diagram.shapes[node]), ("label", shown.get(node))):
                if box is not None and not diagram.shapes[lane].contains(box):
                    outside.append(f"{described(diagram, node)}'s {what} {box} outside lane {lane} "
                                   f"{diagram.shapes[lane]}")
    for pool in diagram.pools:
        for element_id in [*diagram.lanes, *shown]:
            box = diagram.shapes.get(element_id) if element_id in diagram.lanes else shown[element_id]
            if not diagram.shapes[pool].contains(box):
                outside.append(f"{described(diagram, element_id)} {box} outside pool {pool} {diagram.shapes[pool]}")
    assert not outside, f"{diagram.name}:\n" + "\n".join(outside)


def test_lanes_do_not_overlap(diagram):
    lanes = list(diagram.lanes)
    overlapping = [f"{a} and {b}" for i, a in enumerate(lanes) for b in lanes[i + 1:]
                   if diagram.shapes[a].overlaps(diagram.shapes[b])]
    assert not overlapping, f"{diagram.name}: lanes overlap: {overlapping}"


def test_each_arrow_leaves_its_source_and_reaches_its_target(diagram):
    loose = []
    for flow, (source, target) in diagram.flows.items():
        points = diagram.edges[flow]
        for end, node, point in (("starts", source, points[0]), ("ends", target, points[-1])):
            distance = outline_distance(diagram.shapes[node], diagram.kinds[node], point)
            if distance > TOUCH:
                loose.append(f"{described(diagram, flow)} {end} at {point}, {distance:.0f} px off "
                             f"{described(diagram, node)} {diagram.shapes[node]}")
    assert not loose, f"{diagram.name}:\n" + "\n".join(loose)


def test_arrows_are_straight_lines_or_right_angles(diagram):
    slanted = [f"{described(diagram, flow)} {a}→{b}" for flow in diagram.flows
               for a, b in segments(diagram.edges[flow]) if a[0] != b[0] and a[1] != b[1]]
    assert not slanted, f"{diagram.name}: slanted segments:\n" + "\n".join(slanted)


def test_no_arrow_runs_through_a_shape_it_does_not_connect(diagram):
    crossing = []
    for flow, (source, target) in diagram.flows.items():
        for node in diagram.flow_nodes():
            box = diagram.shapes[node].shrunk(CLEARANCE)
            if node not in (source, target) and any(crosses(a, b, box) for a, b in segments(diagram.edges[flow])):
                crossing.append(f"{described(diagram, flow)} runs through {described(diagram, node)} "
                                f"{diagram.shapes[node]}")
    assert not crossing, f"{diagram.name}:\n" + "\n".join(crossing)


def test_no_label_covers_a_shape_another_label_or_an_arrow(diagram):
    shown = label_boxes(diagram)
    covered = []
    for owner, label in shown.items():
        for node in diagram.flow_nodes():
            if label.overlaps(diagram.shapes[node]):
                covered.append(f"label of {described(diagram, owner)} {label} covers {described(diagram, node)}")
        for other, other_label in shown.items():
            if owner < other and label.overlaps(other_label):
                covered.append(f"labels of {described(diagram, owner)} {label} and {described(diagram, other)} "
                               f"{other_label} overlap")
        for flow in diagram.flows:
            if flow != owner and any(crosses(a, b, label.shrunk(CLEARANCE)) for a, b in segments(diagram.edges[flow])):
                covered.append(f"{described(diagram, flow)} runs through the label of {described(diagram, owner)} "
                               f"{label}")
    assert not covered, f"{diagram.name}:\n" + "\n".join(covered)
