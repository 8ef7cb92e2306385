"""Malformed input on every route: no answer is a 5xx.

Every route of the app (the core's, the noticeboard's and the four bundled plugins', all
switched on in lixia) gets, in each of its parameters, one value of each class of input
that once broke a page: a NUL byte, an id beyond 2^63-1 (and a 25-digit one), a number
with a huge exponent, non-ASCII digits, an over-long text, and, in the JSON body of an
API call, an array nested 900 deep. The route tables of the isolation sweeps
(``tests/security/test_route_matrix.py`` and ``test_plugin_route_matrix.py``) say how to
fill a route's URL and form; a route missing there fails those sweeps, so none is left
out here. The parameters of a route are its URL arguments, its form fields, and the query
and form names its view reads: one valid request per route, as lixia's admin, records
every name the view asks ``request.args`` or ``request.form`` for. A view that walks all
the arguments (the list filters) is asked for the filters of the association list.

Which value of a class a (route, parameter) gets, and whether the request comes as htmx,
is drawn from a fixed seed, so the run is the same every time and stays fast.
"""
from __future__ import annotations

import json
import random
from collections.abc import Mapping
from urllib.parse import quote

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from core.testing import TEST_PASSWORD
from tests.security.test_plugin_route_matrix import PLUGIN_ROUTES, PLUGINS, QUERIES, objects  # noqa: F401
from tests.security.test_route_matrix import ROUTES, STATE_CHANGING, Ref, url_map_routes, world  # noqa: F401

SEED = 20261206
#: Every class of input that once gave a 5xx, each with the forms it may take.
CLASSES: dict[str, tuple[str, ...]] = {
    "NUL byte": ("a\x00b", "\x00", "历下\x00区", "12\x00"),
    "huge id": ("9223372036854775808", "1234567890123456789012345", "-9223372036854775809"),
    "huge exponent": ("1E+999999999", "-1e999999999", "1E-999999999", "9" * 400),
    "non-ASCII digit": ("²", "٣", "１２", "²-1", "1-²"),
    "over-long text": ("泉" * 5_000, "a" * 10_000),
}
#: Filters of the association list, for the views that read every query argument.
LIST_FILTERS = ("member_count__gte", "member_count__lte", "registered_on__gte", "status", "q", "sort", "page", "scope", "tenant")
DEEP = 900
#: Signing in is fuzzed by a client of its own, not signed in (the sweep's order puts it last).
SIGN_IN = ("auth.login", "POST")
INT_MARKER = 987654321012
TEXT_MARKER = "fuzzmarker"


class _Asked(ImmutableMultiDict):
    """Query and form arguments that note every name a view asks for."""

    names: set[str] = set()

    def __getitem__(self, key):
        _Asked.names.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        _Asked.names.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        _Asked.names.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        _Asked.names.add(key)
        return super().__contains__(key)

    def items(self, multi=False):
        _Asked.names.add("*")
        return super().items(multi)

    def keys(self):
        _Asked.names.add("*")
        return super().keys()

    def __iter__(self):
        _Asked.names.add("*")
        return super().__iter__()


class _AskingRequest(Request):
    parameter_storage_class = _Asked


def fuzz_routes(app) -> list[tuple[tuple[str, str], object]]:
    table = {**ROUTES, **PLUGIN_ROUTES}
    order = list(table)
    found = sorted(url_map_routes(app), key=order.index)
    return [(key, table[key]) for key in found]


def resolve(value, ids: Mapping):
    return ids[value.key] if isinstance(value, Ref) else value


def url_for_fuzz(app, endpoint: str, method: str, args: Mapping, ids: Mapping, fuzzed: str | None, value: str) -> str:
    """The route's URL with its arguments filled; ``fuzzed`` (an argument) carries ``value``."""
    values = {k: resolve(v, ids) for k, v in args.items()}
    adapter = app.url_map.bind("localhost")
    if fuzzed is None:
        return adapter.build(endpoint, values, method=method)
    rule = next(app.url_map.iter_rules(endpoint))
    converter = type(rule._converters[fuzzed]).__name__
    if converter in ("UnicodeConverter", "PathConverter"):
        marker = TEXT_MARKER
    elif isinstance(values[fuzzed], int):
        marker = INT_MARKER
    else:  # a fixed choice (``any``): its segment is replaced
        marker = values[fuzzed]
    url = adapter.build(endpoint, {**values, fuzzed: marker}, method=method)
    head, _, tail = url.rpartition(f"/{marker}")
    return f"{head}/{quote(value, safe='')}{tail}"


