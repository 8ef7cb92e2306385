"""Province-scale data through the platform's own storage: ``python -m bench.generate``.

Deterministic (one seed, no clock in the data): the Jinan tree plus streets under the
districts up to ``--tenants``; ``--associations`` associations spread over the tenants
(the city and the districts hold most); party organisations, joint-branch members,
instructors and 会企之声 suggestions for them up to ``--entities`` records in all. Every
record goes through :meth:`core.entities.service.EntityService.bulk`: validated like a
form save, with its revision and projections, written in batches.

Also creates the bench's user (``bench-admin``, at the city), enables the four bundled
plugins everywhere, and an empty street ``bench-import`` for the Excel import scenario.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from core.auth.accounts import create_user
from core.auth.models import User
from core.cli import _init
from core.db import session
from core.entities import service_for
from core.entities.models import Entity
from core.entities.uscc import make
from core.plugin_state import set_enabled, set_offered
from core.tenancy import Tenant, TenantScope, system_scope, use_scope

from .app import BENCH_PASSWORD, BENCH_USER, CITY, make_app

SEED = "quanhui-bench-2026"
IMPORT_TENANT = "bench-import"
#: Shares of the associations: the city, each district; the streets share the rest.
CITY_SHARE, DISTRICT_SHARE = 0.10, 0.05
CATEGORIES = ("行业协会", "商会", "异地商会", "其他")
STATUSES = ("正常", "正常", "正常", "正常", "正常", "正常", "整改中", "注销", "撤销")
TRADES = ("软件", "物流", "餐饮", "建筑", "医药", "家电", "纺织", "旅游", "金融", "农业", "钢铁", "新材料", "物业", "律师")
DEPARTMENTS = ("市工业和信息化局", "市商务局", "市民政局", "市科技局", "市农业农村局", "市住房城乡建设局")
KINDS = ("党支部", "党支部", "党支部", "党总支", "党委", "联合党支部", "临时党支部")
SUGGESTION_CATEGORIES = ("营商环境", "政策落实", "融资服务", "人才引进", "市场拓展", "行业监管", "其他")
BASE_DAY = dt.date(2024, 1, 1)


@dataclasses.dataclass(frozen=True)
class Sizes:
    tenants: int = 200
    associations: int = 100_000
    entities: int = 1_000_000


def generate(url: str, sizes: Sizes, *, seed: str = SEED, say: Callable[[str], None] = print) -> dict[str, int]:
    """Fill the empty database at ``url``; returns how many records of each type."""
    app = make_app(url)
    with app.app_context():
        _init(None)
        with system_scope(session):
            if session.scalar(select(func.count(Entity.id))):
                raise SystemExit(f"{url} already holds records: generate into an empty database")
        tenants = _tenants(sizes.tenants)
        _users_and_plugins(app, tenants)
        counts = _records(tenants, sizes, random.Random(seed), say)
    analyze(app.extensions["quanhui.db"].engine)
    app.extensions["quanhui.db"].engine.dispose()
    return counts


def analyze(engine) -> None:
    """Refresh the planner's statistics, as after any bulk load: without them PostgreSQL
    takes the freshly filled tables for empty ones and nests loops over 100,000 rows."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def _tenants(wanted: int) -> list[Tenant]:
    """The synced Jinan tree, plus streets under the districts in turn up to ``wanted``,
    plus the empty ``bench-import`` street."""
    with system_scope(session):
        tree = list(session.scalars(select(Tenant).order_by(Tenant.position)))
        districts = [t for t in tree if not t.is_root]
        position = len(tree)
        streets = max(0, wanted - len(tree))
        for number in range(streets + 1):
            district = districts[number % len(districts)]
            serial = number // len(districts) + 1
            slug = IMPORT_TENANT if number == streets else f"{district.slug}-s{serial:02d}"
            street = Tenant(code=f"{district.code}{serial:03d}" if number < streets else "370199999", slug=slug,
                            name=f"{district.name}第{serial}街道" if number < streets else "导入测试街道",
                            level="street", parent_id=district.id, path="", position=position + number)
            session.add(street)
            session.flush()
            street.path = f"{district.path}{street.id}/"
        session.commit()
        return list(session.scalars(select(Tenant).order_by(Tenant.position)))


