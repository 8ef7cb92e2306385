"""Generated input for every entity type, through its HTML form and its API.

For every type the registry has (every bundled plugin is enabled in the city, so a new
plugin's types join by themselves), hypothesis draws a value for each field: a valid one
(markup, right-to-left marks, emoji, rare CJK and full-width text included), one that
must be refused, or none. The draw is posted as the 新建 form (signed in, CSRF token) or
as JSON to the API (bearer token). Whatever is sent:

* the answer is never a 5xx;
* input with any refused value (or a required field left out) is answered 422 and
  changes nothing: the counts of records, revisions and projection rows stay as they were;
* a saved record then gets a generated change through the API (a partial PATCH): refused,
  it changes nothing, not even the version; accepted, it adds exactly one version and
  revision (none when nothing changed), and never carries a value the field rules refuse;
* input whose every value is valid is saved, reads back through the API exactly as sent,
  normalised the documented way (text trimmed, codes upper-cased), and its page renders it
  inert. Only a rule beyond the fields' own (a plugin's check across fields, a relation
  to another record) may still refuse it: 422, nothing changed, and the type's schema
  must accept the input, so a refusal by the field rules themselves fails the test.

Types are fuzzed in reference order (the association first), so records saved for one
type are the valid targets of the reference fields of the next.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import math
import re
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from core.auth.accounts import create_api_token
from core.db import session
from core.entities import service_for, uscc
from core.entities.fields import MAX_TAGS, PHONE, STORABLE, TEXT_LIMITS, clean_input
from core.entities.forms import form_input
from core.entities.models import Entity, EntityRevision, EntityValue
from core.entities.registry import schema_for
from core.plugins import PluginRegistry
from core.tenancy import SYSTEM, TenantScope, tenant_by_slug, use_scope
from core.testing import enable_plugins
from tests.entity_helpers import association

EXAMPLES_PER_TYPE = 12
TENANT = "jinan"
SUCCESS = {"form": 303, "api": 201}
#: Text that must come back as it went in, and be shown inert.
NASTY = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% raw %}",
    "\u202e协会名称倒写\u202c",
    "零\u200b宽\u200d字符\ufeff",
    "👨\u200d👩\u200d👧 济南 🏮",
    "𠀀𪚥𰻞",
    "ＡＢＣ全角１２３",
    "e\u0301\u0301\u0301",
    "'; DROP TABLE entities; --",
    "\\u0000 not a NUL",
)
MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
TAG_SEPARATORS = re.compile(r"[,,、;;\s]")
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclasses.dataclass(frozen=True)
class Draw:
    """One field's drawn input: what is sent, and what must be stored (valid only)."""

    sent: Any
    valid: bool
    stored: Any = None


def _bundled_plugins() -> list[str]:
    registry = PluginRegistry()
    return [p.name for p in registry.plugins.values() if p.loaded and p.source == "quanhui" and not p.meta.always_on]


# -- strategies: one valid and one invalid strategy per field kind ----------------------


def _text_chars() -> st.SearchStrategy[str]:
    return st.characters(blacklist_categories=("Cs", "Cc"))


def _valid_text(limit: int) -> st.SearchStrategy[Draw]:
    generated = st.text(_text_chars(), min_size=1, max_size=min(limit, 30))
    written = st.sampled_from(NASTY).map(lambda text: text[:limit])
    return st.one_of(generated, written).filter(str.strip).map(lambda text: Draw(text, True, text.strip()))


def _invalid_text(limit: int, via: str) -> st.SearchStrategy[Draw]:
    options = [
        st.integers(1, 20).map(lambda extra: "长" * (limit + extra)),
        st.sampled_from(("控制\x01字符", "a\x08b", "单元\x1f分隔")),
    ]
    if via == "api":
        options += [st.integers(), st.just("孤立\ud800代理"), st.just(["列表"])]
    return st.one_of(options).map(lambda value: Draw(value, False))


def _bounds(field) -> tuple[int, int]:
    low, high = -(10**15), 10**15
    if field.kind == "money":
        low = 0
    if field.minimum is not None:
        low = max(low, math.ceil(field.minimum))
    if field.maximum is not None:
        high = min(high, math.floor(field.maximum))
    return low, high


def _valid_number(field, via: str) -> st.SearchStrategy[Draw]:
    low, high = _bounds(field)
    if field.kind == "integer":
        return st.integers(low, high).map(lambda n: Draw(n if via == "api" else str(n), True, n))
    places = 2 if field.kind == "money" else 4
    return st.decimals(low, high, places=places, allow_nan=False, allow_infinity=False).map(
        lambda d: Draw(str(d), True, d)
    )