def deep_json(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


def send(client, method: str, url: str, *, query: Mapping, form: Mapping, api: bool, htmx: bool, body: str | None = None):
    headers = {"X-CSRFToken": client.fuzz_csrf_token}
    if htmx:
        headers["HX-Request"] = "true"
    if api:
        headers["If-Match"] = "*"
        payload = body if body is not None else json.dumps(dict(form))
        data = payload if method in STATE_CHANGING else None
        return client.open(url, method=method, query_string=dict(query), data=data, headers=headers,
                           content_type="application/json")
    return client.open(url, method=method, query_string=dict(query),
                       data=dict(form) if method in STATE_CHANGING else None, headers=headers)


@pytest.mark.quanhui_plugins("tests.noticeboard")
@pytest.mark.enable_plugins("noticeboard", *PLUGINS, tenants=["lixia", "shizhong"])
def test_no_route_answers_malformed_input_with_a_server_error(app, make_user, world, objects):  # noqa: F811
    app.request_class = _AskingRequest
    admin = make_user("lixia", "admin")
    client = signed_in(app, admin)
    visitor = app.test_client()
    visitor.fuzz_csrf_token = visitor.csrf_token()
    ids = {
        **world["lixia"], **objects["lixia"], "own_username": admin.username, "other_username": "lixia-target",
        "password": TEST_PASSWORD, "token": world["lixia"]["user_token"],
    }
    rng = random.Random(SEED)
    failures: list[str] = []
    sent = 0
    for (endpoint, method), route in fuzz_routes(app):
        form = {k: resolve(v, ids) for k, v in route.data.items()}
        query = {k: resolve(v, ids) for k, v in QUERIES.get((endpoint, method), {}).items()}
        url = url_for_fuzz(app, endpoint, method, route.args, ids, None, "")
        api = url.startswith("/api/")
        actor = visitor if (endpoint, method) == SIGN_IN else client
        _Asked.names = set()
        send(actor, method, url, query=query, form=form, api=api, htmx=False)
        asked = set(_Asked.names) - {"csrf_token"}
        if "*" in asked and method == "GET":
            asked |= set(LIST_FILTERS)
        asked.discard("*")
        params = [("path", name) for name in route.args]
        if method in STATE_CHANGING:
            params += [("query", name) for name in sorted(query)]
            params += [("form", name) for name in sorted(set(form) | asked)]
        else:
            params += [("query", name) for name in sorted(asked | set(query))]
        for where, name in params:
            for kind, variants in CLASSES.items():
                value = rng.choice(variants)
                htmx = rng.random() < 0.5
                target = url_for_fuzz(app, endpoint, method, route.args, ids, name, value) if where == "path" else url
                fuzzed_query = {**query, name: value} if where == "query" else query
                fuzzed_form = {**form, name: value} if where == "form" else form
                response = send(actor, method, target, query=fuzzed_query, form=fuzzed_form, api=api, htmx=htmx)
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {endpoint} {where} {name}={value[:30]!r} (htmx={htmx}): {response.status_code}")
        if api and method in STATE_CHANGING:
            for body in (deep_json(), json.dumps({**form, "name": "x"})[:-1] + ', "note": ' + deep_json() + "}"):
                response = send(client, method, url, query=query, form=form, api=True, htmx=False, body=body)
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {endpoint} body nested {DEEP} deep: {response.status_code}")
    assert sent > 1000
    assert not failures, f"{len(failures)} of {sent} requests answered 5xx:\n" + "\n".join(failures)


def signed_in(app, user):
    """A client signed in as ``user``, with its CSRF token at hand (fetched once, not per request)."""
    client = app.test_client()
    assert client.login(user.username).status_code == 303
    client.fuzz_csrf_token = client.csrf_token()
    return client
