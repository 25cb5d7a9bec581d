"""Bounded operations for diagram code: every result is measured before it is built.

A trace function can stop a Python-level loop, but not one C-level call that holds the
interpreter lock: ``((10**64)**256)**256``, ``s.replace('a', 'b' * 10000)`` or
``round(1, -10**8)`` each run for seconds (or build gigabytes) inside a single bytecode.
So every operation diagram code can reach that could amplify its inputs is either
refused or routed through a guard here that computes the size of its result first:
ints are capped in bits, sequences in items, and each evaluation has a budget of cells
(items created or iterated) and of steps (bytecodes run). Attribute access is a
whitelist per type: a method not listed is refused rather than trusted.

With these guards the longest single C-level call diagram code can make works on
inputs of at most ``MAX_SEQUENCE`` items (a sort of 100,000 strings, tens of
milliseconds), which is what other requests may wait for at worst.
"""
from __future__ import annotations

import builtins
import threading
import time
from dataclasses import dataclass, field

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

MAX_INT_BITS = 4096          # about 1,230 decimal digits
MAX_SEQUENCE = 100_000       # items in one list/tuple/set/dict, characters in one string
MAX_RANGE = 100_000
MAX_CELLS = 1_000_000        # items created or iterated by one evaluation
MAX_STEPS = 500_000          # bytecodes run by one evaluation (a real script runs a few hundred)
MAX_ROUND_DIGITS = 100
SIZED = (str, bytes, list, tuple, set, frozenset, dict)


class ScriptError(Exception):
    """A diagram expression was refused or failed; the message is for administrators."""


class ScriptTimeout(ScriptError):
    pass


class BudgetExceeded(ScriptError):
    pass


@dataclass
class Budget:
    """What one evaluation may still spend; charged by the guards and by the trace function."""

    seconds: float
    cells: int = MAX_CELLS
    steps: int = MAX_STEPS
    deadline: float = field(init=False)

    def __post_init__(self):
        self.deadline = time.monotonic() + self.seconds

    def charge(self, cells: int) -> None:
        self.cells -= cells
        if self.cells < 0:
            raise BudgetExceeded(f"表达式创建或遍历的数据超过 {MAX_CELLS} 项，已被拒绝")

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise BudgetExceeded(f"表达式执行超过 {MAX_STEPS} 步，已被停止")
        if self.steps % 256 == 0 and time.monotonic() > self.deadline:
            raise ScriptTimeout(f"表达式运行超过 {self.seconds:g} 秒，已被停止")


_local = threading.local()


def current_budget() -> Budget:
    budget = getattr(_local, "budget", None)
    if budget is None:
        raise ScriptError("diagram code ran outside an evaluation")
    return budget


def set_budget(budget: Budget | None) -> Budget | None:
    previous = getattr(_local, "budget", None)
    _local.budget = budget
    return previous


# -- sizes ----------------------------------------------------------------------------------
def _refuse_sequence(n: int) -> None:
    if n > MAX_SEQUENCE:
        raise ScriptError(f"结果长度 {n} 超过上限 {MAX_SEQUENCE}，已被拒绝")


def _refuse_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptError(f"整数结果将超过 {MAX_INT_BITS} 位，已被拒绝")


def _made(result):
    """Charge a freshly built result to the budget and hand it back."""
    if isinstance(result, SIZED):
        _refuse_sequence(len(result))
        current_budget().charge(len(result))
    elif isinstance(result, int):
        _refuse_bits(result.bit_length())
    return result


def _is_int(x) -> bool:
    return isinstance(x, int)


def text_size(value, limit: int = MAX_SEQUENCE) -> int:
    """An upper bound of len(str(value)) / len(repr(value)), walked without building it."""
    total, stack, seen = 0, [value], set()
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += 4 * len(item) + 3
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 26
        elif isinstance(item, dict):
            if id(item) not in seen:
                seen.add(id(item))
                stack.extend(item.keys())
                stack.extend(item.values())
            total += 4 * len(item) + 2
        elif isinstance(item, (list, tuple, set, frozenset)):
            if id(item) not in seen:
                seen.add(id(item))
                stack.extend(item)
            total += 2 * len(item) + 12
        else:
            total += 80
        if total > limit:
            raise ScriptError(f"转换为文本后长度将超过 {limit}，已被拒绝")
    return total


# -- operators ------------------------------------------------------------------------------
GUARDED_OPERATORS = ("+", "*", "**", "%", "<<", "|", "^")