def _invalid_number(field, via: str) -> st.SearchStrategy[Draw]:
    low, high = _bounds(field)
    options = [st.just("abc"), st.just("12,5"), st.just(str(high + 1)), st.just(str(low - 1)),
               st.just(str(STORABLE.max * 10))]
    if field.kind == "integer":
        options.append(st.just("1.5"))
    else:
        options += [st.just("NaN"), st.just("Infinity")]
    if field.kind == "money":
        options.append(st.just("1.234"))
    return st.one_of(options).map(lambda value: Draw(value, False))


def _valid_date() -> st.SearchStrategy[Draw]:
    return st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(lambda d: Draw(d.isoformat(), True, d.isoformat()))


def _valid_boolean(via: str) -> st.SearchStrategy[Draw]:
    return st.booleans().map(lambda b: Draw(b if via == "api" else ("true" if b else "false"), True, b))


def _valid_tags(via: str) -> st.SearchStrategy[Draw]:
    tag = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=1, max_size=30).filter(
        lambda t: not TAG_SEPARATORS.search(t) and t.strip() == t
    )
    return st.lists(tag, min_size=1, max_size=MAX_TAGS, unique=True).map(
        lambda tags: Draw(tags if via == "api" else "、".join(tags), True, tags)
    )


def _valid_uscc() -> st.SearchStrategy[Draw]:
    code = st.builds(lambda division, serial: uscc.make("5", "1", division, serial),
                     st.sampled_from(("370100", "370102", "370112", "370124")), st.integers(0, 10**8 - 1))
    return st.tuples(code, st.booleans()).map(lambda pair: Draw(pair[0].lower() if pair[1] else pair[0], True, pair[0]))


def valid_value(field, via: str, targets: dict[str, list[int]]) -> st.SearchStrategy[Draw] | None:
    """Valid input for ``field`` sent ``via`` form or api, or None when there is none to give."""
    kind = field.kind
    if kind in TEXT_LIMITS:
        return _valid_text(field.max_length or TEXT_LIMITS[kind])
    if kind in ("integer", "decimal", "money"):
        return _valid_number(field, via)
    if kind == "date":
        return _valid_date()
    if kind == "boolean":
        return _valid_boolean(via)
    if kind == "choice":
        return st.sampled_from(field.choices).map(lambda c: Draw(c, True, c))
    if kind == "multi_choice":
        return st.lists(st.sampled_from(field.choices), min_size=1, unique=True).map(lambda cs: Draw(cs, True, cs))
    if kind == "tags":
        return _valid_tags(via)
    if kind == "reference":
        ids = targets.get(field.target) or []
        return st.sampled_from(ids).map(lambda i: Draw(i if via == "api" else str(i), True, i)) if ids else None
    if kind == "uscc":
        return _valid_uscc()
    if kind == "phone":
        return st.from_regex(PHONE, fullmatch=True).map(lambda p: Draw(p, True, p))
    return None  # file: uploads have tests of their own (tests/core/test_entity_files.py)


def invalid_value(field, via: str) -> st.SearchStrategy[Draw] | None:
    """Input ``field`` must refuse, or None where the channel cannot carry any (a form's boolean)."""
    kind = field.kind
    if kind in TEXT_LIMITS:
        return _invalid_text(field.max_length or TEXT_LIMITS[kind], via)
    if kind in ("integer", "decimal", "money"):
        return _invalid_number(field, via)
    choices = {
        "date": ("2024-02-30", "明天", "2024/13/01"),
        "choice": ("不存在的选项<b>",),
        "multi_choice": (["不存在的选项"],),
        "tags": ("长" * 31,) if via == "form" else (["长" * 31], [f"标签{n}" for n in range(MAX_TAGS + 1)]),
        "reference": ("abc", str(10**12)),
        "uscc": ("51420000MJH2003664", "ABC", "<script>"),
        "phone": ("12345", "电话号码", "1380013800"),
        "boolean": ("maybe", 7) if via == "api" else (),
        "file": ({"file": 10**9}, "x") if via == "api" else (),
    }[kind]
    return st.sampled_from(choices).map(lambda value: Draw(value, False)) if choices else None


