"""Creating many records at once (Excel import, the benchmark data): each row validated as a
single create validates it, the rows written in batches, all or nothing, with the same
records, revisions and projections as one-by-one creates leave behind."""
import types

import pytest
from sqlalchemy import func, select

from core.api import PluginMeta, hookimpl
from core.entities.models import Entity, EntityRevision, EntityValue
from core.entities.service import Invalid
from core.entities.uscc import make


def row(number: int, **extra) -> dict:
    return {"name": f"济南市第{number}行业协会", "uscc": make("5", "1", "370102", number), "category": "行业协会",
            "member_count": str(number), "tags": ["科技", "制造"], **extra}


def stored(db_session, entity_id):
    """What the database holds for one record, less ids and times."""
    entity = db_session.get(Entity, entity_id)
    revisions = db_session.scalars(select(EntityRevision).where(EntityRevision.entity_id == entity_id))
    values = db_session.scalars(select(EntityValue).where(EntityValue.entity_id == entity_id))
    return {
        "entity": (entity.type, entity.data, entity.version, entity.owner_id == entity.id, entity.deleted_at),
        "revisions": [(r.version, r.action, r.before, r.after, r.by_name) for r in revisions],
        "values": sorted((v.field, v.text_value, v.num_value, v.date_value) for v in values),
    }


def test_bulk_records_are_stored_exactly_as_single_creates_store_them(lixia_service, db_session):
    association = lixia_service.type("association")
    single = lixia_service.create(association, row(1))
    ids = lixia_service.create_many(association, [row(2), row(3)])
    lixia_service.commit()
    assert len(ids) == 2
    one, bulk = stored(db_session, single.id), stored(db_session, ids[0])
    for part in (one, bulk):
        part["entity"][1].pop("name"), part["entity"][1].pop("uscc"), part["entity"][1].pop("member_count")
        part["revisions"] = [(v, a, b, {k: x for k, x in after.items() if k not in ("name", "uscc", "member_count")}, n)
                             for v, a, b, after, n in part["revisions"]]
        part["values"] = [v for v in part["values"] if v[0] not in ("name", "uscc", "member_count")]
    assert bulk == one
    assert bulk["revisions"][0][:3] == (1, "create", None)
    assert bulk["entity"][3] is True  # an association owns itself


def test_rows_beyond_one_batch_are_all_written_in_order_with_progress(lixia_service, db_session):
    association = lixia_service.type("association")
    seen = []
    with lixia_service.bulk(association, batch=7) as writer:
        for number in range(1, 31):
            writer.add(row(number))
        writer.flush()
        ids = writer.ids
    lixia_service.commit()
    assert len(ids) == 30 and ids == sorted(ids)
    names = dict(db_session.execute(select(Entity.id, Entity.data["name"].as_string()).where(Entity.id.in_(ids))).all())
    assert [names[i] for i in ids] == [f"济南市第{n}行业协会" for n in range(1, 31)]
    ids = lixia_service.create_many(association, (row(n) for n in range(31, 36)), progress=seen.append, every=2)
    assert seen == [2, 4, 5]


def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(lixia_service, db_session):
    association = lixia_service.type("association")
    before = db_session.scalar(select(func.count(Entity.id)))
    rows = [row(1), row(2, category="协会"), *[row(n) for n in range(3, 2500)], row(2500, member_count="-1")]
    with pytest.raises(Invalid) as refused:
        lixia_service.create_many(association, rows)
    lixia_service.commit()
    assert refused.value.errors == {"1.category": ["请从以下选项中选择:行业协会、商会、异地商会、其他"],
                                    "2499.member_count": ["应在 0 到 100000 之间"]}
    assert db_session.scalar(select(func.count(Entity.id))) == before
    assert db_session.scalar(select(func.count(EntityValue.id)).where(EntityValue.field == "name")) == 0


def capped_plugin():
    """A check that counts the records already stored: at most 3 in 商会."""
    from core.db import session

    @hookimpl
    def quanhui_validate_entity(tenant, entity_type, data, previous):
        if entity_type.name == "association" and data.get("category") == "商会":
            stored = session.scalar(select(func.count(EntityValue.id)).where(
                EntityValue.field == "category", EntityValue.text_value == "商会"))
            if stored >= 3:
                return {"category": "商会最多 3 家"}
        return None

    return types.SimpleNamespace(meta=PluginMeta(name="capped", title="上限", version="1"),
                                 quanhui_validate_entity=quanhui_validate_entity)


@pytest.mark.quanhui_plugins(capped_plugin())
@pytest.mark.enable_plugins("capped", tenants=["lixia"])
def test_a_check_that_reads_the_database_sees_the_rows_held_before_it(lixia_service):
    association = lixia_service.type("association")
    rows = [row(1), row(2), *[row(n, category="商会") for n in range(3, 7)]]
    with pytest.raises(Invalid) as refused:
        lixia_service.create_many(association, rows)
    assert refused.value.errors == {"5.category": ["商会最多 3 家"]}


def test_a_batch_that_fails_to_write_fails_the_whole_write_and_keeps_nothing(lixia_service, db_session, monkeypatch):
    from core.entities import service

    association = lixia_service.type("association")
    before = db_session.scalar(select(func.count(Entity.id)))
    written = service.projection_rows
    batches = []

    def third_batch_fails(entity_type, tenant_id, entity_id, data):
        if data["name"] == "济南市第21行业协会":
            raise RuntimeError("the disk is full")
        batches.append(entity_id)
        return written(entity_type, tenant_id, entity_id, data)

    monkeypatch.setattr(service, "projection_rows", third_batch_fails)
    with pytest.raises(RuntimeError, match="the disk is full"), lixia_service.bulk(association, batch=10) as writer:
        for number in range(1, 41):
            writer.add(row(number))
        writer.flush()
    lixia_service.rollback()
    assert len(batches) == 20
    assert db_session.scalar(select(func.count(Entity.id))) == before
