"""The shipped bundle with one more lane: a step for a role the deployment adds (技术支撑单位 by default),
between the city's package (received by the province) and the province's formal review."""
from __future__ import annotations

import json

from service.engine.bundle import Bundle

FORM = "tech_check.form.json"
STEP = "Task_tech_check"
# After the city's package is received (Event_city_package), before the formal review.
INTO_FORMAL_REVIEW = "<bpmn:incoming>Flow_Ev_city_package_T_formal_review</bpmn:incoming>"
RECOMMENDED = 'sourceRef="Event_city_package" targetRef="Task_formal_review"'


def tech_check_form() -> str:
    return json.dumps({
        "type": "default", "id": "Form_tech_check", "schemaVersion": 16,
        "components": [{"type": "textarea", "key": "tech_opinion", "label": "技术审核意见", "id": "Field_tech_opinion",
                        "validate": {"required": True, "maxLength": 2000}}],
    }, ensure_ascii=False)


def with_lane(shipped: Bundle, lane: str = "技术支撑单位") -> Bundle:
    """``shipped`` with a lane named ``lane`` holding one user task on the recommended path."""
    name, text = next((n, t) for n, t in shipped.processes.items() if n.endswith(".bpmn"))
    assert INTO_FORMAL_REVIEW in text and RECOMMENDED in text, "the shipped diagram changed: update this fixture"
    task = f"""
    <bpmn:userTask id="{STEP}" name="技术审核">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="form" value="{FORM}" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_Ev_city_package_T_formal_review</bpmn:incoming>
      <bpmn:outgoing>Flow_T_tech_check_T_formal_review</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_T_tech_check_T_formal_review" sourceRef="{STEP}" targetRef="Task_formal_review" />
"""
    text = text.replace(RECOMMENDED, f'sourceRef="Event_city_package" targetRef="{STEP}"')
    text = text.replace(INTO_FORMAL_REVIEW, "<bpmn:incoming>Flow_T_tech_check_T_formal_review</bpmn:incoming>")
    text = text.replace("    </bpmn:laneSet>", f"""      <bpmn:lane id="Lane_tech" name="{lane}">
        <bpmn:flowNodeRef>{STEP}</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>{task}""", 1)
    return Bundle({**shipped.processes, name: text}, {**shipped.forms, FORM: tech_check_form()}, shipped.files)
