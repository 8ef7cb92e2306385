"""The ``next`` target after login stays on this site, for plain form posts and htmx alike.

htmx follows ``HX-Redirect`` with ``location.href = value``; browsers parse a backslash
in a URL like a slash, so ``/\\evil.example`` there means ``//evil.example``.
"""
from __future__ import annotations

import pytest

from core.testing import TEST_PASSWORD

OFFSITE = [
    "//evil.example/",
    "https://evil.example/",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
]


def login(app, next_target: str, *, htmx: bool):
    client = app.test_client()
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        "/login", data={"username": "lixia-admin", "password": TEST_PASSWORD, "next": next_target}, headers=headers
    )
    return response.headers.get("HX-Redirect") if htmx else response.location


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("target", OFFSITE)
def test_offsite_next_goes_home(app, make_user, target, htmx):
    make_user("lixia", "admin")
    assert login(app, target, htmx=htmx) == "/lixia/"


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_local_next_is_kept(app, make_user, htmx):
    make_user("lixia", "admin")
    assert login(app, "/lixia/admin/users?page=2", htmx=htmx) == "/lixia/admin/users?page=2"


def test_backslash_next_in_a_plain_redirect_goes_home(app, make_user):
    make_user("lixia", "admin")
    assert login(app, "/\\evil.example", htmx=False) == "/lixia/"


def test_backslash_next_in_hx_redirect_goes_home(app, make_user):
    make_user("lixia", "admin")
    assert login(app, "/\\evil.example", htmx=True) == "/lixia/"
