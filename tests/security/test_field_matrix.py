"""The isolation matrix, field by field: each type × each role × a field: read, write, refused.

One record of each sampled type of the bundled plugins belongs to lixia's association
(whose directory has a staff-only 内部备注 besides, as an admin designs it).
For every field that declares rights, and one field more per type drawn with a fixed
seed, each role reads the record over the API (is the field in the answer?) and sends a
new value for the field alone (PATCH). What each role must get follows from the field's
declaration (``read_roles``, ``write_roles``) and the role's permissions: a viewer changes
nothing (403), the staff write what is theirs, the association account writes what is
not the staff's on its own records (403 for the rest), and a record it does not own is
404 to it whatever the field.
"""
from __future__ import annotations

import itertools
import random

import pytest

from core.db import session
from core.entities import service_for
from core.entities.models import CustomField
from core.entities.rights import STAFF, rights_of
from core.entities.uscc import make
from core.tenancy import TenantScope, tenant_by_slug, use_scope

pytestmark = pytest.mark.enable_plugins("coverage", "matching", "rectification", "think_tank", tenants=["jinan", "lixia"])

ROLES = ("viewer", "editor", "admin", "association")
SEED = 24
#: A valid record of each sampled type, for lixia's association ``A``.
RECORDS = {
    "association": lambda a: None,
    "party_org": lambda a: {"name": "巡检党支部", "kind": "党支部", "association": a},
    "instructor": lambda a: {"name": "巡检指导员", "association": a, "start_on": "2025-01-01"},
    "intention": lambda a: {"title": "巡检意向", "association": a, "district": "历下区", "signed_on": "2025-01-01"},
    "project": lambda a: {"title": "巡检项目", "association": a, "district": "历下区", "amount": "1000",
                          "signed_on": "2025-01-01"},
    "rectification_case": lambda a: {"title": "巡检案件", "association": a, "source": "自查自纠",
                                     "found_on": "2025-01-01", "description": "巡检用的问题描述"},
    "suggestion": lambda a: {"title": "巡检建议", "association": a, "category": "其他", "submitted_on": "2025-01-01",
                             "content": "巡检用的建议内容"},
    "proposal": lambda a: {"title": "巡检提案", "person": "张某", "body": "人大", "level": "市级", "year": 2025,
                           "association": a},
}
#: Field kinds the sweep draws its extra field from (a value is made up without another record).
DRAWN_KINDS = ("text", "long_text", "integer", "decimal", "money", "date", "boolean", "choice", "phone")
_changes = itertools.count(1)


