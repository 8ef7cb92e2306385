"""Failed-login limits that hold exactly across every worker.

Each login attempt is counted against its account name and its client address *before*
the password is checked: an atomic increment returns the new count and the attempt goes
ahead only if that count is within the limit, so attempts sent at once from many
workers cannot slip past it. Counts live in Redis when ``QUANHUI_REDIS_URL`` is set,
otherwise in the database (:class:`~core.auth.models.LoginCounter`). A success, and a
refusal for another key's sake, take their count back: only failures use up a limit.
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import limits
import redis
from flask import Flask
from sqlalchemy import Engine, delete, update

from ..db import upsert
from .models import LoginCounter

#: Seconds since the epoch; windows are cut from it.
clock: Callable[[], float] = time.time


@dataclasses.dataclass(frozen=True)
class Hit:
    """One key's count after an attempt was added to it."""

    key: str
    window_end: int
    count: int
    limit: limits.RateLimitItem

    @property
    def over(self) -> bool:
        return self.count > self.limit.amount

    @property
    def first_over(self) -> bool:
        """The first attempt refused in this window: the one worth an audit entry."""
        return self.count == self.limit.amount + 1


@dataclasses.dataclass(frozen=True)
class Attempt:
    hits: tuple[Hit, ...]

    @property
    def refused(self) -> tuple[Hit, ...]:
        return tuple(hit for hit in self.hits if hit.over)


class DatabaseCounters:
    """Counts in ``login_counters``, each increment committed at once on its own connection."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def add(self, key: str, window_end: int) -> int:
        table = LoginCounter.__table__
        with self.engine.begin() as connection:
            statement = upsert(connection, table, [{"key": key, "window_end": window_end, "count": 1}],
                               ["key", "window_end"], lambda excluded: {"count": table.c.count + 1})
            count = connection.scalar(statement.returning(table.c.count))
            if count == 1:  # a new window for this key: the ended ones are no use to anyone
                connection.execute(delete(table).where(table.c.window_end < clock()))
        return count

    def take_back(self, key: str, window_end: int) -> None:
        table = LoginCounter.__table__
        with self.engine.begin() as connection:
            row = (table.c.key == key) & (table.c.window_end == window_end)
            connection.execute(update(table).where(row).values(count=table.c.count - 1))


class RedisCounters:
    """Counts in Redis, each key expiring with its window."""

    def __init__(self, url: str):
        self.redis = redis.Redis.from_url(url)

    def add(self, key: str, window_end: int) -> int:
        name = f"quanhui:login:{key}:{window_end}"
        pipeline = self.redis.pipeline(transaction=True)
        pipeline.incr(name)
        pipeline.expire(name, max(1, math.ceil(window_end - clock())))
        return pipeline.execute()[0]

    def take_back(self, key: str, window_end: int) -> None:
        self.redis.decr(f"quanhui:login:{key}:{window_end}")


class LoginThrottle:
    """The account and address limits of one app, read from its config at each attempt."""

    SETTINGS = ("QUANHUI_LOGIN_LIMITS", "QUANHUI_LOGIN_ADDRESS_LIMITS")

    def __init__(self, app: Flask, counters: DatabaseCounters | RedisCounters):
        self.config = app.config
        self.counters = counters
        for setting in self.SETTINGS:  # a mistyped limit stops the start, rather than every login
            try:
                self._limits(setting)
            except ValueError as exc:
                raise ValueError(f"{setting} 的写法不对（应当像 \"30 per minute\"）：{exc}") from exc

    def attempt(self, username: str, address: str) -> Attempt:
        """Count an attempt against every limit; a refused attempt keeps only the counts
        of the limits it broke, so one guessed account does not use up its office's address."""
        limited = [(f"account:{username[:200]}", item) for item in self._limits("QUANHUI_LOGIN_LIMITS")]
        limited += [(f"address:{address}", item) for item in self._limits("QUANHUI_LOGIN_ADDRESS_LIMITS")]
        now = clock()
        hits = []
        for name, item in limited:
            seconds = item.get_expiry()
            window_end = int(now // seconds + 1) * seconds
            key = f"{name}:{item.amount}/{seconds}"
            hits.append(Hit(key, window_end, self.counters.add(key, window_end), item))
        attempt = Attempt(tuple(hits))
        if attempt.refused:
            self._take_back(hit for hit in hits if not hit.over)
        return attempt

    def _limits(self, setting: str) -> list[limits.RateLimitItem]:
        return limits.parse_many(self.config[setting])

    def succeeded(self, attempt: Attempt) -> None:
        """A successful login is no failure: it uses up no limit."""
        self._take_back(attempt.hits)

    def _take_back(self, hits) -> None:
        for hit in hits:
            self.counters.take_back(hit.key, hit.window_end)


def init_app(app: Flask) -> LoginThrottle:
    url = app.config["QUANHUI_REDIS_URL"]
    counters = RedisCounters(url) if url else DatabaseCounters(app.extensions["quanhui.db"].engine)
    throttle = LoginThrottle(app, counters)
    app.extensions["quanhui.login_throttle"] = throttle
    return throttle
