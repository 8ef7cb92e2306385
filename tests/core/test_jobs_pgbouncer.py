"""Behind pgbouncer in transaction pooling (QUANHUI_DB_PREPARE=0): the row-level security
tests pass as they do on a direct connection, and an API round trip works.

Every test here runs in the PostgreSQL pass only, and is skipped with its reason when
pgbouncer does not answer (.ci/run starts it on 127.0.0.1:6433)."""
from __future__ import annotations

import pytest

from core.testing import pgbouncer_answers
from tests.core import test_postgres_rls
from tests.core.test_postgres_rls import *  # noqa: F403 (the row-level security tests, run again here)

pytestmark = [
    *test_postgres_rls.pytestmark,
    pytest.mark.through_pgbouncer,
    pytest.mark.skipif(not pgbouncer_answers(), reason="pgbouncer does not answer on 127.0.0.1 (.ci/run starts it)"),
]

RECORD = {"name": "历下区软件行业协会", "uscc": "51420000MJH200395N", "category": "行业协会", "status": "正常"}


def test_an_api_round_trip_through_pgbouncer(app, api_client):
    assert app.config["QUANHUI_DB_PREPARE"] is False
    client = api_client("lixia", "editor")
    for attempt in range(3):  # several transactions, each possibly on another server connection
        created = client.post("/api/v1/lixia/entities/association",
                              json={**RECORD, "name": f"历下区软件行业协会{attempt}", "uscc": _code(attempt)})
        assert created.status_code == 201, created.get_json()
        read = client.get(f"/api/v1/lixia/entities/association/{created.get_json()['id']}")
        assert read.status_code == 200 and read.get_json()["data"]["name"] == f"历下区软件行业协会{attempt}"
    listed = client.get("/api/v1/lixia/entities/association").get_json()
    assert listed["total"] == 3
    assert api_client("shizhong", "editor").get("/api/v1/shizhong/entities/association").get_json()["total"] == 0


def _code(number: int) -> str:
    from core.entities.uscc import make

    return make("5", "1", "370102", 950 + number)