@st.composite
def record_input(draw, entity_type, via: str, targets: dict[str, list[int]]):
    """``(payload, valid, stored)``: what is posted, whether every part of it is valid,
    and, field by field, what a valid payload must be stored as. Half the draws aim to be
    valid (each field valid or left out); the others spoil one or more fields."""
    state_field = entity_type.workflow.field if entity_type.workflow is not None else None
    fields = [f for f in entity_type.fields if f.name != state_field]  # a new record's state is the workflow's
    spoiled = set()
    if draw(st.booleans()):
        spoilable = [f.name for f in fields if invalid_value(f, via) is not None or _required(f)]
        spoiled = set(draw(st.lists(st.sampled_from(spoilable), min_size=1, unique=True))) if spoilable else set()
    payload, stored, valid = {}, {}, True
    for field in fields:
        good, bad = valid_value(field, via, targets), invalid_value(field, via)
        if field.name in spoiled:
            chosen = draw(st.one_of([st.just(None)] + ([bad] if bad is not None else []))) if _required(field) else draw(bad)
        elif good is None:
            chosen = None
        else:
            chosen = draw(good) if _required(field) else draw(st.one_of(st.just(None), good))
        if chosen is None:
            valid = valid and not _required(field)
            continue
        payload[field.name] = chosen.sent
        valid = valid and chosen.valid
        if chosen.valid:
            stored[field.name] = chosen.stored
    if via == "api" and spoiled and draw(st.booleans()):
        payload["zz_no_such_field"] = "未知字段"
        valid = False
    return payload, valid, stored


def _required(field) -> bool:
    return field.required and field.default is None


# -- the test --------------------------------------------------------------------------


def _counts() -> tuple[int, int, int]:
    with use_scope(session, SYSTEM):
        return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Entity, EntityRevision, EntityValue))


def _in_reference_order(types) -> list:
    """Targets before the types that point at them (a cycle keeps declaration order)."""
    by_name = {t.name: t for t in types}
    ordered: list = []

    def visit(entity_type, path=()):
        if entity_type in ordered or entity_type.name in path:
            return
        for field in entity_type.fields:
            if field.kind == "reference" and field.target in by_name:
                visit(by_name[field.target], (*path, entity_type.name))
        ordered.append(entity_type)

    for entity_type in types:
        visit(entity_type)
    return ordered


def _field_errors(entity_type, via: str, payload: dict) -> dict:
    """What the type's own field rules (the marshmallow schema) say of ``payload``."""
    raw = form_input(entity_type, MultiDict(payload)) if via == "form" else payload
    return schema_for(entity_type).validate(clean_input(entity_type, raw))


def _same(stored: Any, expected: Any) -> bool:
    if isinstance(expected, decimal.Decimal):
        return stored is not None and decimal.Decimal(str(stored)) == expected
    return stored == expected


