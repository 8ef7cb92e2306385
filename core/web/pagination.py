"""Paging a select: a LIMIT/OFFSET page plus one COUNT, read from ``?page=``."""
from __future__ import annotations

import dataclasses
import math

from flask import request
from sqlalchemy import Select, func, select

from ..db import session
from .malformed import int_argument

PER_PAGE = 50


@dataclasses.dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @classmethod
    def of(cls, query: Select, number: int, per_page: int = PER_PAGE) -> Page:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        number = min(max(1, number), max(1, math.ceil(total / per_page)))
        items = list(session.scalars(query.limit(per_page).offset((number - 1) * per_page)))
        return cls(items, number, per_page, total)

    @classmethod
    def from_request(cls, query: Select, per_page: int = PER_PAGE) -> Page:
        return cls.of(query, int_argument(request.args, "page", 1), per_page)


def url_with(**changes) -> str:
    """The current URL with its query string kept (repeated keys too) and ``changes`` applied;
    a change to ``None`` removes the key (a template global)."""
    from urllib.parse import urlencode

    from flask import url_for

    args = request.args.copy()
    for key, value in changes.items():
        if value is None:
            args.poplist(key)
        else:
            args.setlist(key, [value])
    base = url_for(request.endpoint, **(request.view_args or {}))
    return f"{base}?{urlencode(list(args.items(multi=True)))}" if args else base


def page_url(number: int) -> str:
    return url_with(page=number)
