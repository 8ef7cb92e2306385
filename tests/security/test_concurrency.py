"""Twenty people editing one record at once over real HTTP, on PostgreSQL: no edit is lost.

The app is served by werkzeug (one thread per request) on 127.0.0.1; 20 client threads
each make 25 edits of one association, half through the HTML form (a signed-in browser
session, 409 on a stale version) and half through the API (bearer tokens, ``If-Match``,
412 on a stale ETag). Every round, all 20 read the record, wait for each other, then
save: all saves name the same version, so exactly one wins and the others are told of
the conflict. Afterwards the record's revisions are exactly the successful edits, in the
order they were committed, and the record holds the last one.

Runs only on PostgreSQL (``QUANHUI_TEST_DATABASE_URL``): SQLite takes one writer at a
time, so the race this test is about cannot happen there.
"""
from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.auth.accounts import create_api_token
from core.entities.models import Entity, EntityRevision
from core.tenancy import SYSTEM, use_scope
from core.testing import TEST_PASSWORD
from tests.entity_helpers import create

THREADS = 20
EDITS = 25
TIMEOUT = 60


def _on_postgresql() -> bool:
    url = os.environ.get("QUANHUI_TEST_DATABASE_URL")
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not _on_postgresql(),
        reason="concurrent writers need PostgreSQL: set QUANHUI_TEST_DATABASE_URL=postgresql+psycopg://... "
        "(SQLite serialises writers, so edits cannot race)",
    ),
]


def _signed_in_cookies(base: str, username: str) -> requests.cookies.RequestsCookieJar:
    browser = requests.Session()
    login = browser.get(f"{base}/login", timeout=TIMEOUT)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', login.text).group(1)
    answer = browser.post(f"{base}/login", data={"username": username, "password": TEST_PASSWORD},
                          headers={"X-CSRFToken": token}, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 303, answer.text
    return browser.cookies


class Editor(threading.Thread):
    """One person making :data:`EDITS` edits; each writes a value no one else writes."""

    def __init__(self, number: int, base: str, record: str, barrier: threading.Barrier, *, token=None, cookies=None):
        super().__init__(name=f"editor-{number}", daemon=True)
        self.number, self.base, self.record, self.barrier = number, base, record, barrier
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"
        else:
            self.http.cookies.update(cookies)
            page = self.http.get(f"{base}/lixia/entities/association/", timeout=TIMEOUT)
            self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
        self.via_form = token is None
        #: (value written, HTTP status) per edit.
        self.outcomes: list[tuple[str, int]] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            for edit in range(EDITS):
                read = self.http.get(f"{self.base}/api/v1/lixia/entities/association/{self.record}", timeout=TIMEOUT)
                assert read.status_code == 200, read.text
                value = f"济南市历下区第{self.number}号编辑第{edit}次修改"
                self.barrier.wait(timeout=TIMEOUT)  # everyone has read the same version
                status = self.save(read.json()["version"], read.headers["ETag"], value)
                self.outcomes.append((value, status))
                self.barrier.wait(timeout=TIMEOUT)  # everyone has saved: the next round reads afresh
        except BaseException as failure:  # reported by the test, in the test's thread
            self.failure = failure
            self.barrier.abort()

    def save(self, version: int, etag: str, value: str) -> int:
        if self.via_form:
            answer = self.http.post(
                f"{self.base}/lixia/entities/association/{self.record}",
                data={"address": value, "version": str(version)}, headers={"X-CSRFToken": self.csrf},
                allow_redirects=False, timeout=TIMEOUT,
            )
        else:
            answer = self.http.patch(
                f"{self.base}/api/v1/lixia/entities/association/{self.record}",
                json={"address": value}, headers={"If-Match": etag}, timeout=TIMEOUT,
            )
        return answer.status_code


def test_concurrent_edits_of_one_record_each_succeed_or_conflict_and_none_is_lost(
    app, db_session, make_user, live_url, record_property
):
    record = create(app, "lixia")
    form_user = make_user("lixia", "editor", username="lixia-form-editor")
    tokens = []
    for number in range(THREADS // 2):
        user = make_user("lixia", "editor", username=f"lixia-api-editor-{number}")
        tokens.append(create_api_token(db_session, user, "concurrency"))
    db_session.commit()

    barrier = threading.Barrier(THREADS)
    started = time.monotonic()
    cookies = _signed_in_cookies(live_url, form_user.username)
    editors = [Editor(n, live_url, record, barrier, token=tokens[n]) for n in range(THREADS // 2)]
    editors += [Editor(n, live_url, record, barrier, cookies=cookies) for n in range(THREADS // 2, THREADS)]
    for editor in editors:
        editor.start()
    for editor in editors:
        editor.join(timeout=TIMEOUT * EDITS)
    elapsed = time.monotonic() - started
    failures = [f"{e.name}: {e.failure!r}" for e in editors if e.failure is not None or e.is_alive()]
    assert not failures, failures

    outcomes = [outcome for editor in editors for outcome in editor.outcomes]
    statuses = Counter(status for _, status in outcomes)
    success = {303, 200}
    assert set(statuses) <= success | {409, 412}, statuses
    assert len(outcomes) == THREADS * EDITS
    succeeded = {value for value, status in outcomes if status in success}
    # All saves of a round name the version read before it: exactly one of them can win.
    assert len(succeeded) == EDITS
    form_conflicts = sum(1 for e in editors if e.via_form for _, s in e.outcomes if s == 409)
    api_conflicts = sum(1 for e in editors if not e.via_form for _, s in e.outcomes if s == 412)
    assert form_conflicts + api_conflicts == THREADS * EDITS - EDITS

    db_session.rollback()
    with use_scope(db_session, SYSTEM):
        entity = db_session.get(Entity, record)
        revisions = list(db_session.scalars(
            select(EntityRevision).where(EntityRevision.entity_id == record).order_by(EntityRevision.version)
        ))
        updates = [r for r in revisions if r.action == "update"]
        assert db_session.scalar(select(func.count()).where(EntityRevision.entity_id == record)) == 1 + EDITS
    assert [r.version for r in revisions] == list(range(1, EDITS + 2))
    assert len(updates) == EDITS
    assert {r.after["address"] for r in updates} == succeeded
    # Each edit started from the one before it: no success overwrote another unseen.
    for previous, revision in zip(revisions, revisions[1:]):
        assert revision.before == previous.after
    assert entity.version == 1 + EDITS
    assert entity.data == updates[-1].after

    record_property("threads", THREADS)
    record_property("edits_per_thread", EDITS)
    record_property("successes", len(succeeded))
    record_property("conflicts_409_form", form_conflicts)
    record_property("conflicts_412_api", api_conflicts)
    record_property("seconds", round(elapsed, 1))