def binop(symbol, left, right):
    """``+ * ** % <<`` with their result measured first."""
    if symbol == "+":
        if isinstance(left, SIZED) and isinstance(right, SIZED):
            _refuse_sequence(len(left) + len(right))
        return _made(left + right)
    if symbol == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, SIZED) and _is_int(n):
                _refuse_sequence(len(seq) * max(n, 0))
        if _is_int(left) and _is_int(right):
            _refuse_bits(left.bit_length() + right.bit_length())
        return _made(left * right)
    if symbol == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            _refuse_bits((abs(left).bit_length() - 1) * right)
        return _made(left ** right)
    if symbol == "%":
        if isinstance(left, (str, bytes)):
            raise ScriptError("不允许用 % 格式化字符串；请使用 f-string")
        return left % right
    if symbol in ("|", "^"):  # set and dict unions
        if isinstance(left, SIZED) and isinstance(right, SIZED):
            _refuse_sequence(len(left) + len(right))
        return _made(left | right if symbol == "|" else left ^ right)
    if symbol == "<<":
        if _is_int(left) and _is_int(right) and left != 0:
            _refuse_bits(left.bit_length() + max(right, 0))
        return left << right
    raise ScriptError(f"operator {symbol} is not guarded")


_PLAIN_INPLACE = {"-": lambda a, b: a - b, "/": lambda a, b: a / b, "//": lambda a, b: a // b,
                  "|": lambda a, b: a | b, "&": lambda a, b: a & b, "^": lambda a, b: a ^ b,
                  ">>": lambda a, b: a >> b, "@": lambda a, b: a @ b}


def inplacevar(op, left, right):
    symbol = op[:-1]
    if symbol in GUARDED_OPERATORS:
        return binop(symbol, left, right)
    return _PLAIN_INPLACE[symbol](left, right)


def formatted(value):
    """The value of an f-string placeholder, refused when its text would be too long."""
    if not isinstance(value, (str, int, float, bool)) or isinstance(value, int) and value.bit_length() > 64:
        current_budget().charge(text_size(value))
    elif isinstance(value, str):
        current_budget().charge(len(value))
    return value


# -- iteration and item access --------------------------------------------------------------
def _counted(iterable):
    budget = current_budget()
    for item in iterable:
        budget.charge(1)
        yield item


def getiter(obj):
    """Every for-loop, comprehension and unpacking: each item costs one cell."""
    return _counted(obj)


def getitem(obj, key):
    result = obj[key]
    if isinstance(key, slice):
        _made(result)
    return result


class _Writable:
    """What ``_write_`` hands back: item assignment that cannot grow a sequence past the limit."""

    __slots__ = ("_target",)

    def __init__(self, target):
        object.__setattr__(self, "_target", target)

    def __setitem__(self, key, value):
        target = self._target
        if isinstance(target, list) and isinstance(key, slice) and isinstance(value, SIZED):
            _refuse_sequence(len(target) + len(value))
            current_budget().charge(len(value))
        elif isinstance(target, dict) and key not in target:
            _refuse_sequence(len(target) + 1)
        target[key] = value

    def __delitem__(self, key):
        del self._target[key]

    def __setattr__(self, name, value):
        raise ScriptError(f"不允许给对象设置属性 {name}")


def write(obj):
    if isinstance(obj, (dict, list)):
        return _Writable(obj)
    raise ScriptError(f"不允许修改 {type(obj).__name__} 类型的对象")


# -- methods --------------------------------------------------------------------------------
_TEXT = {"capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal",
         "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip", "partition",
         "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split",
         "splitlines", "startswith", "strip", "swapcase", "title", "upper", "join", "replace"}
ALLOWED_METHODS = {
    str: _TEXT | {"encode"},
    bytes: (_TEXT - {"casefold"}) | {"decode", "hex"},
    list: {"append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"},
    tuple: {"count", "index"},
    dict: {"clear", "copy", "get", "items", "keys", "pop", "setdefault", "update", "values"},
    set: {"add", "clear", "copy", "difference", "discard", "intersection", "isdisjoint", "issubset",
          "issuperset", "pop", "remove", "symmetric_difference", "union", "update"},
    frozenset: {"copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset",
                "symmetric_difference", "union"},
    int: {"bit_length", "is_integer", "real", "imag", "numerator", "denominator"},
    float: {"as_integer_ratio", "is_integer", "real", "imag", "hex"},
    bool: {"real", "imag"},
}


def _replace(text):
    def replace(old, new, count=-1):
        hits = text.count(old) if old else len(text) + 1
        if count is not None and count >= 0:
            hits = min(hits, count)
        _refuse_sequence(len(text) + hits * max(len(new) - len(old), 0))
        return _made(text.replace(old, new, count))
    return replace


def _join(separator):
    def join(parts):
        parts = parts if isinstance(parts, (list, tuple)) else list(_counted(parts))
        current_budget().charge(len(parts))
        size = sum(len(p) if isinstance(p, (str, bytes)) else 0 for p in parts)
        _refuse_sequence(size + len(separator) * max(len(parts) - 1, 0))
        return _made(separator.join(parts))
    return join


