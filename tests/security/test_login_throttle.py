"""Failed logins: limited per account and per client address, exactly, across every worker;
names with no account cost the same hashing and leave one audit entry per address and minute.

The throttle's clock is held at one moment in these tests, so a run that happens to cross
a minute boundary sees one window like every other run.
"""
from __future__ import annotations

import os

import re
import threading
from collections import Counter

import argon2
import pytest
import redis
import requests
from sqlalchemy import select

from core.audit import AuditEvent
from core.auth import throttle
from core.db import session
from core.tenancy import system_scope
from core.testing import TEST_PASSWORD, serve
from core.web.app import create_app

#: A database number of its own for each xdist worker (gw0 13, gw1 12, …), emptied before
#: each test that uses it, so two workers' tests never flush each other's counts.
_WORKER = int(re.sub(r"\D", "", os.environ.get("PYTEST_XDIST_WORKER", "")) or 0)
REDIS_URL = f"redis://127.0.0.1:6379/{13 - _WORKER % 4}"
NOW = 1_800_000_030.0  # half a minute into a window


def redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not redis_answers(), reason="needs the Redis server on 127.0.0.1:6379")


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    monkeypatch.setattr(throttle, "clock", lambda: NOW)


@pytest.fixture
def redis_config(app):
    redis.Redis.from_url(REDIS_URL).flushdb()
    return {**app.config, "QUANHUI_REDIS_URL": REDIS_URL}


