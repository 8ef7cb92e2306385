"""From the records to the engine's arrays: one query per kind over the indexed projections.

Everything here runs in the tenant's own scope (its associations, its targets, its
pairings). Existing pairings that are still active take up capacity and places; pairs
that were confirmed, or led to an intention or a project, count as past cooperation.
"""
from __future__ import annotations

import dataclasses
import decimal
from collections import defaultdict

import numpy as np
from sqlalchemy import and_, select

from core.api import Entity, EntityValue, service_for, session

from . import engine
from .entities import (
    ACTIVE_STATES,
    CAPACITY,
    DISTRICT,
    OFFERS,
    TARGET_TYPES,
    TOWN,
)

INACTIVE_ASSOCIATIONS = ("注销", "撤销")


def _values(type_name: str, fields: tuple[str, ...], tenant_id: int) -> dict[int, dict[str, list]]:
    """Live records of ``type_name`` → field → projected values (lists: multi-choice fields have several)."""
    rows = session.execute(
        select(EntityValue.entity_id, EntityValue.field, EntityValue.text_value, EntityValue.num_value)
        .join(Entity, and_(Entity.id == EntityValue.entity_id, Entity.tenant_id == EntityValue.tenant_id))
        .where(EntityValue.tenant_id == tenant_id, EntityValue.type == type_name, EntityValue.field.in_(fields),
               Entity.deleted_at.is_(None))
    )
    found: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for entity_id, field, text, number in rows:
        found[entity_id][field].append(text if text is not None else number)
    live = session.scalars(select(Entity.id).where(Entity.tenant_id == tenant_id, Entity.type == type_name,
                                                   Entity.deleted_at.is_(None)).order_by(Entity.id))
    return {entity_id: found.get(entity_id, {}) for entity_id in live}


def weights_for(tenant) -> tuple[engine.Weights, Entity | None]:
    """The tenant's own weights record (if it has one) and the weights it sets."""
    record = session.scalar(select(Entity).where(Entity.tenant_id == tenant.id, Entity.type == "matching_weights",
                                                 Entity.deleted_at.is_(None)).order_by(Entity.id).limit(1))
    if record is None:
        return engine.Weights(), None
    data = record.data or {}
    return engine.Weights(**{f: int(data.get(f) or 0) for f in engine.FACTORS}), record


@dataclasses.dataclass
class Loaded:
    problem: engine.Problem
    #: association id → name; target id → name
    association_names: dict[int, str]
    target_names: dict[int, str]
    #: (target index, association index) pairs already active: not proposed again.
    active: set[tuple[int, int]]
    needs: tuple[str, ...]
    chains: tuple[str, ...]


def load(tenant, target_type: str) -> Loaded:
    # The terms as the tenant sees them: the city's vocabularies, else the declared ones.
    target = service_for(tenant).type(target_type)
    needs, chains, districts = (target.field(name).choices for name in ("needs", "industry_chains", "district"))
    towns: dict[tuple[str, str], int] = {}

    associations = {
        entity_id: values for entity_id, values in
        _values("association", ("name", "status", "industry_chain", OFFERS, CAPACITY, DISTRICT, TOWN), tenant.id).items()
        if not set(values.get("status", ())) & set(INACTIVE_ASSOCIATIONS)
    }
    targets = _values(target_type, ("name", "needs", "industry_chains", "district", "town", "minimum", "maximum"),
                      tenant.id)
    pairings = _values("pairing", ("association", "stage", *TARGET_TYPES), tenant.id)
    cooperated = {int(v) for kind in ("intention", "project")
                  for values in _values(kind, ("pairing",), tenant.id).values() for v in values.get("pairing", ())}

    a_ids, t_ids = list(associations), list(targets)
    a_index, t_index = {a: i for i, a in enumerate(a_ids)}, {t: i for i, t in enumerate(t_ids)}

    def side(records, need_field, chain_field, district_field, town_field):
        n = len(records)
        need_matrix = np.zeros((n, len(needs)), bool)
        chain_matrix = np.zeros((n, max(len(chains), 1)), bool)
        district = np.full(n, -1, np.int64)
        town = np.full(n, -1, np.int64)
        for i, values in enumerate(records):
            for term in values.get(need_field, ()):
                if term in needs:
                    need_matrix[i, needs.index(term)] = True
            for term in values.get(chain_field, ()):
                if term in chains:
                    chain_matrix[i, chains.index(term)] = True
            place = next(iter(values.get(district_field, ())), None)
            if place in districts:
                district[i] = districts.index(place)
                street = next(iter(values.get(town_field, ())), None)
                if street:
                    town[i] = towns.setdefault((place, street), len(towns))
        return need_matrix, chain_matrix, district, town

    a_records = [associations[a] for a in a_ids]
    t_records = [targets[t] for t in t_ids]
    capacity = np.array([int(next(iter(v.get(CAPACITY, ())), 0) or 0) for v in a_records], np.int64)
    minimum = np.array([int(next(iter(v.get("minimum", ())), 0) or 0) for v in t_records], np.int64)
    maximum = np.array([int(next(iter(v.get("maximum", ())), 1) or 0) for v in t_records], np.int64)

    active, history = set(), []
    for pairing_id, values in pairings.items():
        association = next(iter(values.get("association", ())), None)
        target = next(iter(values.get(target_type, ())), None)
        stage = next(iter(values.get("stage", ())), None)
        a = a_index.get(int(association)) if association is not None else None
        if a is not None and stage in ACTIVE_STATES:
            capacity[a] -= 1
        if a is None or target is None or int(target) not in t_index:
            continue
        t = t_index[int(target)]
        if stage in ACTIVE_STATES:
            maximum[t] -= 1
            minimum[t] -= 1
            active.add((t, a))
        if stage == "已结对" or pairing_id in cooperated:
            history.append((t, a))

    a_side = _side_of(side(a_records, OFFERS, "industry_chain", DISTRICT, TOWN), a_ids,
                     np.zeros(len(a_ids), np.int64), np.maximum(capacity, 0))
    t_side = _side_of(side(t_records, "needs", "industry_chains", "district", "town"), t_ids,
                     np.maximum(minimum, 0), np.maximum(maximum, 0))
    problem = engine.Problem(a_side, t_side, engine.Problem.history_of(history, len(t_ids), len(a_ids)))
    return Loaded(
        problem,
        {a: str(next(iter(associations[a].get("name", ())), "")) for a in a_ids},
        {t: str(next(iter(targets[t].get("name", ())), "")) for t in t_ids},
        active, needs, chains,
    )


def _side_of(parts, ids, low, high) -> engine.Side:
    needs, chains, district, town = parts
    return engine.Side(np.array(ids, np.int64), needs, chains, district, town, low, high)


def as_decimal(value: float) -> decimal.Decimal:
    """A score as stored on a pairing: two decimals."""
    return decimal.Decimal(f"{value:.2f}")
