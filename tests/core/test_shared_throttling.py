"""With QUANHUI_REDIS_URL set, every worker counts failed logins in one place."""
import uuid

import pytest
import redis

from core.web.app import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not redis_answers(), reason="needs the Redis server on 127.0.0.1:6379")
def test_two_workers_share_the_failed_login_count_through_redis(app, make_user):
    username = f"lixia-{uuid.uuid4().hex[:8]}"
    make_user("lixia", "admin", username=username)
    config = {**app.config, "QUANHUI_REDIS_URL": REDIS_URL}
    workers = [create_app(config), create_app(config)]
    for worker in workers:
        worker.test_client_class = app.test_client_class
    clients = [worker.test_client() for worker in workers]
    statuses = [clients[n % 2].login(username, f"wrong-{n}").status_code for n in range(7)]
    assert statuses == [422] * 5 + [429] * 2
