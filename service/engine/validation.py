"""Validate a process bundle before it is deployed.

SpiffWorkflow's parser accepts much that fails only when an application reaches the
broken element (a condition with a syntax error, an unquoted timer), and reports
structural errors in terms of its internals. Every problem found here names the
file and the element and says how to fix it, in Chinese, for administrators.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from lxml import etree

from service.forms.schema import form_problems
from service.engine.categories import CATEGORIES_FILE, CategoriesInvalid, categories_in
from service.engine.bundle import (BPMN_NS, NSMAP, ROLE_BY_LANE, SERVICE_MESSAGES, Bundle, XmlRefused, parse_xml,
                                   role_for_lane)
from service.engine.priority import priority_problems
from service.engine.materials_check import materials_problems
from service.engine.probe import Expression, probe_all
from service.engine.round_settings import SETTINGS_FILE, settings_problems
from service.engine.time_limits import MAX_TIME_LIMIT, TIME_LIMIT, time_limit_days
from service.engine.sandbox import ScriptError, compile_code

DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
}
CATCH_TAGS = {"startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask"}
TIMER_PARTS = ("timeDate", "timeDuration", "timeCycle")
ISO_LOOKING = re.compile(r"^(R\d*/)?(P[\dTYMWDHS.]+|\d{4}-\d{2}-\d{2}.*)$")


@dataclass(frozen=True)
class Problem:
    file: str
    element: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.element}" if self.element else self.file
        return f"{where}: {self.message}"


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _label(node) -> str:
    name = node.get("name")
    return f"{node.get('id')}（{name}）" if name else str(node.get("id"))


class _BundleChecker:
    def __init__(self, bundle: Bundle, lane_roles: dict[str, str]):
        self.bundle = bundle
        self.lane_roles = lane_roles
        self.problems: list[Problem] = []
        self.decision_ids: set[str] = set()
        self.trees: dict[str, etree._Element] = {}
        self.referenced_forms: set[str] = set()
        self.expressions: list[tuple[str, str, str, Expression]] = []  # (file, element, what, expression)

    def add(self, file, element, message):
        self.problems.append(Problem(file, element, message))

    def run(self) -> list[Problem]:
        if not self.bundle.bpmn_files():
            self.add("processes", None, "流程包中没有 .bpmn 文件")
        for name, text in sorted({**self.bundle.bpmn_files(), **self.bundle.dmn_files()}.items()):
            try:
                self.trees[name] = parse_xml(text)
            except XmlRefused as err:
                line = f"（第 {err.line} 行）" if err.line else ""
                self.add(f"processes/{name}", None, f"{err}{line}")
        for name, root in self.trees.items():
            if name.endswith(".dmn"):
                self.check_dmn(name, root)
        for file, element, message in priority_problems(self.bundle.processes):
            self.add(file, element, message)
        executable = []
        caught_messages: dict[str, str] = {}
        for name, root in self.trees.items():
            if name.endswith(".bpmn"):
                executable += [p.get("id") for p in root.iterfind("bpmn:process", NSMAP)
                               if p.get("isExecutable") == "true"]
                caught_messages.update(self.check_bpmn(name, root))
        if self.bundle.bpmn_files() and len(executable) != 1:
            self.add("processes", None, f"必须恰好有一个可执行流程（isExecutable=\"true\"），现有 {len(executable)} 个")
        for message in SERVICE_MESSAGES:
            if message not in caught_messages.values():
                self.add("processes", f"消息 {message}",
                         f"服务会发送消息“{message}”，但流程中没有接收它的事件；请添加引用该消息的中间捕获事件")
        for element, message in settings_problems(self.bundle.processes):
            self.add(f"processes/{SETTINGS_FILE}", element, message)
        self.check_forms()
        self.check_categories()
        self.problems += [Problem(*problem) for problem in materials_problems(self.bundle, self.trees)]
        self.probe_expressions()
        return self.problems

    # -- DMN --------------------------------------------------------------------------
    def check_dmn(self, name: str, root):
        file = f"processes/{name}"
        ns = etree.QName(root).namespace
        if ns not in DMN_NAMESPACES:
            self.add(file, None, "不是 DMN 决策表文件（命名空间不识别）")
            return
        dmn = {"dmn": ns}
        for decision in root.iterfind("dmn:decision", dmn):
            self.decision_ids.add(decision.get("id"))
            for text in decision.iterfind(".//dmn:inputExpression/dmn:text", dmn):
                self.check_expression(file, _label(decision), text.text or "", "eval", "输入表达式")
            for rule in decision.iterfind(".//dmn:rule", dmn):
                for entry in rule.iterfind("dmn:inputEntry/dmn:text", dmn):
                    self.check_dmn_entry(file, f"{decision.get('id')} 规则 {rule.get('id')}", entry.text or "")
                for entry in rule.iterfind("dmn:outputEntry/dmn:text", dmn):
                    if (entry.text or "").strip():
                        self.check_expression(file, f"{decision.get('id')} 规则 {rule.get('id')}",
                                              entry.text, "eval", "输出")

    def check_dmn_entry(self, file, element, text):
        text = text.strip()
        if text in ("", "-"):
            return
        text = text.replace("?", "dmninputexpr")
        try:
            ast.parse(text, mode="eval")
            candidate = text
        except SyntaxError:
            candidate = f"dmninputexpr {text}"
        self.check_expression(file, element, candidate, "eval", "输入条件")

    # -- BPMN -------------------------------------------------------------------------
    def check_bpmn(self, name: str, root) -> dict[str, str]:
        """Check one BPMN file; returns {message id: message name} of messages it catches."""
        file = f"processes/{name}"
        messages = {m.get("id"): m.get("name") for m in root.iterfind("bpmn:message", NSMAP)}
        caught = {}
        for process in root.iterfind("bpmn:process", NSMAP):
            lanes = {}
            for lane in process.iterfind(".//bpmn:lane", NSMAP):
                for ref in lane.iterfind("bpmn:flowNodeRef", NSMAP):
                    lanes[(ref.text or "").strip()] = lane.get("name")
            nodes = {n.get("id"): n for n in process.iter() if _local(n.tag) in FLOW_NODE_TAGS}
            flows = {f.get("id"): f for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
            self.check_flows(file, nodes, flows)
            for node_id, node in nodes.items():
                kind = _local(node.tag)
                self.check_scripts(file, node)
                self.check_timers(file, node)
                for definition in node.iterfind("bpmn:messageEventDefinition", NSMAP):
                    ref = definition.get("messageRef")
                    if ref not in messages:
                        self.add(file, _label(node), f"引用的消息 {ref} 不存在；请在消息定义中添加或改为已有消息")
                    elif kind in CATCH_TAGS:
                        caught[ref] = messages[ref]
                if kind in ("exclusiveGateway", "inclusiveGateway"):
                    self.check_gateway(file, node, flows)
                if kind == "userTask":
                    self.check_user_task(file, node, lanes.get(node_id))
                if kind == "businessRuleTask":
                    decision = node.findtext("bpmn:extensionElements/spiffworkflow:calledDecisionId",
                                             namespaces=NSMAP)
                    if not decision:
                        self.add(file, _label(node), "业务规则任务未指定决策表（calledDecisionId）")
                    elif decision.strip() not in self.decision_ids:
                        self.add(file, _label(node), f"引用的决策表“{decision}”不存在；请上传含该决策的 .dmn 文件或改正引用")
        return caught

    def check_flows(self, file, nodes, flows):
        for flow_id, flow in flows.items():
            for end, word in (("sourceRef", "起点"), ("targetRef", "终点")):
                ref = flow.get(end)
                if ref not in nodes:
                    self.add(file, flow_id, f"顺序流的{word} {ref} 不存在；请重新连接该连线或删除它")
            condition = flow.find("bpmn:conditionExpression", NSMAP)
            if condition is not None:
                self.check_expression(file, flow_id, condition.text or "", "eval", "条件")
        for node_id, node in nodes.items():
            for tag in ("incoming", "outgoing"):
                for ref in node.iterfind(f"bpmn:{tag}", NSMAP):
                    if (ref.text or "").strip() not in flows:
                        self.add(file, _label(node), f"{tag} 引用的顺序流 {ref.text} 不存在；请删除该引用或补上连线")
            attached = node.get("attachedToRef")
            if attached is not None and attached not in nodes:
                self.add(file, _label(node), f"边界事件依附的元素 {attached} 不存在")

    def check_scripts(self, file, node):
        label = _label(node)
        script = node.find("bpmn:script", NSMAP)
        if script is not None:
            self.check_expression(file, label, script.text or "", "exec", "脚本")
        ext = node.find("bpmn:extensionElements", NSMAP)
        if ext is not None:
            for tag, what in (("preScript", "前置脚本"), ("postScript", "后置脚本")):
                for item in ext.iterfind(f"spiffworkflow:{tag}", NSMAP):
                    self.check_expression(file, label, item.text or "", "exec", what)
            for prop in ext.iterfind("spiffworkflow:properties/spiffworkflow:property", NSMAP):
                if prop.get("name") == "assignee":
                    self.check_expression(file, label, prop.get("value") or "", "eval", "办理人表达式")
        loop = node.find("bpmn:multiInstanceLoopCharacteristics", NSMAP)
        if loop is not None:
            for tag in ("loopCardinality", "completionCondition"):
                item = loop.find(f"bpmn:{tag}", NSMAP)
                if item is not None:
                    self.check_expression(file, label, item.text or "", "eval", "多实例表达式")
            for tag in ("loopDataInputRef", "loopDataOutputRef"):
                item = loop.find(f"bpmn:{tag}", NSMAP)
                if item is not None and not (item.text or "").strip().isidentifier():
                    self.add(file, label, f"多实例 {tag} 必须是变量名")

    def check_timers(self, file, node):
        for timer in node.iterfind("bpmn:timerEventDefinition", NSMAP):
            parts = [timer.find(f"bpmn:{p}", NSMAP) for p in TIMER_PARTS]
            parts = [p for p in parts if p is not None]
            if len(parts) != 1:
                self.add(file, _label(node), "定时器必须且只能设置 timeDate、timeDuration、timeCycle 之一")
                continue
            self.check_timer_expression(file, _label(node), _local(parts[0].tag), (parts[0].text or "").strip())

    def check_timer_expression(self, file, label, kind, text):
        if not text:
            self.add(file, label, "定时器表达式为空")
            return
        if ISO_LOOKING.match(text):
            self.add(file, label, f"定时器表达式 {text} 是 Python 表达式，ISO 时间必须加引号，如 \"{text}\"")
            return
        if not self.check_expression(file, label, text, "eval", "定时器表达式"):
            return
        node = ast.parse(text, mode="eval").body
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, str):
                self.add(file, label, "定时器表达式应得到 ISO 8601 时间字符串")
                return
            from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition as Timer
            try:
                if kind == "timeDuration":
                    Timer.parse_iso_duration(node.value)
                elif kind == "timeCycle":
                    Timer.parse_iso_recurring_interval(node.value)
                else:
                    Timer.get_datetime(node.value)
            except Exception:
                example = {"timeDuration": "\"P5D\"", "timeCycle": "\"R3/PT1H\""}.get(kind, "\"2024-06-10T16:00:00+00:00\"")
                self.add(file, label, f"定时器值 {node.value!r} 无法解析为 ISO 8601 {kind}，示例：{example}")

    def check_gateway(self, file, node, flows):
        outgoing = [flows[r.text.strip()] for r in node.iterfind("bpmn:outgoing", NSMAP)
                    if (r.text or "").strip() in flows]
        if len(outgoing) < 2:
            return
        default = node.get("default")
        if default is not None and default not in {f.get("id") for f in outgoing}:
            self.add(file, _label(node), f"默认流 {default} 不是该网关的出口")
        for flow in outgoing:
            if flow.get("id") != default and flow.find("bpmn:conditionExpression", NSMAP) is None:
                self.add(file, _label(node),
                         f"出口 {flow.get('id')} 既没有条件也不是默认流；请为它设置条件或设为默认流")

    def check_user_task(self, file, node, lane):
        label = _label(node)
        if lane is None:
            self.add(file, label, "人工任务不在任何泳道中；请把它放进代表角色的泳道")
        elif role_for_lane(lane, self.lane_roles) is None:
            self.add(file, label, f"泳道“{lane}”不对应已知角色；泳道名应为 {'、'.join(self.lane_roles)} 之一，"
                                  f"新的角色请先由管理员在“角色管理”中添加")
        form = None
        for prop in node.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NSMAP):
            if prop.get("name") == "form":
                form = prop.get("value")
            if prop.get("name") == TIME_LIMIT and time_limit_days(prop.get("value")) is None:
                self.add(file, label, f"办理时限 {TIME_LIMIT}=“{prop.get('value')}” 应为 1–{MAX_TIME_LIMIT} 的整数（工作日）")
        if not form:
            self.add(file, label, "人工任务没有指定表单；请添加扩展属性 form=表单文件名")
        elif form not in self.bundle.forms:
            self.add(file, label, f"表单文件“{form}”不存在；请上传到 forms/ 或改正文件名")
        else:
            self.referenced_forms.add(form)

    # -- expressions and forms ----------------------------------------------------------
    def check_expression(self, file, element, source, mode, what) -> bool:
        if not source.strip():
            self.add(file, element, f"{what}为空")
            return False
        source = source.strip() if mode == "eval" else source
        try:
            ast.parse(source, mode=mode)
        except SyntaxError as err:
            self.add(file, element, f"{what}语法错误（第 {err.lineno} 行）：{err.msg}；请检查表达式 {source.strip()[:80]!r}")
            return False
        try:
            compile_code(source, mode)
        except ScriptError as err:
            self.add(file, element, f"{what}不被允许：{err}；请只使用数据变量和允许的函数")
            return False
        self.expressions.append((file, element, what, Expression(source, mode)))
        return True

    def probe_expressions(self):
        """Run what each expression computes without task data, confined (see probe.py)."""
        refused = probe_all(tuple(expression for *_, expression in self.expressions))
        for index, reason in sorted(refused.items()):
            file, element, what, _ = self.expressions[index]
            self.add(file, element, f"{what}试运行被拒绝：{reason}；请改正该表达式，流程运行到这里时同样会被拒绝")

    # -- categories -------------------------------------------------------------------
    def check_categories(self):
        """Each declared category's declaration step is an applicant's user task with its form, the forms
        and summary columns exist, and some condition routes the category's key into the diagram."""
        file = f"processes/{CATEGORIES_FILE}"
        try:
            categories = categories_in(self.bundle.processes)
        except CategoriesInvalid as err:
            for where, message in err.problems:
                self.add(file, where, message)
            return
        tasks, lanes, conditions = {}, {}, []
        for name, root in self.trees.items():
            if not name.endswith(".bpmn"):
                continue
            tasks.update({t.get("id"): t for t in root.iterfind(".//bpmn:userTask", NSMAP)})
            for lane in root.iterfind(".//bpmn:lane", NSMAP):
                lanes.update({ref.text: lane.get("name") for ref in lane.iterfind("bpmn:flowNodeRef", NSMAP)})
            conditions += [c.text or "" for c in root.iterfind(".//bpmn:conditionExpression", NSMAP)]
        for category in categories:
            where = f"类别“{category.name}”（{category.key}）"
            task = tasks.get(category.step)
            if task is None:
                self.add(file, where, f"申报环节“{category.step}”不是流程中的人工任务；请填写申报单位泳道中填报申报书的人工任务 id")
            elif role_for_lane(lanes.get(category.step), self.lane_roles) != "applicant":
                self.add(file, where, f"申报环节“{category.step}”不在申报单位泳道中")
            elif self._form_property(task) not in (None, category.form):
                self.add(file, where, f"申报表单“{category.form}”与申报环节“{category.step}”的表单"
                                      f"“{self._form_property(task)}”不一致")
            if category.form not in self.bundle.forms:
                self.add(file, where, f"申报表单“{category.form}”不存在；请在“表单”页新建 forms/{category.form}")
            else:
                self._check_summary_columns(file, where, category)
            if not any(f'"{category.key}"' in text or f"'{category.key}'" in text for text in conditions):
                self.add(file, where, f"流程中没有任何分支条件引用该类别（如 category == \"{category.key}\"），"
                                      "该类别的申报将无法进入申报环节")

    @staticmethod
    def _form_property(task) -> str | None:
        for prop in task.iterfind(".//spiffworkflow:property", NSMAP):
            if prop.get("name") == "form":
                return prop.get("value")
        return None

    def _check_summary_columns(self, file, where, category):
        try:
            form = json.loads(self.bundle.forms[category.form])
        except (json.JSONDecodeError, RecursionError):
            return  # the form's own check reports it
        keys, pending = set(), [form]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                if isinstance(node.get("key"), str):
                    keys.add(node["key"])
                pending += [v for v in node.values() if isinstance(v, (dict, list))]
            elif isinstance(node, list):
                pending += node
        for column in category.summary_columns:
            if column.field not in keys:
                self.add(file, where, f"汇总表附加列“{column.label}”引用的字段“{column.field}”不在表单 {category.form} 中")

    def check_forms(self):
        for name, text in sorted(self.bundle.forms.items()):
            try:
                form = json.loads(text)
            except json.JSONDecodeError as err:
                self.add(f"forms/{name}", None, f"JSON 格式错误：第 {err.lineno} 行 {err.msg}")
                continue
            except RecursionError:
                self.add(f"forms/{name}", None, "JSON 嵌套层数过多，请减少分组嵌套")
                continue
            for component, problem in form_problems(form):
                self.add(f"forms/{name}", component, problem)


def validate_bundle(bundle: Bundle, lane_roles: dict[str, str] | None = None) -> list[Problem]:
    """Every problem in ``bundle``; an empty list means it can be deployed. ``lane_roles`` are the
    deployment's roles that work tasks (Chinese name -> key; the built-ins when not given)."""
    lane_roles = ROLE_BY_LANE if lane_roles is None else lane_roles
    problems = _BundleChecker(bundle, lane_roles).run()
    if problems:
        return problems
    # What our own checks cannot see (XSD, SpiffWorkflow's own rules) shows up here.
    from service.engine.definition import ProcessDefinition

    try:
        ProcessDefinition(bundle, lane_roles)
    except Exception as err:  # any parser failure is a validation problem, reported with its location
        file = getattr(err, "file_name", None) or "processes"
        element = getattr(err, "id", None) or getattr(err, "name", None)
        line = getattr(err, "line_number", None)
        where = f"（第 {line} 行）" if line else ""
        problems.append(Problem(str(file), element, f"流程无法解析{where}：{err}"))
    return problems
