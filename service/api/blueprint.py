"""flask-smorest's Blueprint with a request parser that refuses what it cannot parse safely.

Python's json module raises RecursionError (not a ValueError) for a body nested a few thousand deep,
which webargs lets through as a 500; and a body that parses but nests deeper than any request of ours
would still make every recursive walk after it (marshmallow, the JSON columns, the pages) fragile.
Both become the ordinary 400 for a body that is not acceptable JSON.
"""
from __future__ import annotations

import json

import flask_smorest
from webargs.flaskparser import FlaskParser

from service.platform.inputs import MAX_JSON_DEPTH, json_depth

TOO_DEEP = f"JSON 嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）"


class ArgumentsParser(FlaskParser):
    def _raw_load_json(self, req):
        try:
            body = super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError(TOO_DEEP, "(body)", 0) from None
        if json_depth(body) > MAX_JSON_DEPTH:
            raise json.JSONDecodeError(TOO_DEEP, "(body)", 0)
        return body

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        message = TOO_DEEP if getattr(error, "msg", None) == TOO_DEEP else "请求体不是有效的 JSON"
        flask_smorest.abort(400, message=message)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ArgumentsParser()