def _users_and_plugins(app, tenants: list[Tenant]) -> None:
    registry = app.extensions["quanhui.plugins"]
    city = next(t for t in tenants if t.slug == CITY)
    with system_scope(session):
        if session.scalar(select(User.id).where(User.username == BENCH_USER)) is None:
            with use_scope(session, TenantScope.of(city)):
                create_user(session, city, BENCH_USER, BENCH_PASSWORD, "admin", display_name="性能测试", actor=None)
    # The bundled plugins only: an installed third-party plugin stays installed, not enabled.
    toggleable = [p.name for p in registry.loaded if not p.meta.always_on and p.source == "quanhui"]
    for tenant in tenants:
        with use_scope(session, TenantScope.of(tenant)):
            for name in toggleable:
                if tenant.tier in registry.meta(name).levels:
                    set_offered(session, registry, tenant, name, True, None)
                    set_enabled(session, registry, tenant, name, True, None)
    session.commit()


def shares(tenants: list[Tenant], total: int) -> dict[int, int]:
    """How many associations each tenant holds (the import street none)."""
    city = [t for t in tenants if t.is_root]
    districts = [t for t in tenants if t.level != "street" and not t.is_root]
    streets = [t for t in tenants if t.level == "street" and t.slug != IMPORT_TENANT]
    counts = {t.id: int(total * CITY_SHARE) for t in city}
    counts.update({t.id: int(total * DISTRICT_SHARE) for t in districts})
    rest = total - sum(counts.values())
    if not streets:
        counts[city[0].id] += rest
        return counts
    for index, street in enumerate(streets):
        counts[street.id] = rest // len(streets) + (1 if index < rest % len(streets) else 0)
    return counts


def association_rows(rng: random.Random, tenant: Tenant, count: int, start: int = 1) -> Iterator[dict]:
    """``count`` valid associations of ``tenant``; credit codes unique within the tenant."""
    division = tenant.code[:6]
    for number in range(start, start + count):
        trade = rng.choice(TRADES)
        category = rng.choice(CATEGORIES)
        yield {
            "name": f"{tenant.name}{trade}{category}{number}",
            "uscc": make("5", "1", division, (tenant.id * 1_000_000 + number) % 100_000_000),
            "category": category,
            "status": rng.choice(STATUSES),
            "supervisor": rng.choice(DEPARTMENTS),
            "industry_department": rng.choice(DEPARTMENTS),
            "registered_on": (BASE_DAY - dt.timedelta(days=rng.randrange(9000))).isoformat(),
            "member_count": rng.randrange(20, 2000),
            "legal_representative": f"法人{number}",
            "contact_phone": f"0531-{rng.randrange(80000000, 89999999)}",
            "tags": rng.sample(["党建示范", "联合会会员", "科技", "制造", "服务业", "4A"], 2),
        }


def _records(tenants: list[Tenant], sizes: Sizes, rng: random.Random, say) -> dict[str, int]:
    per_tenant = shares(tenants, sizes.associations)
    others = max(0, sizes.entities - sizes.associations)
    # The records besides associations: about 7% party organisations, 1% joint-branch
    # members and 1% suggestions; instructors (with their past dispatch periods) fill up.
    plan = {"party_org": int(others * 0.07), "party_org_member": int(others * 0.01), "suggestion": int(others * 0.01)}
    plan["instructor"] = others - sum(plan.values())
    counts = dict.fromkeys(("association", *plan), 0)
    started, total = time.monotonic(), sizes.associations + others
    for tenant in tenants:
        count = per_tenant.get(tenant.id, 0)
        if not count:
            continue
        share = count / max(sizes.associations, 1)
        with use_scope(session, TenantScope.of(tenant)):
            service = service_for(tenant)

            def write(type_name: str, rows) -> list:
                written = _write(service, type_name, rows)
                counts[type_name] += len(written)
                return written

            ids = write("association", association_rows(rng, tenant, count))
            orgs = dict(write("party_org", _party_orgs(rng, ids, round(plan["party_org"] * share))))
            joint = [org_id for org_id, kind in orgs.items() if kind == "联合党支部"]
            write("party_org_member", _members(rng, ids, joint, len(orgs), round(plan["party_org_member"] * share)))
            write("instructor", _instructors(rng, ids, round(plan["instructor"] * share)))
            write("suggestion", _suggestions(rng, ids, round(plan["suggestion"] * share)))
            service.commit()
        done = sum(counts.values())
        say(f"  {tenant.slug:<16} {done:>9,}/{total:,} records ({done / (time.monotonic() - started):,.0f}/s)")
    return counts


