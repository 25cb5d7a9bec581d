"""A compiled process definition: one deployed bundle parsed into SpiffWorkflow specs.

Parsing costs milliseconds and a deployed bundle never changes, so definitions are
cached by content hash. The definition also owns the serializer that stores
instance state *without* the spec (the spec is rebuilt from the version, never
repeated in every application row).
"""
from __future__ import annotations

from dataclasses import dataclass
import threading
from typing import Callable
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG

from service.engine.categories import Category, categories_in
from service.engine.materials import materials_in, notice_files_in
from service.engine.bundle import NSMAP, Bundle, bpmn_validator, parse_xml, role_for_lane
from service.engine.round_settings import settings_of
from service.engine.time_limits import TIME_LIMIT, time_limit_days


class DefinitionError(Exception):
    """The bundle cannot be turned into a runnable definition (validation explains why)."""


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str | None
    role: str | None
    form: str | None
    assignee: str | None  # expression evaluated in task data giving the one user who may do it
    multi_instance: bool
    time_limit_days: int | None = None  # 办理时限 in working days (modeler property time_limit_days)


def main_process_id(bundle: Bundle) -> str:
    executable = []
    for name, text in sorted(bundle.bpmn_files().items()):
        root = parse_xml(text)
        for process in root.iterfind("bpmn:process", NSMAP):
            if process.get("isExecutable", "false") == "true":
                executable.append(process.get("id"))
    if len(executable) != 1:
        raise DefinitionError(f"流程包必须恰好有一个可执行流程（isExecutable=\"true\"），现有 {len(executable)} 个")
    return executable[0]


def _parents_first(tasks: dict, root: str) -> dict:
    """The stored tasks reordered so each comes after its parent. SpiffWorkflow stores a task's data as a delta
    from its parent's and rebuilds it on load in the order the tasks are listed: a task listed before its
    parent silently loses every inherited value. The order is the workflow's ``tasks`` dict order, which a
    rewind changes (its reset tasks get new ids, so they move to the end, after tasks below them)."""
    ordered, queue = {}, [root]
    while queue:
        ident = queue.pop(0)
        task = tasks.get(ident)
        if task is None or ident in ordered:
            continue
        ordered[ident] = task
        queue.extend(task.get("children", ()))
    ordered.update((ident, task) for ident, task in tasks.items() if ident not in ordered)
    return ordered


def _spec_free_converter(spec, subprocess_specs):
    """A workflow converter that leaves the spec out of the stored state and puts it back on load."""

    class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
        def to_dict(self, workflow):
            dct = WorkflowConverter.to_dict(self, workflow)
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct):
            workflow = self.target_class(spec, subprocess_specs, deserializing=True)
            workflow.tasks = self.mapping_from_dict(_parents_first(dct["tasks"], dct["root"]), UUID,
                                                    workflow=workflow)
            workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
            self.set_default_attributes(workflow, dct)
            self.subprocesses_from_dict(dct["subprocesses"], workflow)
            workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
            return workflow

    return SpecFreeWorkflowConverter