def _growing(target, method_name):
    """list.extend, dict.update, set.update: ``l.extend(l)`` in a loop would double a list per call."""
    method = getattr(target, method_name)

    def grow(*others, **keywords):
        others = [o if isinstance(o, SIZED) else list(_counted(o)) for o in others]
        added = sum(len(o) for o in others) + len(keywords)
        _refuse_sequence(len(target) + added)
        current_budget().charge(added)
        return method(*others, **keywords)
    return grow


def _sized_result(method):
    def call(*args, **kwargs):
        return _made(method(*args, **kwargs))
    return call


_WRAPPED = {"replace": _replace, "join": _join}


def getattr_guard(obj, name, default=None):
    """Attribute access for diagram code: a per-type whitelist, amplifying methods wrapped."""
    kind = next((k for k in ALLOWED_METHODS if type(obj) is k), None)
    if kind is None or name not in ALLOWED_METHODS[kind]:
        raise ScriptError(f"不允许访问 {type(obj).__name__} 的属性 '{name}'")
    if name in _WRAPPED and isinstance(obj, (str, bytes)):
        return _WRAPPED[name](obj)
    if name in ("extend", "update"):
        return _growing(obj, name)
    value = getattr(obj, name, default)
    return _sized_result(value) if callable(value) else value


# -- builtins -------------------------------------------------------------------------------
def _consume(iterable):
    if isinstance(iterable, SIZED):
        current_budget().charge(len(iterable))
        return iterable
    return _counted(iterable)


def _bounded_range(*args):
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ScriptError(f"range 长度 {len(r)} 超过上限 {MAX_RANGE}")
    return r


def _bounded_round(number, ndigits=None):
    # round(1, -10**8) computes 10**10**8 inside one C call.
    if ndigits is None:
        return round(number)
    if abs(ndigits) > MAX_ROUND_DIGITS:
        raise ScriptError(f"round 的位数不能超过 {MAX_ROUND_DIGITS}")
    return round(number, ndigits)


def _bounded_sum(iterable, start=0):
    if not isinstance(start, (int, float)):
        raise ScriptError("sum 只能对数字求和")
    return _made(sum(_consume(iterable), start))


def _bounded_str(value=""):
    text_size(value)
    return _made(str(value))


def _bounded_int(value=0, *base):
    return _made(int(value, *base))


def _collecting(kind):
    def collect(iterable=()):
        return _made(kind(_consume(iterable)))
    collect.__name__ = kind.__name__
    return collect


def _bounded_dict(*args, **kwargs):
    if args:
        args = (args[0] if isinstance(args[0], dict) else _consume(args[0]),)
    return _made(dict(*args, **kwargs))


def _bounded_sorted(iterable, *, key=None, reverse=False):
    return _made(sorted(_consume(iterable), key=key, reverse=reverse))


def _consuming(function):
    def call(*args, **kwargs):
        if len(args) == 1:  # max(iterable) walks it; max(a, b) compares two values
            args = (_consume(args[0]),)
        return function(*args, **kwargs)
    call.__name__ = function.__name__
    return call


def _isinstance(value, kinds):
    # int, str, list... are guard functions in diagram code; isinstance still needs the types.
    if isinstance(kinds, tuple):
        kinds = tuple(_TYPE_OF.get(k, k) for k in kinds)
    else:
        kinds = _TYPE_OF.get(kinds, kinds)
    return isinstance(value, kinds)


PLAIN_BUILTINS = ("abs", "bool", "enumerate", "filter", "float", "len", "map", "reversed", "zip",
                  "None", "True", "False", "ArithmeticError", "Exception", "KeyError", "TypeError", "ValueError",
                  "ZeroDivisionError")
GUARDED_BUILTINS = {
    "range": _bounded_range, "round": _bounded_round, "sum": _bounded_sum, "str": _bounded_str,
    "int": _bounded_int, "list": _collecting(list), "tuple": _collecting(tuple), "set": _collecting(set),
    "dict": _bounded_dict, "sorted": _bounded_sorted, "min": _consuming(min), "max": _consuming(max),
    "any": _consuming(any), "all": _consuming(all), "isinstance": _isinstance,
}
_TYPE_OF = {GUARDED_BUILTINS[name]: getattr(builtins, name) for name in ("str", "int", "list", "tuple", "set", "dict")}
ALLOWED_BUILTINS = (*PLAIN_BUILTINS, *GUARDED_BUILTINS)


def safe_builtins() -> dict:
    table = {name: getattr(builtins, name) for name in PLAIN_BUILTINS}
    table.update(GUARDED_BUILTINS)
    return table


def guard_table() -> dict:
    """The names RestrictedPython's compiled code calls, bound to the guards above."""
    return {
        "__builtins__": safe_builtins(),
        "_getattr_": getattr_guard,
        "_getitem_": getitem,
        "_getiter_": getiter,
        "_write_": write,
        "_binop_": binop,
        "_inplacevar_": inplacevar,
        "_fmt_": formatted,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_apply_": lambda f, *a, **kw: f(*a, **kw),
    }
