"""What the service accepts from outside, whichever edge it came through.

Text without control characters or broken Unicode: a lone surrogate (JSON's ``"\\ud800"``) cannot be
encoded as UTF-8, so it breaks every page, export and database driver that later meets it, and a NUL
is refused by PostgreSQL; both must be refused where they arrive, naming the field. Integers that fit
the integer columns they are looked up in (INTEGER: 32 bits on PostgreSQL, so 2**31 already overflows
the driver there). JSON no deeper than any real request or form needs, so no
recursive walk (ours or a library's) can run out of stack.
"""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

from service.platform.errors import Invalid

# Every id, version and count column is an INTEGER: 32 bits on PostgreSQL.
COLUMN_MIN, COLUMN_MAX = -(2 ** 31), 2 ** 31 - 1
MAX_JSON_DEPTH = 32

# C0 controls, DEL, C1 controls and lone surrogates. Multi-line text also keeps tabs and line breaks
# (a CR only as part of CRLF, which browsers send for a <textarea> posted as a form).
_SURROGATE = re.compile("[\ud800-\udfff]")
_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` may not be stored (in Chinese), or None when it is clean text."""
    surrogate = _SURROGATE.search(value)
    if surrogate:
        return f"含有无效的 Unicode 字符（不成对的代理项 U+{ord(surrogate.group()):04X}），请重新输入"
    control = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if control:
        allowed = "（只能包含换行和制表符）" if multiline else "（单行文本不能包含换行、制表符等）"
        return f"含有控制字符 U+{ord(control.group()[0]):04X}{allowed}，请删除"
    return None


def refuse_unclean_text(*, multiline: tuple[str, ...] = (), **texts: str | None) -> None:
    """Raise Invalid naming each field whose text may not be stored: the guard for services that an edge
    (a web form) reaches without a schema of Text fields."""
    errors = {}
    for name, text in texts.items():
        problem = text_problem(text, multiline=name in multiline) if text else None
        if problem:
            errors[name] = [problem]
    if errors:
        raise Invalid("提交的文字含有无法保存的字符", fields=errors)


def unclean_text_in(value, *, multiline: bool = False) -> str | None:
    """The first problem with any string (or key) anywhere in a JSON value, or None. Walks without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item, multiline=multiline)
            if problem:
                return problem
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def json_depth(value) -> int:
    """How deeply a parsed JSON value nests (a scalar is 0), measured without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def id_from(value) -> int | None:
    """A query or form value as an id: ASCII digits that an integer column can hold, else None. (str.isdigit
    alone also passes "²", which int() refuses, and any length, which the database driver refuses.)"""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if number <= COLUMN_MAX else None


class Text(fields.String):
    """A string field that refuses control characters and lone surrogates (tabs and line breaks only when
    ``multiline``: the API's counterpart of a <textarea>)."""

    def __init__(self, *args, multiline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, multiline=self.multiline)
        if problem:
            raise ValidationError(problem)
        return text


class Int(fields.Integer):
    """An integer an integer column can hold: a larger one is a 422 here, not an overflow in the driver.

    The bound is a Range validator, so the OpenAPI document states it; a field with its own (narrower)
    Range keeps only that one, and a client reads one message per field.
    """

    def __init__(self, *args, **kwargs):
        validators = kwargs.pop("validate", None) or []
        validators = [validators] if callable(validators) else list(validators)
        if not any(isinstance(v, validate.Range) for v in validators):
            validators.append(validate.Range(min=COLUMN_MIN, max=COLUMN_MAX, error="数值超出允许范围"))
        super().__init__(*args, validate=validators, **kwargs)


class ColumnIntConverter(IntegerConverter):
    """``<int:…>`` matching only ids an integer column can hold: a larger number names nothing (404) instead
    of reaching the database driver and overflowing there."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", COLUMN_MAX)
        super().__init__(map, *args, **kwargs)
