"""Migration 0013 gives the types built before it their owner-carrying names.

The state before it is what downgrading to 0011 leaves: plain names everywhere. The
upgrade renames the type, its versions, its records, their projections and search
texts, the fields districts added to it and the reference fields pointing at it.
"""
from __future__ import annotations

from alembic import command
from sqlalchemy import select

from core.db import session
from core.entities.models import CustomField, Entity, EntityValue
from core.entities.record_types import RecordType, RecordTypeVersion
from core.migrations import alembic_config, upgrade
from core.tenancy import system_scope
from tests.core.test_record_types import RECORD, TYPE, built  # noqa: F401 (built: a fixture)

VISIT = "t2__visit"


def names(app) -> dict[str, set]:
    """Every type name the tables hold, by table."""
    with app.app_context(), system_scope(session):
        definitions = session.scalars(select(RecordType.definition)).all()
        versions = session.scalars(select(RecordTypeVersion.definition)).all()
        return {
            "record_types": set(session.scalars(select(RecordType.name))),
            "definitions": {d["name"] for d in [*definitions, *versions]},
            "targets": {f["target"] for d in definitions for f in d["fields"] if f.get("target")},
            "entities": set(session.scalars(select(Entity.type))),
            "values": set(session.scalars(select(EntityValue.type))),
            "custom_fields": set(session.scalars(select(CustomField.type))),
        }


def point_at(app, name: str, target: str) -> None:
    """Give built type ``name`` a reference field to ``target``, as files imported before
    0013 could (the builder offers only plugin types as targets)."""
    with app.app_context(), system_scope(session):
        row = session.scalar(select(RecordType).where(RecordType.name == name))
        reference = {"name": "report", "label": "关联报告", "kind": "reference", "target": target}
        row.definition = {**row.definition, "fields": [*row.definition["fields"], reference]}
        session.add(RecordTypeVersion(tenant_id=row.tenant_id, record_type_id=row.id, version=2,
                                      definition=row.definition, summary="关联报告"))
        session.commit()


def test_the_upgrade_renames_every_reference_to_a_built_type(built, app, login_client, api_client):
    lixia = login_client("lixia", "admin")
    assert lixia.post(f"/lixia/admin/fields/{TYPE}", data={"name": "supervisor", "label": "分管领导", "indexed": "1"}).status_code == 303
    editor = api_client("lixia", "editor")
    record = editor.post(f"/api/v1/lixia/entities/{TYPE}", json={**RECORD, "supervisor": "王副会长"})
    assert record.status_code == 201
    assert lixia.post("/lixia/admin/types/", data={"name": "visit", "label": "走访"}).status_code == 303
    point_at(app, VISIT, TYPE)
    after = {"record_types": {TYPE, VISIT}, "definitions": {TYPE, VISIT}, "targets": {TYPE},
             "entities": {TYPE}, "values": {TYPE}, "custom_fields": {TYPE}}
    assert names(app) == after

    engine = app.extensions["quanhui.db"].engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(app.extensions["quanhui.plugins"], connection), "0011_policies_read_ids_once")
    before = {key: {name.split("__")[-1] for name in value} for key, value in after.items()}
    assert names(app) == before
    upgrade(engine, app.extensions["quanhui.plugins"])
    app.extensions["quanhui.entities"].forget()

    assert names(app) == after
    listed = editor.get(f"/api/v1/lixia/entities/{TYPE}?supervisor=王副会长").json
    assert [item["id"] for item in listed["items"]] == [record.json["id"]]
    assert RECORD["title"] in lixia.get(f"/lixia/entities/{TYPE}/?q=年度会员大会").get_data(as_text=True)
    linked = editor.post(f"/api/v1/lixia/entities/{VISIT}", json={"title": "走访记录", "report": record.json["id"]})
    assert linked.status_code == 201, linked.get_data(as_text=True)


def test_a_long_name_is_shortened_to_fit_with_its_owner(built, app, api_client):
    """Before 0013 a name could take all 40 characters; with ``t1__`` in front it is cut to fit."""
    engine = app.extensions["quanhui.db"].engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(app.extensions["quanhui.plugins"], connection), "0011_policies_read_ids_once")
    long_name = "major_report_" + "x" * 27
    with app.app_context(), system_scope(session):
        row = session.scalar(select(RecordType))
        row.name, row.definition = long_name, {**row.definition, "name": long_name}
        session.commit()
    upgrade(engine, app.extensions["quanhui.plugins"])
    app.extensions["quanhui.entities"].forget()

    shortened = "t1__" + long_name[:36]
    assert names(app)["record_types"] == {shortened}
    assert api_client("lixia", "editor").get(f"/api/v1/lixia/entities/{shortened}").json["total"] == 0