def test_generated_input_never_breaks_a_form_or_the_api_and_refused_input_changes_nothing(
    app, login_client, make_user, record_property
):
    with app.app_context():
        enable_plugins(_bundled_plugins(), [TENANT])
        home = tenant_by_slug(session, TENANT)
        with use_scope(session, TenantScope.of(home)):
            service = service_for(home)
            service.create(service.type("association"), association())
            service.commit()
            types = _in_reference_order(service.types())
        token = create_api_token(session, make_user(TENANT, "editor"), "fuzz")
        session.commit()
    browser = login_client(TENANT, "admin")
    csrf = {"X-CSRFToken": browser.csrf_token()}
    bearer = {"Authorization": f"Bearer {token}"}
    seen: Counter = Counter()
    #: Per type, the targets of its required references that had no record to point at.
    missing_targets: dict[str, list[str]] = {}

    def post(entity_type, via: str, payload: dict):
        if via == "form":
            return browser.post(f"/{TENANT}/entities/{entity_type.name}/", data=payload, headers=csrf)
        return app.test_client().post(f"/api/v1/{TENANT}/entities/{entity_type.name}", json=payload, headers=bearer)

    def saved_id(response) -> int:
        return int(re.search(r"/(\d+)$", response.headers["Location"]).group(1))

    def edit(entity_type, record_id: int, payload: dict):
        """A generated change to a saved record through the API (a partial PATCH): never a
        5xx; refused, it changes nothing, not even the version; accepted, it wrote one
        version and one revision more (or none, when nothing changed), and a value the
        field rules refuse is never accepted."""
        url = f"/api/v1/{TENANT}/entities/{entity_type.name}/{record_id}"
        version = app.test_client().get(url, headers=bearer).json["version"]
        with app.app_context():
            before = _counts()
        response = app.test_client().patch(url, json=payload, headers={**bearer, "If-Match": f'"{version}"'})
        assert response.status_code < 500, (entity_type.name, "edit", payload, response.get_data(as_text=True)[:500])
        with app.app_context():
            after = _counts()
        now = app.test_client().get(url, headers=bearer).json["version"]
        if response.status_code != 200:
            assert response.status_code == 422, (entity_type.name, "edit", payload, response.status_code)
            assert (after, now) == (before, version), (entity_type.name, "edit", payload)
            seen[(entity_type.name, "edit_refused")] += 1
            return
        refused = set(_field_errors(entity_type, "api", payload)) & set(payload)
        assert not refused, f"{entity_type.name}: an edit with refused values was accepted: {payload!r}"
        assert after[0] == before[0]
        assert (after[1], now) in ((before[1], version), (before[1] + 1, version + 1)), (entity_type.name, payload)
        seen[(entity_type.name, "edited")] += 1

    for entity_type in types:
        with app.app_context():
            with use_scope(session, TenantScope.of(tenant_by_slug(session, TENANT))):
                targets = {
                    name: list(session.scalars(
                        select(Entity.id).where(Entity.type == name, Entity.deleted_at.is_(None)).limit(50)))
                    for name in {f.target for f in entity_type.fields if f.kind == "reference"}
                }
        missing_targets[entity_type.name] = [
            f.target for f in entity_type.fields if f.kind == "reference" and _required(f) and not targets[f.target]
        ]

        @given(via=st.sampled_from(("form", "api")), data=st.data())
        @settings(max_examples=EXAMPLES_PER_TYPE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def survives(via, data):
            payload, valid, stored = data.draw(record_input(entity_type, via, targets))
            change = data.draw(record_input(entity_type, "api", targets))[0]  # drawn now: targets grow below
            with app.app_context():
                before = _counts()
            response = post(entity_type, via, payload)
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (entity_type.name, via, payload, body[:500])
            with app.app_context():
                after = _counts()
            if response.status_code != SUCCESS[via]:
                assert response.status_code == 422, (entity_type.name, via, payload, response.status_code)
                assert after == before, (entity_type.name, via, payload)
                if valid:  # the field rules accept it: a plugin's rule or a relation refused it
                    assert not _field_errors(entity_type, via, payload), (entity_type.name, via, payload, body[:500])
                seen[(entity_type.name, "refused_valid" if valid else "refused")] += 1
                return
            assert valid, f"{entity_type.name} via {via} accepted invalid input {payload!r}"
            assert after[:2] == (before[0] + 1, before[1] + 1)
            record_id = saved_id(response)
            read = app.test_client().get(f"/api/v1/{TENANT}/entities/{entity_type.name}/{record_id}", headers=bearer)
            assert read.status_code == 200
            for name, expected in stored.items():
                assert _same(read.json["data"][name], expected), (entity_type.name, via, name, read.json["data"][name], expected)
            page = browser.get(f"/{TENANT}/entities/{entity_type.name}/{record_id}")
            assert page.status_code == 200
            assert not any(markup in page.get_data(as_text=True) for markup in MARKUP)
            targets.setdefault(entity_type.name, []).append(record_id)
            seen[(entity_type.name, "saved")] += 1
            edit(entity_type, record_id, change)

        survives()

    saved = {t.name: seen[(t.name, "saved")] for t in types}
    # A type none of whose generated records was saved must at least have had valid ones
    # refused by its plugin's own rule (a format or a relation the generator cannot know),
    # or need a reference to a type that, for that reason, has no record either.
    unexercised = [name for name, count in saved.items() if count == 0]
    for name in unexercised:
        assert seen[(name, "refused_valid")] or (
            missing_targets[name] and all(saved.get(target, 0) == 0 for target in missing_targets[name])
        ), (name, missing_targets[name], dict(seen))
    record_property("types", len(types))
    record_property("requests", sum(seen.values()))
    record_property("saved", sum(saved.values()))
    record_property("refused_invalid", sum(n for (_, kind), n in seen.items() if kind == "refused"))
    record_property("edited", sum(n for (_, kind), n in seen.items() if kind == "edited"))
    record_property("edits_refused", sum(n for (_, kind), n in seen.items() if kind == "edit_refused"))
    record_property("refused_valid_by_plugin_rule", sum(n for (_, kind), n in seen.items() if kind == "refused_valid"))
    record_property("not_round_tripped", " ".join(unexercised) or "-")
