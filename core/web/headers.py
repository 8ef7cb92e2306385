"""Security headers on every response: no framing, and only the app's own scripts and styles.

The policy allows no inline script, style attribute or ``hx-on`` handler, so markup that
slips past escaping cannot run. Templates keep their code in static files; a chart's data
travels in a ``<script type="application/json">`` block, which the browser never runs.
Pico's icons are ``data:`` images inside its stylesheet, hence ``img-src data:``.
"""
from __future__ import annotations

from flask import Response

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
