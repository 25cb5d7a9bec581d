"""The engine's rewind on its own: where an instance may go back to, and that it runs on from there."""
from datetime import datetime, timezone

from service.engine.bundle import Bundle
from service.engine.clock import ManualClock
from service.engine.definition import ProcessDefinition
from service.engine.workflow import Engine

FLOWS = [("Begin", "Task_prepare"), ("Task_prepare", "Split"), ("Split", "Task_a"), ("Split", "Task_b1"),
         ("Task_b1", "Task_b2"), ("Task_a", "Join"), ("Task_b2", "Join"), ("Join", "Task_c"), ("Task_c", "Finish")]
NAMES = {"Task_prepare": "准备", "Task_a": "甲", "Task_b1": "乙一", "Task_b2": "乙二", "Task_c": "丙"}


def parallel_bundle() -> Bundle:
    """prepare -> (a | b1 -> b2) -> c: two branches side by side."""
    def flows(element, direction):
        index = 1 if direction == "incoming" else 0
        return "".join(f"<bpmn:{direction}>F{n}</bpmn:{direction}>" for n, flow in enumerate(FLOWS)
                       if flow[index] == element)

    elements = [f'<bpmn:startEvent id="Begin">{flows("Begin", "outgoing")}</bpmn:startEvent>',
                f'<bpmn:endEvent id="Finish">{flows("Finish", "incoming")}</bpmn:endEvent>']
    for gateway in ("Split", "Join"):
        elements.append(f'<bpmn:parallelGateway id="{gateway}">{flows(gateway, "incoming")}'
                        f'{flows(gateway, "outgoing")}</bpmn:parallelGateway>')
    for task, name in NAMES.items():
        elements.append(f'<bpmn:userTask id="{task}" name="{name}">{flows(task, "incoming")}'
                        f'{flows(task, "outgoing")}</bpmn:userTask>')
    elements += [f'<bpmn:sequenceFlow id="F{n}" sourceRef="{a}" targetRef="{b}" />' for n, (a, b) in enumerate(FLOWS)]
    bpmn = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="http://test">'
            f'<bpmn:process id="parallel" isExecutable="true">{"".join(elements)}</bpmn:process></bpmn:definitions>')
    return Bundle({"parallel.bpmn": bpmn}, {})


def engine() -> Engine:
    return Engine(ProcessDefinition(parallel_bundle()), clock=ManualClock(datetime(2024, 5, 6, tzinfo=timezone.utc)))


def do(engine, wf, element):
    task = next(t for t in engine.ready_tasks(wf) if t.bpmn_id == element)
    engine.complete(wf, task.id, {"done": element})


def test_a_step_in_a_branch_beside_the_open_one_is_refused_and_before_the_split_is_not():
    e = engine()
    wf, _ = e.start({})
    for element in ("Task_prepare", "Task_a", "Task_b1"):
        do(e, wf, element)
    assert [t.bpmn_id for t in e.ready_tasks(wf)] == ["Task_b2"]
    assert [t.element_id for t in e.rewind_targets(wf)] == ["Task_prepare"]
    assert "分支已不可达" in e.rewind_refusal(wf, "Task_a")
    assert "尚未办理过" in e.rewind_refusal(wf, "Task_c")

    target = e.rewind(wf, "Task_prepare")
    wf = e.load(e.dump(wf))  # what is saved is what runs on
    assert [(t.bpmn_id, t.id) for t in e.ready_tasks(wf)] == [("Task_prepare", target.task_id)]
    for element in ("Task_prepare", "Task_a", "Task_b1", "Task_b2", "Task_c"):
        do(e, wf, element)
    assert e.outcome(wf) == ("Finish", "Finish")


def test_an_ended_instance_cannot_go_back():
    e = engine()
    wf, _ = e.start({})
    for element in ("Task_prepare", "Task_a", "Task_b1", "Task_b2", "Task_c"):
        do(e, wf, element)
    assert e.rewind_targets(wf) == [] and e.rewind_refusal(wf, "Task_c") == "申报已结束，不能退回"


def test_the_steps_after_a_rewind_see_the_data_from_before_it_once_saved_and_loaded():
    """SpiffWorkflow stores each task's data as a delta from its parent's; a rewind renews the reset task's id,
    which lists it after the tasks below it. Loading must still rebuild their data from the parent first."""
    e = engine()
    wf, _ = e.start({"unit": "长春示范"})
    do(e, wf, "Task_prepare")
    e.rewind(wf, "Task_prepare")
    wf = e.load(e.dump(wf))
    task = next(t for t in e.ready_tasks(wf) if t.bpmn_id == "Task_prepare")
    e.complete(wf, task.id, {"answer": "again"})
    wf = e.load(e.dump(wf))
    after = {t.bpmn_id: e.find_task(wf, t.id).data for t in e.ready_tasks(wf)}
    assert set(after) == {"Task_a", "Task_b1"}
    for data in after.values():
        assert data["unit"] == "长春示范" and data["answer"] == "again"