def new_value(field, current, targets: dict[str, tuple[int, ...]]):
    """A valid value for ``field`` different from ``current`` (a reference: one of the records ``targets`` names)."""
    if field.kind == "reference":
        return next(target for target in targets[field.target] if target != current)
    if field.kind == "uscc":
        return make("5", "1", "370102", 100 + next(_changes))
    if field.kind in ("text", "long_text"):
        return f"巡检改动的内容，第 {next(_changes)} 次改动"
    if field.kind == "date":
        return "2025-06-30" if current != "2025-06-30" else "2025-07-01"
    if field.kind == "choice":
        return next(c for c in field.choices if c != current)
    if field.kind in ("integer", "decimal", "money"):
        low = 0 if field.minimum is None else field.minimum
        high = low + 50 if field.maximum is None else field.maximum
        value = int(low + (high - low) // 2)
        return value if value != current else value + 1 if value + 1 <= high else value - 1
    if field.kind == "phone":
        return "0531-86123456" if current != "0531-86123456" else "0531-86123457"
    return not current


@pytest.fixture
def records(app, db_session):
    """The sampled records, all owned by lixia's association; and a record of each type it does not own."""
    lixia = tenant_by_slug(session, "lixia")
    with use_scope(session, TenantScope.of(lixia)):
        session.add(CustomField(tenant_id=lixia.id, type="association", name="staff_note", definition={
            "name": "staff_note", "label": "内部备注", "kind": "text", "read_roles": list(STAFF)}))
        session.commit()
        service = service_for(lixia)
        association = service.type("association")
        ours = service.create(association, {"name": "巡检协会", "uscc": make("5", "1", "370102", 11),
                                            "category": "行业协会", "supervisor": "历下区民政局"}).id
        theirs = service.create(association, {"name": "别家协会", "uscc": make("5", "1", "370102", 12),
                                              "category": "商会"}).id
        made = {"association": (ours, theirs)}
        for type_name, data in RECORDS.items():
            if type_name == "association":
                continue
            entity_type = service.type(type_name)
            made[type_name] = (service.create(entity_type, data(ours)).id, service.create(entity_type, data(theirs)).id)
        service.commit()
        types = {name: service.type(name) for name in RECORDS}
    jinan = tenant_by_slug(session, "jinan")
    with use_scope(session, TenantScope.of(jinan)):
        service = service_for(jinan)
        measure = service.type("rectification_measure")
        measures = tuple(service.create(measure, {"severity": n, "name": name}).id
                         for n, name in ((1, "约谈提醒"), (2, "责令整改")))
        service.commit()
    return ours, made, types, {"rectification_measure": measures}


def sample(entity_type) -> list:
    """The fields that declare rights, and one more drawn with the fixed seed."""
    declared = [f for f in entity_type.fields if f.read_roles or f.write_roles]
    state = entity_type.workflow.field if entity_type.workflow else None
    others = [f for f in entity_type.fields if f not in declared and f.kind in DRAWN_KINDS and f.name != state
              and f.name not in (entity_type.title_field, entity_type.owner_field)]
    return declared + random.Random(f"{SEED}:{entity_type.name}").sample(others, 1)


def expected(role: str, field, owned: bool, tenant) -> tuple[str, int]:
    """(read, PATCH status) by the declaration: "read"/"hidden" and 200/403/404."""
    if role == "association" and not owned:
        return "refused", 404
    rights = rights_of(type("Actor", (), {"role": role, "tenant_id": tenant.id})(), tenant)
    read = "read" if rights.may_read(field) else "hidden"
    if role == "viewer":
        return read, 403
    return read, 200 if rights.may_write(field) else 403


def test_each_type_each_role_a_field_read_write_or_refused(app, records, api_client, make_user):
    ours, made, types, targets = records
    lixia = tenant_by_slug(session, "lixia")
    clients = {role: api_client("lixia", role, association_id=ours if role == "association" else None)
               for role in ROLES}
    mismatches, rows, seen = [], 0, set()
    for type_name, entity_type in types.items():
        owned = type_name == "association" or entity_type.owner_field is not None
        record = made[type_name][0]
        for field in sample(entity_type):
            for role, client in clients.items():
                url = f"/api/v1/lixia/entities/{type_name}/{record}"
                want = expected(role, field, owned, lixia)
                answer = client.get(url)
                if answer.status_code == 404:
                    got_read, status = "refused", client.patch(url, json={field.name: "x"},
                                                               headers={"If-Match": '"1"'}).status_code
                else:
                    got_read = "read" if field.name in answer.json["data"] else "hidden"
                    current = client.get(url) if role == "association" else answer
                    value = new_value(field, current.json["data"].get(field.name), targets)
                    status = client.patch(url, json={field.name: value},
                                          headers={"If-Match": current.headers["ETag"]}).status_code
                rows += 1
                seen.add(got_read)
                if (got_read, status) != want:
                    mismatches.append(f"{type_name}.{field.name} × {role}: expected {want}, got {(got_read, status)}")
        not_ours = made[type_name][1]
        assert clients["association"].get(f"/api/v1/lixia/entities/{type_name}/{not_ours}").status_code == 404
    assert not mismatches, "\n".join(mismatches)
    assert {"read", "hidden", "refused"} <= seen
    assert rows >= len(types) * len(ROLES) * 2