def audit_events(app, action):
    with app.app_context(), system_scope(session):
        return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def from_address(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


# Item 5: a name with no account pays for a password hash too


def test_unknown_and_deactivated_names_cost_one_password_hash_check_like_a_real_account(
    app, client, make_user, monkeypatch
):
    checks = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(hasher, password_hash, password):
        checks.append(password_hash)
        return real_verify(hasher, password_hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    make_user("lixia", "admin")
    retired = make_user("lixia", "viewer")
    with app.app_context(), system_scope(session):
        session.get(type(retired), retired.id).active = False
        session.commit()

    assert client.login("lixia-admin", "wrong-password").status_code == 422
    assert client.login("nobody-by-this-name", "wrong-password").status_code == 422
    assert client.login("lixia-viewer", TEST_PASSWORD).status_code == 422
    assert len(checks) == 3
    no_account_hash = checks[1]
    assert no_account_hash.startswith("$argon2id$")
    assert no_account_hash.split("$")[3] == checks[0].split("$")[3]  # the same memory, time and parallelism


# Item 4: per client address as well as per account; made-up names tallied


def test_failures_from_one_address_are_throttled_above_the_account_limit(app, client, make_user):
    app.config["QUANHUI_LOGIN_ADDRESS_LIMITS"] = "8 per minute"
    make_user("lixia", "admin")
    office = from_address(client, "10.1.2.3")
    statuses = [office.login(f"clerk-{n}", "wrong-password").status_code for n in range(10)]
    assert statuses == [422] * 8 + [429] * 2
    refused = office.login("lixia-admin")
    assert refused.status_code == 429
    assert "这个网络地址" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) == 30

    elsewhere = from_address(app.test_client(), "10.9.9.9")
    assert elsewhere.login("lixia-admin").status_code == 303


def test_a_district_office_sharing_one_address_is_not_locked_out_by_the_account_limit(client, make_user):
    for n in range(6):
        make_user("lixia", "editor", username=f"lixia-clerk-{n}")
    for n in range(6):
        assert client.login(f"lixia-clerk-{n}", "mistyped-password").status_code == 422
        assert client.login(f"lixia-clerk-{n}").status_code == 303
        client.post("/logout")


def test_a_guessed_account_does_not_use_up_its_offices_address_limit(app, client, make_user):
    app.config["QUANHUI_LOGIN_ADDRESS_LIMITS"] = "8 per minute"
    make_user("lixia", "admin")
    make_user("lixia", "editor")
    statuses = [client.login("lixia-admin", f"guess-{n}").status_code for n in range(12)]
    assert statuses == [422] * 5 + [429] * 7
    assert client.login("lixia-editor").status_code == 303


def test_made_up_names_from_one_address_leave_one_audit_entry_with_a_count(app, client, login_client):
    for n in range(12):
        assert client.login(f"made-up-{n}", "whatever").status_code == 422
    assert audit_events(app, "auth.login_failed") == []
    [entry] = audit_events(app, "auth.unknown_user")
    assert entry.target == "made-up-0"
    assert entry.ip == "127.0.0.1"

    page = login_client("jinan", "admin").get("/jinan/admin/audit").get_data(as_text=True)
    assert "不存在的用户名登录失败" in page
    assert "同一地址这一分钟内共 12 次" in page


def test_a_flood_past_the_limit_is_audited_once(app, client, make_user):
    make_user("lixia", "admin")
    statuses = [client.login("lixia-admin", f"wrong-{n}").status_code for n in range(20)]
    assert statuses == [422] * 5 + [429] * 15
    assert len(audit_events(app, "auth.login_failed")) == 5
    [throttled] = audit_events(app, "auth.throttled")
    assert throttled.target == "lixia-admin"


# Item 6: exact across workers, with the database or Redis


def _concurrent_wrong_passwords(urls: list[str], username: str, attempts: int) -> Counter:
    """``attempts`` browsers, spread over ``urls``, each send one wrong password at the same moment."""
    browsers = []
    for n in range(attempts):
        browser = requests.Session()
        url = urls[n % len(urls)]
        token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(f"{url}/login").text).group(1)
        browsers.append((browser, url, token))
    start = threading.Barrier(attempts)
    statuses = Counter()

    def send(browser, url, token):
        start.wait()
        response = browser.post(f"{url}/login", data={"username": username, "password": "wrong-password"},
                                headers={"X-CSRFToken": token}, allow_redirects=False, timeout=60)
        statuses[response.status_code] += 1

    threads = [threading.Thread(target=send, args=browser) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _two_workers(config) -> list:
    return [create_app(config), create_app(config)]


def test_two_workers_on_one_database_let_exactly_the_limit_through(app, make_user):
    make_user("lixia", "admin")
    workers = _two_workers(dict(app.config))
    with serve(workers[0]) as first, serve(workers[1]) as second:
        statuses = _concurrent_wrong_passwords([first, second], "lixia-admin", 16)
    assert statuses == Counter({422: 5, 429: 11})
    assert len(audit_events(app, "auth.login_failed")) == 5


@needs_redis
def test_two_workers_sharing_redis_let_exactly_the_limit_through(app, make_user, redis_config):
    make_user("lixia", "admin")
    workers = _two_workers(redis_config)
    with serve(workers[0]) as first, serve(workers[1]) as second:
        statuses = _concurrent_wrong_passwords([first, second], "lixia-admin", 16)
    assert statuses == Counter({422: 5, 429: 11})


@needs_redis
def test_two_workers_share_the_failed_login_count_through_redis(app, make_user, redis_config):
    make_user("lixia", "admin")
    workers = _two_workers(redis_config)
    for worker in workers:
        worker.test_client_class = app.test_client_class
    clients = [worker.test_client() for worker in workers]
    statuses = [clients[n % 2].login("lixia-admin", f"wrong-{n}").status_code for n in range(7)]
    assert statuses == [422] * 5 + [429] * 2
    assert clients[0].login("lixia-admin").status_code == 429


def test_a_mistyped_address_limit_stops_the_start_naming_the_setting(app):
    with pytest.raises(ValueError, match="QUANHUI_LOGIN_ADDRESS_LIMITS 的写法不对"):
        create_app({**app.config, "QUANHUI_LOGIN_ADDRESS_LIMITS": "thirty a minute"})
