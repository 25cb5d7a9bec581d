"""A restricted Python environment for every expression a diagram carries.

Diagrams are uploaded by administrators, so scripts, gateway conditions, timer
expressions, DMN cells and multi-instance expressions are untrusted code. They are
compiled with RestrictedPython (no imports, no dunder access, guarded attribute and
item access), see only a whitelist of builtins plus the domain functions we inject,
and run within a budget (see guards.py): results are measured before they are built,
each evaluation may create or iterate a bounded number of items and run a bounded
number of bytecodes, and a trace function stops it at its deadline in any thread.

This is the in-process wall, used for deployed versions on the request path. Code from
a draft (validation probes, rehearsal) additionally runs in a child process with
operating-system limits (see confine.py).
"""
from __future__ import annotations

import ast
import builtins
import sys
from contextlib import contextmanager
from functools import lru_cache

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from service.engine.guards import (ALLOWED_BUILTINS, Budget, BudgetExceeded, ScriptError, ScriptTimeout, guard_table, set_budget)

__all__ = ["ScriptError", "ScriptTimeout", "BudgetExceeded", "SandboxEnvironment", "SandboxScriptEngine",
           "compile_code", "deadline", "forbidden_names"]

SCRIPT_FILENAME = "<diagram>"
DEFAULT_TIME_LIMIT = 1.0
MAX_SOURCE = 20_000  # characters of one expression or script


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus guards against single huge C-level operations."""

    _GUARDED = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.Mod: "%", ast.LShift: "<<",
                ast.BitOr: "|", ast.BitXor: "^"}

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        symbol = self._GUARDED.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                        args=[ast.Constant(symbol), node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_Import(self, node):
        self.error(node, "流程图中不允许 import")

    visit_ImportFrom = visit_Import

    def visit_FormattedValue(self, node):
        # f'{x}' turns x into text in one C call: the guard measures it first.
        if node.format_spec is not None:
            self.error(node, "不允许在 f-string 中使用格式说明")
        node = self.node_contents_visit(node)
        node.value = ast.fix_missing_locations(ast.copy_location(
            ast.Call(func=ast.Name("_fmt_", ast.Load()), args=[node.value], keywords=[]), node.value))
        return node


def forbidden_names(source: str, mode: str = "exec") -> list[str]:
    """Python builtins used by ``source`` that are not on the whitelist (open, eval, ...)."""
    tree = ast.parse(source, SCRIPT_FILENAME, mode)
    allowed = set(ALLOWED_BUILTINS) | {"range"}
    python_builtins = set(dir(builtins))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return sorted(name for name in used if name in python_builtins and name not in allowed)


@lru_cache(maxsize=2048)
def compile_code(source: str, mode: str):
    """Compile ``source`` restricted; raises ScriptError listing every problem."""
    if len(source) > MAX_SOURCE:
        raise ScriptError(f"表达式长度超过 {MAX_SOURCE} 个字符")
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, SCRIPT_FILENAME, policy=_Policy)
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    bad = forbidden_names(source, mode)
    if bad:
        raise ScriptError(f"流程图中不允许使用：{', '.join(bad)}")
    return result.code


@contextmanager
def deadline(seconds: float):
    """Run diagram code within a fresh budget: ``seconds`` of time, bounded cells and steps (any thread)."""
    budget = Budget(seconds)
    previous_budget = set_budget(budget)
    previous = sys.gettrace()

    def local_trace(frame, event, arg):
        budget.step()
        return local_trace

    def global_trace(frame, event, arg):
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        # Opcode events: a one-line loop (`while True: pass`) emits no line events.
        frame.f_trace_opcodes = True
        return local_trace(frame, event, arg)

    sys.settrace(global_trace)
    try:
        yield budget
    except RecursionError:
        raise ScriptError("表达式递归过深，已被停止") from None
    except MemoryError:
        raise ScriptError("表达式占用内存过多，已被停止") from None
    finally:
        sys.settrace(previous)
        set_budget(previous_budget)


class SandboxEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment, evaluated under RestrictedPython."""

    def __init__(self, functions: dict | None = None, time_limit: float = DEFAULT_TIME_LIMIT):
        super().__init__({**guard_table(), **(functions or {})})
        self.time_limit = time_limit

    def evaluate(self, expression, context, external_context=None):
        code = compile_code(expression.strip(), "eval")
        scope = dict(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        with deadline(self.time_limit):
            return eval(code, scope)

    def execute(self, script, context, external_context=None):
        code = compile_code(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        try:
            with deadline(self.time_limit):
                exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class SandboxScriptEngine(PythonScriptEngine):
    def __init__(self, functions: dict | None = None, time_limit: float = DEFAULT_TIME_LIMIT):
        super().__init__(environment=SandboxEnvironment(functions, time_limit))

    def validate(self, expression):
        # DMN uses validate() to probe whether a cell needs an implicit '=='.
        ast.parse(expression)
