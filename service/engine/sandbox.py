"""A restricted Python environment for every expression a diagram carries.

Diagrams are uploaded by administrators, so scripts, gateway conditions, timer
expressions, DMN cells and multi-instance expressions are untrusted code. They are
compiled with RestrictedPython (no imports, no dunder access, guarded attribute and
item access), see only a whitelist of builtins plus the domain functions we inject,
and run under a wall-clock deadline enforced by a trace function.

A trace function cannot interrupt one huge C-level operation (``10**10**10``,
``'x' * 10**12``), so those operators are rewritten at compile time into guarded
calls that refuse results above a size limit.
"""
from __future__ import annotations

import ast
import builtins
import sys
import time
from contextlib import contextmanager
from functools import lru_cache

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

SCRIPT_FILENAME = "<diagram>"
MAX_SEQUENCE = 100_000
MAX_EXPONENT = 256
MAX_RANGE = 10_000
DEFAULT_TIME_LIMIT = 1.0

# Builtins a diagram may call. Anything else from Python's builtins (open, eval, getattr,
# type, pow, __import__, ...) is refused at validation and absent at run time.
ALLOWED_BUILTINS = (
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance",
    "len", "list", "map", "max", "min", "reversed", "round", "set", "sorted", "str", "sum",
    "tuple", "zip", "None", "True", "False",
    "ArithmeticError", "Exception", "KeyError", "TypeError", "ValueError", "ZeroDivisionError",
)
# Attributes that can build a huge string in one C call.
FORBIDDEN_ATTRIBUTES = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "format", "format_map"})


class ScriptError(Exception):
    """A diagram expression was refused or failed; the message is for administrators."""


class ScriptTimeout(ScriptError):
    pass


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus guards against single huge C-level operations."""

    _GUARDED = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.Mod: "%", ast.LShift: "<<"}

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        symbol = self._GUARDED.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                        args=[ast.Constant(symbol), node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_Import(self, node):
        self.error(node, "import is not allowed in diagrams")

    visit_ImportFrom = visit_Import

    def visit_FormattedValue(self, node):
        if node.format_spec is not None:
            self.error(node, "f-string format specifications are not allowed")
        return self.node_contents_visit(node)


def _binop(symbol, left, right):
    if symbol == "+":
        if isinstance(left, (str, bytes, list, tuple)) and isinstance(right, (str, bytes, list, tuple)):
            if len(left) + len(right) > MAX_SEQUENCE:
                raise ScriptError(f"sequence longer than {MAX_SEQUENCE} items")
        return left + right
    if symbol == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int):
                if len(seq) * n > MAX_SEQUENCE:
                    raise ScriptError(f"sequence repetition larger than {MAX_SEQUENCE} items")
        return left * right
    if symbol == "**":
        if isinstance(right, int) and abs(right) > MAX_EXPONENT and isinstance(left, int) and abs(left) > 1:
            raise ScriptError(f"exponent larger than {MAX_EXPONENT}")
        return left ** right
    if symbol == "%":
        if isinstance(left, (str, bytes)):
            raise ScriptError("%-formatting of strings is not allowed; use an f-string")
        return left % right
    if symbol == "<<":
        if isinstance(right, int) and right > 4 * MAX_EXPONENT:
            raise ScriptError("shift larger than allowed")
        return left << right
    raise ScriptError(f"operator {symbol} is not guarded")


def _inplacevar(op, left, right):
    symbol = op[:-1]
    if symbol in ("+", "*", "**", "%", "<<"):
        return _binop(symbol, left, right)
    return {"-": lambda: left - right, "/": lambda: left / right,
            "//": lambda: left // right, "|": lambda: left | right, "&": lambda: left & right,
            "^": lambda: left ^ right, ">>": lambda: left >> right}[symbol]()


def _getattr(obj, name, default=None):
    if name.startswith("_") or name in FORBIDDEN_ATTRIBUTES:
        raise ScriptError(f"attribute '{name}' is not allowed")
    return safer_getattr(obj, name, default)


def _write(obj):
    if isinstance(obj, (dict, list, set)):
        return obj
    raise ScriptError(f"cannot modify objects of type {type(obj).__name__}")


def _range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ScriptError(f"range larger than {MAX_RANGE}")
    return r


def _safe_builtins():
    table = {name: getattr(builtins, name) for name in ALLOWED_BUILTINS}
    table["range"] = _range
    return table


def _guards():
    return {
        "__builtins__": _safe_builtins(),
        "_getattr_": _getattr,
        "_getitem_": lambda obj, key: obj[key],
        "_getiter_": iter,
        "_write_": _write,
        "_binop_": _binop,
        "_inplacevar_": _inplacevar,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_apply_": lambda f, *a, **kw: f(*a, **kw),
    }


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
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, SCRIPT_FILENAME, policy=_Policy)
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    bad = forbidden_names(source, mode)
    if bad:
        raise ScriptError(f"names not allowed in diagrams: {', '.join(bad)}")
    return result.code


@contextmanager
def deadline(seconds: float):
    """Stop diagram code that runs longer than ``seconds`` (works in any thread)."""
    limit = time.monotonic() + seconds
    previous = sys.gettrace()

    def local_trace(frame, event, arg):
        if time.monotonic() > limit:
            raise ScriptTimeout(f"expression ran longer than {seconds:g}s and was stopped")
        return local_trace

    def global_trace(frame, event, arg):
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        # Opcode events: a one-line loop (`while True: pass`) emits no line events.
        frame.f_trace_opcodes = True
        return local_trace(frame, event, arg)

    sys.settrace(global_trace)
    try:
        yield
    finally:
        sys.settrace(previous)


class SandboxEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment, evaluated under RestrictedPython."""

    def __init__(self, functions: dict | None = None, time_limit: float = DEFAULT_TIME_LIMIT):
        super().__init__({**_guards(), **(functions or {})})
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