class ProcessDefinition:
    def __init__(self, bundle: Bundle, lane_roles: dict[str, str] | None = None):
        """``lane_roles``: the deployment's roles that work tasks, Chinese name -> key (built-ins if None)."""
        self.bundle = bundle
        self.lane_roles = lane_roles
        self.content_hash = bundle.content_hash
        self.process_id = main_process_id(bundle)
        parser = SpiffBpmnParser(validator=bpmn_validator())
        for name, text in sorted(bundle.dmn_files().items()):
            parser.add_dmn_xml(parse_xml(text), filename=name)
        for name, text in sorted(bundle.bpmn_files().items()):
            parser.add_bpmn_xml(parse_xml(text), filename=name)
        self.spec = parser.get_spec(self.process_id)
        self.subprocess_specs = parser.get_subprocess_specs(self.process_id)
        config = dict(DEFAULT_CONFIG)
        config[BpmnWorkflow] = _spec_free_converter(self.spec, self.subprocess_specs)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.serializer_lock = threading.Lock()
        self.user_tasks = self._user_tasks()
        # Every named element's Chinese name by id: trails show these, never the ids.
        self.element_names = {t.bpmn_id: t.bpmn_name for wf in (self.spec, *self.subprocess_specs.values())
                              for t in wf.task_specs.values() if t.bpmn_id and t.bpmn_name}
        self.round_settings = settings_of(bundle.processes)  # the round settings the diagram reads
        self.catch_events = self._catch_events()
        # The categories this version offers, in their declared order (the standard three without a file).
        self.categories: dict[str, Category] = {c.key: c for c in categories_in(bundle.processes)}
        # The attachments a declaration needs and the notice's files this version offers (materials.py).
        self.materials = materials_in(bundle.processes)
        self.notice_files = notice_files_in(bundle.processes)

    def _user_tasks(self) -> dict[str, UserTaskInfo]:
        found = {}
        for wf_spec in (self.spec, *self.subprocess_specs.values()):
            for task_spec in wf_spec.task_specs.values():
                if not getattr(task_spec, "manual", False) or task_spec.bpmn_id is None:
                    continue
                props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
                lane = getattr(task_spec, "lane", None)
                found[task_spec.bpmn_id] = UserTaskInfo(
                    bpmn_id=task_spec.bpmn_id, name=task_spec.bpmn_name or task_spec.bpmn_id, lane=lane,
                    role=role_for_lane(lane, self.lane_roles), form=props.get("form"), assignee=props.get("assignee"),
                    # SpiffWorkflow names the per-instance spec of a multi-instance task "<id> [child]".
                    multi_instance=task_spec.name.endswith(" [child]"),
                    time_limit_days=time_limit_days(props.get(TIME_LIMIT)))
        return found

    def _catch_events(self) -> dict[str, tuple[str, str | None]]:
        """element id -> ("timer", None) or ("message", name) for every catching event.

        After an event-based gateway SpiffWorkflow folds the events' definitions into the
        gateway, so the diagram is the only place left that says which kind each one was.
        """
        found = {}
        for text in self.bundle.bpmn_files().values():
            root = parse_xml(text)
            messages = {m.get("id"): m.get("name") for m in root.iterfind("bpmn:message", NSMAP)}
            for event in root.iterfind(".//bpmn:intermediateCatchEvent", NSMAP):
                if event.find("bpmn:timerEventDefinition", NSMAP) is not None:
                    found[event.get("id")] = ("timer", None)
                message = event.find("bpmn:messageEventDefinition", NSMAP)
                if message is not None:
                    found[event.get("id")] = ("message", messages.get(message.get("messageRef")))
        return found

    def elements_awaiting(self, message: str) -> dict[str, str]:
        """element id -> name of every element an instance waits in while it waits for ``message``:
        the catching events, and an event-based gateway in front of one (SpiffWorkflow waits there)."""
        found = {}
        for text in self.bundle.bpmn_files().values():
            root = parse_xml(text)
            names = {el.get("id"): el.get("name") or el.get("id") for el in root.iter() if el.get("id")}
            catching = {element for element, kind in self.catch_events.items() if kind == ("message", message)
                        and element in names}
            found.update({element: names[element] for element in catching})
            for gateway in root.iterfind(".//bpmn:eventBasedGateway", NSMAP):
                targets = {flow.get("targetRef") for flow in root.iterfind(".//bpmn:sequenceFlow", NSMAP)
                           if flow.get("sourceRef") == gateway.get("id")}
                if targets & catching:
                    found[gateway.get("id")] = names[gateway.get("id")]
        return found

    def form_schema_source(self, form_name: str) -> dict:
        return self.bundle.form(form_name)


_definitions: dict[str, ProcessDefinition] = {}
_definitions_lock = threading.Lock()


def definition_for(content_hash: str, load_bundle: Callable[[], Bundle],
                   lane_roles: Callable[[], dict[str, str]] | None = None) -> ProcessDefinition:
    """The compiled definition of a deployed bundle, parsed once per content hash per process.

    Deployed bundles are immutable, and so are the roles their lanes name (roles are only ever added), so
    the cache never needs invalidating. ``lane_roles`` gives the deployment's roles when it must parse.
    """
    definition = _definitions.get(content_hash)
    if definition is None:
        with _definitions_lock:
            definition = _definitions.get(content_hash)
            if definition is None:
                definition = ProcessDefinition(load_bundle(), None if lane_roles is None else lane_roles())
                _definitions[content_hash] = definition
    return definition