def _write(service, type_name: str, rows) -> list:
    """Bulk-create ``rows`` (dicts, or (dict, tag) pairs: the ids come back paired with the tags)."""
    entity_type = service.type(type_name)
    tags = []
    with service.bulk(entity_type) as writer:
        for row in rows:
            if isinstance(row, tuple):
                row, tag = row
                tags.append(tag)
            writer.add(row)
        writer.flush()
    return list(zip(writer.ids, tags)) if tags else writer.ids


def _party_orgs(rng, associations: list[int], count: int) -> Iterator[tuple[dict, str]]:
    for number in range(min(count, len(associations))):
        kind = rng.choice(KINDS)
        yield ({"name": f"党组织{number}", "kind": kind, "association": associations[number],
                "founded_on": (BASE_DAY - dt.timedelta(days=rng.randrange(5000))).isoformat(),
                "member_count": rng.randrange(3, 80), "standard_score": rng.randrange(40, 100)}, kind)


def _members(rng, associations: list[int], joint: list[int], with_org: int, count: int) -> Iterator[dict]:
    """Joint branches covering associations that have no organisation of their own."""
    if not joint:
        return
    covered = associations[with_org:] or associations
    for number in range(count):
        yield {"association": covered[number % len(covered)], "party_org": joint[number % len(joint)],
               "joined_on": (BASE_DAY - dt.timedelta(days=rng.randrange(1000))).isoformat()}


def _instructors(rng, associations: list[int], count: int) -> Iterator[dict]:
    for number in range(count):
        start = BASE_DAY - dt.timedelta(days=rng.randrange(2000))
        ended = rng.random() < 0.3
        yield {"name": f"指导员{number}", "unit": rng.choice(DEPARTMENTS),
               "association": associations[rng.randrange(len(associations))], "start_on": start.isoformat(),
               **({"end_on": (start + dt.timedelta(days=365)).isoformat()} if ended else {})}


def _suggestions(rng, associations: list[int], count: int) -> Iterator[dict]:
    for number in range(count):
        yield {"title": f"关于{rng.choice(TRADES)}行业的建议{number}",
               "association": associations[rng.randrange(len(associations))],
               "category": rng.choice(SUGGESTION_CATEGORIES),
               "submitted_on": (BASE_DAY + dt.timedelta(days=rng.randrange(600))).isoformat(),
               "content": "建议优化行业服务,减少重复报送材料。"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an empty database (SQLite file or PostgreSQL)")
    parser.add_argument("--tenants", type=int, default=Sizes.tenants)
    parser.add_argument("--associations", type=int, default=Sizes.associations)
    parser.add_argument("--entities", type=int, default=Sizes.entities, help="records of every type together")
    parser.add_argument("--seed", default=SEED)
    parser.add_argument("--reset", action="store_true", help="drop the database first (SQLite file or PostgreSQL database)")
    arguments = parser.parse_args(argv)
    if arguments.reset:
        reset(arguments.database_url)
    sizes = Sizes(arguments.tenants, arguments.associations, arguments.entities)
    started = time.monotonic()
    print(f"generating {sizes} into {_shown(arguments.database_url)}", flush=True)
    counts = generate(arguments.database_url, sizes, seed=arguments.seed, say=lambda line: print(line, flush=True))
    print(f"done in {time.monotonic() - started:,.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def reset(url: str) -> None:
    """An empty database at ``url``: the SQLite file removed, the PostgreSQL database recreated."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _shown(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


if __name__ == "__main__":
    sys.exit(main())
