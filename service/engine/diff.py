"""What changed between two versions of a diagram: elements added, removed and changed, and for a
changed element, which of its properties (attributes, conditions, scripts, timers, form, lane)."""
from __future__ import annotations

from lxml import etree

from service.engine.bundle import Bundle, parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Layout is not behaviour: moving a shape is no change; a flow's ends are compared through its refs.
SKIPPED = {"incoming", "outgoing", "flowNodeRef"}


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _properties(element) -> dict[str, str]:
    """An element's behaviour as flat key → text: its attributes and every nested element's text."""
    found = {f"@{k}": v for k, v in element.attrib.items() if k != "id"}

    def walk(node, prefix):
        for child in node:
            name = _local(child.tag)
            if not name or name in SKIPPED or child.get("id") and child is not element and name in ELEMENT_TAGS:
                continue
            key = f"{prefix}{name}"
            if name == "property" and child.get("name"):
                found[f"{prefix}property:{child.get('name')}"] = child.get("value", "")
                continue
            for attribute, value in child.attrib.items():
                found[f"{key}@{attribute}"] = value
            text = (child.text or "").strip()
            if text:
                found[key] = text
            walk(child, f"{key}/")

    walk(element, "")
    return found


ELEMENT_TAGS = {"task", "userTask", "scriptTask", "serviceTask", "businessRuleTask", "manualTask", "sendTask",
                "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
                "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
                "inclusiveGateway", "eventBasedGateway", "sequenceFlow", "lane", "message", "dataObject",
                "dataObjectReference", "participant"}


def _elements(xml: str) -> dict[str, tuple[str, str, dict]]:
    root = parse_xml(xml)
    lanes = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.iter(f"{{{BPMN}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    found = {}
    for element in root.iter():
        name = _local(element.tag)
        if name in ELEMENT_TAGS and element.get("id") and etree.QName(element.tag).namespace == BPMN:
            properties = _properties(element)
            if element.get("id") in lanes:
                properties["lane"] = lanes[element.get("id")]
            found[element.get("id")] = (name, element.get("name") or element.get("id"), properties)
    return found


def diff_bundles(old: Bundle, new: Bundle) -> dict:
    """Added, removed and changed elements across all diagrams, plus the files that changed."""
    before, after = {}, {}
    for text in old.bpmn_files().values():
        before.update(_elements(text))
    for text in new.bpmn_files().values():
        after.update(_elements(text))
    changed = []
    for element_id in sorted(set(before) & set(after)):
        old_kind, old_name, old_props = before[element_id]
        kind, name, props = after[element_id]
        keys = sorted(set(old_props) | set(props))
        differences = [{"property": key, "before": old_props.get(key), "after": props.get(key)}
                       for key in keys if old_props.get(key) != props.get(key)]
        if old_kind != kind:
            differences.insert(0, {"property": "type", "before": old_kind, "after": kind})
        if differences:
            changed.append({"id": element_id, "type": kind, "name": name, "changes": differences})
    old_files = {**old.processes, **{f"forms/{k}": v for k, v in old.forms.items()}}
    new_files = {**new.processes, **{f"forms/{k}": v for k, v in new.forms.items()}}
    return {
        "added": [{"id": i, "type": after[i][0], "name": after[i][1]} for i in sorted(set(after) - set(before))],
        "removed": [{"id": i, "type": before[i][0], "name": before[i][1]} for i in sorted(set(before) - set(after))],
        "changed": changed,
        "files_changed": sorted(name for name in set(old_files) | set(new_files)
                                if old_files.get(name) != new_files.get(name)),
    }
