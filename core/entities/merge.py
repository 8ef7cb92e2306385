"""A form save that meets a newer version: a three-way merge over the revision history.

The form carries the version its values were read from (the base). The base's data
comes from that version's revision, so the server knows, field by field, who changed
what: a field only the other person changed is taken over, a field only this user
changed is kept, and a field both changed to different values is the user's to decide.
A value the user did not change is never written back, however often they press 保存.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from .definitions import EntityType, Field
from .fields import clean_input
from .forms import CONFIRM, display
from .models import Entity, EntityRevision

#: The form's name of the version the user's input was read from, once the merge panel was shown
#: (``version`` is then the version the panel showed). No field name starts with "_".
BASE = "_base"
#: The form's name of a both-changed field's decision: ``_merge_<field>`` = THEIRS or MINE.
DECISION = "_merge_"
THEIRS, MINE = "theirs", "mine"


@dataclasses.dataclass(frozen=True)
class Change:
    """One save since the base: who, when, and the labels of the fields it changed."""

    by_name: str
    at: Any
    labels: list[str]


@dataclasses.dataclass(frozen=True)
class Merge:
    """The outcome of comparing base → mine and base → theirs for every field."""

    #: Changed only by others since the base: their values stand.
    theirs: list[Field]
    #: Changed only by this user: their input is kept.
    mine: list[Field]
    #: Changed by both, to different values: the user picks one of the two.
    both: list[Field]
    #: The saves made since the base, oldest first.
    changes: list[Change]

    def changes_to_save(self, raw: dict[str, Any], decisions: dict[str, str]) -> dict[str, Any] | None:
        """The input to lay over the current record: the user's own changes and the
        both-changed fields they chose to keep; None while any of those is undecided."""
        if any(decisions.get(field.name) not in (THEIRS, MINE) for field in self.both):
            return None
        kept = {field.name for field in self.mine}
        kept |= {field.name for field in self.both if decisions[field.name] == MINE}
        return {key: value for key, value in raw.items() if key in kept or key == CONFIRM}


def three_way(entity_type: EntityType, entity: Entity, revisions: list[EntityRevision], base_version: int,
              raw: dict[str, Any]) -> Merge:
    """Compare the form's input ``raw`` (read from ``base_version``) and the record as it
    is now with the base, field by field. A base the history does not hold (a forged
    version) counts as empty: every differing field is then the user's to decide."""
    base_revision = next((r for r in revisions if r.version == base_version), None)
    base = (base_revision.after or {}) if base_revision is not None else None
    mine_input = clean_input(entity_type, {k: v for k, v in raw.items() if entity_type.field(k) is not None})
    theirs, mine, both = [], [], []
    for field in entity_type.fields:
        if field.name not in mine_input:
            continue
        current = _seen(field, entity.data.get(field.name))
        input_ = _seen(field, mine_input[field.name])
        if base is None:
            (both if input_ != current else mine).append(field)
            continue
        was = _seen(field, base.get(field.name))
        they_changed, i_changed = current != was, input_ != was
        if they_changed and i_changed and input_ != current:
            both.append(field)
        elif they_changed and not i_changed:
            theirs.append(field)
        elif i_changed and not they_changed:
            mine.append(field)
    changes = [
        Change(r.by_name, r.at, [f.label for f in entity_type.fields
                                 if _seen(f, (r.before or {}).get(f.name)) != _seen(f, (r.after or {}).get(f.name))])
        for r in revisions if r.version > base_version
    ]
    return Merge(theirs, mine, both, changes)


def _seen(field: Field, value: Any) -> str:
    """A value as the form shows it: "300" typed and 300 stored are the same value."""
    return display(field, value)
