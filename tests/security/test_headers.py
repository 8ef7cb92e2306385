"""Security headers on every answer the app gives: the route sweep's pages, its refusals
and errors, the API and static files. No page can be framed, and the browser runs only the
app's own scripts and styles (no inline code, no eval); the templates comply, so no
bundled page needs an exception."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.security.test_route_matrix import (  # noqa: F401 (world is a fixture)
    ROUTES, actor_client, build_url, request, routes_in_sweep_order, world,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "core", ROOT / "plugins", ROOT / "examples"]


def policy(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response.headers.get("Content-Security-Policy", "").split(";"))
    return {name: value[0] if value else "" for name, *value in directives if name}


def assert_protected(response, label: str) -> None:
    directives = policy(response)
    assert response.headers.get("X-Frame-Options") == "DENY", label
    assert directives.get("frame-ancestors") == "'none'", label
    assert directives.get("default-src") == "'self'", label
    assert directives.get("script-src") == "'self'", label
    assert directives.get("style-src") == "'self'", label
    assert "unsafe" not in response.headers["Content-Security-Policy"], label


@pytest.mark.quanhui_plugins("tests.noticeboard")
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia", "shizhong"])
@pytest.mark.parametrize("actor", ["anonymous", "lixia-admin"])
def test_every_route_of_the_sweep_answers_with_the_security_headers(app, make_user, world, actor):  # noqa: F811
    client, own_username, password, own_token = actor_client(app, make_user, actor, world)
    values = {**world["lixia"], "own_username": own_username, "other_username": "lixia-target", "password": password,
              "token": own_token}
    answered = set()
    for endpoint, method in routes_in_sweep_order(app):
        route = ROUTES[(endpoint, method)]
        url = build_url(app, endpoint, method, route.args, values)
        response = request(client, method, url, route.data, values)
        assert_protected(response, f"{method} {url} as {actor}: {response.status_code}")
        answered.add(response.status_code)
    assert 200 in answered


def test_errors_the_api_and_static_files_carry_the_headers_too(client):
    for url in ("/no-such-page", "/api/v1/lixia/entities/association", "/static/quanhui.css", "/login"):
        assert_protected(client.get(url), url)


def test_no_bundled_template_has_inline_script_style_or_event_handlers():
    """What the policy would block: plugin authors read the same rule in docs/plugins/conventions.md."""
    forbidden = re.compile(
        r"""<script(?![^>]*\b(?:src=|type="application/json"))|<style|\sstyle=|\shx-on|\son[a-z]+="""
    )
    offending = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if forbidden.search(line):
                    offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offending == []
