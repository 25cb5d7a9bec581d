"""The round's diagram as bpmn-js draws it on the application page: every label's text, measured in the browser,
stays clear of the shapes and of the other labels and inside the pool (tests/test_diagram_layout.py checks the
file with estimated label sizes; this checks the estimate against the real font)."""
from __future__ import annotations

from tests.api import ApiScenario

# Each element's box in diagram units: the group's translation plus its drawing's (or its text's) extent.
BOXES = """sel => {
  const boxes = [];
  document.querySelectorAll(sel + ' .djs-element.djs-shape').forEach((element) => {
    const id = element.dataset.elementId;
    const drawn = id.endsWith('_label') ? element.querySelector('text') : element.querySelector('.djs-visual');
    const at = element.transform.baseVal.consolidate();
    if (!drawn || !at) return;
    const box = drawn.getBBox();
    boxes.push({ id, x: at.matrix.e + box.x, y: at.matrix.f + box.y, width: box.width, height: box.height });
  });
  return boxes;
}"""
CLEARANCE = 1  # px


def overlap(a, b) -> bool:
    return (a["x"] + CLEARANCE < b["x"] + b["width"] and b["x"] + CLEARANCE < a["x"] + a["width"]
            and a["y"] + CLEARANCE < b["y"] + b["height"] and b["y"] + CLEARANCE < a["y"] + a["height"])


def inside(inner, outer) -> bool:
    return (outer["x"] <= inner["x"] and outer["y"] <= inner["y"]
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"])


def described(box) -> str:
    return f"{box['id']} ({box['x']:.0f},{box['y']:.0f} {box['width']:.0f}×{box['height']:.0f})"


def test_the_rounds_labels_cover_no_shape_and_no_other_label(browse, api):
    scenario = ApiScenario(api).start()
    viewer = browse()
    page = viewer.login("changchun")
    page.goto(f"/applications/{scenario.application_id}")
    page.wait_for_selector("#diagram[data-rendered=true]")
    page.locator("#diagram .gl-zoom [data-zoom=fit]").click()
    viewer.screenshot("round-diagram-whole")
    boxes = page.evaluate(BOXES, "#diagram")
    labels = [box for box in boxes if box["id"].endswith("_label")]
    pools = [box for box in boxes if box["id"].startswith("Participant")]
    shapes = [box for box in boxes if box not in labels and box not in pools and not box["id"].startswith("Lane")]
    assert len(labels) > 40 and len(shapes) > 40 and len(pools) == 1, (len(labels), len(shapes), len(pools))
    problems = [f"{described(label)} covers {described(shape)}" for label in labels for shape in shapes
                if overlap(label, shape)]
    problems += [f"{described(a)} and {described(b)} overlap" for i, a in enumerate(labels) for b in labels[i + 1:]
                 if overlap(a, b)]
    problems += [f"{described(label)} outside the pool {described(pools[0])}" for label in labels
                 if not inside(label, pools[0])]
    assert not problems, "\n".join(problems)
