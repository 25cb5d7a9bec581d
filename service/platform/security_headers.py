"""Security headers on every response: pages, API JSON, static and vendor files, errors.

The pages run only scripts served by this site: no inline script, no event-handler attribute, no
``javascript:`` URL, no ``eval``. Data a page's script needs travels in ``<script type="application/json">``
blocks, which the browser never executes, so no page needs a nonce.
"""
from __future__ import annotations

from flask import Flask, Response, request


def content_security_policy(style_src: str) -> str:
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        f"style-src {style_src}",
        "img-src 'self' data:",  # bpmn-js and swagger-ui draw icons from data: URIs in their stylesheets
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


STRICT_POLICY = content_security_policy("'self'")
# The draft editor alone also lets styles be written inline. form-js's editor mounts CodeMirror, whose
# style-mod inserts <style> elements into the page with no way for form-js to hand it a nonce, and
# the modeler's align/distribute icons carry style attributes. A style cannot run code, and loads
# (images, fonts) stay limited to this site, so scripts on that page are as strict as everywhere else.
INLINE_STYLE_POLICY = content_security_policy("'self' 'unsafe-inline'")
INLINE_STYLE_ENDPOINTS = frozenset({"web.admin_draft"})

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        inline_styles = request.endpoint in INLINE_STYLE_ENDPOINTS
        response.headers["Content-Security-Policy"] = INLINE_STYLE_POLICY if inline_styles else STRICT_POLICY
        response.headers.update(SECURITY_HEADERS)
        return response
