"""Validation probes: run what each expression computes without task data, before deployment.

Compiling proves an expression is allowed Python; it does not show that
``x = ((10**64)**256)**256`` or ``while True: pass`` would be stopped every time an
application reaches it. So validation also runs, under the same guards as run time and
inside a confined child process, every part of an expression that needs no task data:
top-level statements whose inputs are known (constants, names set by earlier statements)
and, elsewhere, each largest sub-expression made only of constants and allowed builtins.
A refusal there is a refusal whenever the element runs, whatever the data; anything that
depends on task data is left to the run-time guards.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

from service.engine.confine import ConfinedFailure, Limits, progress, run_confined
from service.engine.guards import ALLOWED_BUILTINS, ScriptError
from service.engine.sandbox import SandboxEnvironment

PROBE_TIME_LIMIT = 0.5
LIMITS = Limits(seconds=30, cpu_seconds=30, memory_mb=512)
_KNOWN_AT_START = frozenset(ALLOWED_BUILTINS)
_TRIVIAL = (ast.Constant, ast.Name)
# Parts of an expression that are no expression on their own ("2:4" of code[2:4]): probe their pieces.
_NOT_STANDALONE = (ast.Slice, ast.Starred)


@dataclass(frozen=True)
class Expression:
    source: str
    mode: str  # "exec" for scripts, "eval" for conditions, timers, DMN cells, assignees


def _bound(node) -> set[str]:
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            names.add(child.id)
        elif isinstance(child, ast.arg):
            names.add(child.arg)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
    return names


def _free(node) -> set[str]:
    loaded = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return loaded - _bound(node)


def _closed_parts(node, known):
    """The largest sub-expressions of ``node`` that need nothing but ``known`` names."""
    if isinstance(node, ast.expr) and not isinstance(node, _TRIVIAL + _NOT_STANDALONE) and _free(node) <= known:
        yield node
        return
    for child in ast.iter_child_nodes(node):
        yield from _closed_parts(child, known)


def _try(env: SandboxEnvironment, run) -> str | None:
    try:
        run()
    except ScriptError as err:
        return str(err)
    except Exception:  # a TypeError or KeyError without real data says nothing about the code
        return None
    return None


def probe(source: str, mode: str, env: SandboxEnvironment | None = None) -> str | None:
    """Why ``source`` would be refused whatever the task data, or None."""
    env = env or SandboxEnvironment(time_limit=PROBE_TIME_LIMIT)
    tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    known, namespace = set(_KNOWN_AT_START), {}
    statements = tree.body if mode == "exec" else [tree]
    for statement in statements:
        if mode == "exec" and _free(statement) <= known:
            text = ast.unparse(statement)
            problem = _try(env, lambda: env.execute(text, namespace))
            if problem:
                return problem
            known |= {name for name in _bound(statement) if name in namespace}
            continue
        for part in _closed_parts(statement, known):
            text = ast.unparse(part)
            problem = _try(env, lambda: env.evaluate(text, dict(namespace)))
            if problem:
                return problem
        if mode == "exec":
            for name in _bound(statement):
                known.discard(name)
                namespace.pop(name, None)
    return None


def _probe_each(expressions: tuple[Expression, ...]) -> dict[int, str]:
    env = SandboxEnvironment(time_limit=PROBE_TIME_LIMIT)
    refused = {}
    for index, expression in enumerate(expressions):
        progress(index)
        problem = probe(expression.source, expression.mode, env)
        if problem:
            refused[index] = problem
    return refused


@lru_cache(maxsize=64)
def probe_all(expressions: tuple[Expression, ...]) -> dict[int, str]:
    """{index: why} for each expression refused; run in a confined child process."""
    if not expressions:
        return {}
    try:
        return run_confined(_probe_each, expressions, limits=LIMITS)
    except ConfinedFailure as failure:
        index = failure.last if isinstance(failure.last, int) else 0
        return {index: f"试运行时被强制停止：{failure.reason}"}
