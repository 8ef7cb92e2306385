"""Small helpers for answering htmx and plain requests from the same view."""
from __future__ import annotations

from flask import Response, redirect, request
from werkzeug.urls import iri_to_uri


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect_to(url: str) -> Response:
    """A full-page navigation: ``HX-Redirect`` for htmx, 303 See Other for a plain form post."""
    if is_htmx():
        return Response(status=204, headers={"HX-Redirect": iri_to_uri(url)})  # headers are Latin-1
    return redirect(url, code=303)


def vary_on_htmx(response: Response) -> Response:
    """Caches must key on HX-Request wherever a view answers a fragment or a page."""
    if request.headers.get("HX-Request") is not None or response.mimetype == "text/html":
        response.vary.add("HX-Request")
    return response


def invalid_form(body: str, form_selector: str, status: int = 422):
    """Answer a refused form: htmx swaps ``body`` in place of the form itself (not the
    form's usual target), so the user's input and the messages stay where they typed."""
    return body, status, {"HX-Retarget": form_selector, "HX-Reswap": "outerHTML"}
