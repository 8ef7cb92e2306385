"""An imported record-type definition is checked whole (issue 17, item 7, last bullet).

A 5,000-deep file once ended in a RecursionError (500); a label that was a number or
``max_length: "abc"`` was accepted and then made every create of the type fail. Now a
file is refused with a Chinese message naming what is wrong, or accepted, and then a
record of the type can be created and listed: a fixed-seed fuzz of definitions holds
every import to that.
"""
from __future__ import annotations

import io
import json
import random

import pytest

from core.entities.record_types import FORMAT
from tests.core.test_record_types import errors_of

TITLE = {"name": "title", "label": "标题", "kind": "text", "required": True, "indexed": True, "listed": True,
         "max_length": 200}
BASE = {
    "format": FORMAT, "name": "fuzzed", "label": "巡检类型", "title_field": "title",
    "fields": [
        TITLE,
        {"name": "amount", "label": "金额", "kind": "money", "minimum": 0, "maximum": 1000},
        {"name": "category", "label": "类别", "kind": "choice", "choices": ["甲", "乙"], "required": True, "indexed": True},
        {"name": "headcount", "label": "人数", "kind": "integer", "default": 3, "indexed": True},
        {"name": "note", "label": "备注", "kind": "long_text", "max_length": 500},
        {"name": "held_on", "label": "日期", "kind": "date"},
    ],
    "states": [{"name": "已报送"}, {"name": "已办结", "final": True}],
    "transitions": [{"name": "step_1", "label": "办结", "sources": ["已报送"], "target": "已办结", "roles": ["admin"]}],
    "reports": [{"name": "report_1", "title": "按类别", "group_by": "category", "measure": "count", "chart": "bar"}],
}
FIELD_KEYS = ("name", "label", "kind", "required", "default", "help", "indexed", "choices", "target", "max_length",
              "minimum", "maximum", "listed", "vocabulary", "bogus")
TOP_KEYS = ("label", "description", "icon", "colour", "nav_order", "title_field", "fields", "retired_fields", "states",
            "transitions", "reports", "retired", "format", "bogus")
#: Kinds a fuzzed field may take; a record of any of them can be filed over the API with no
#: other record or upload (references and files are the designer's and the files' tests).
KINDS = ("text", "long_text", "integer", "decimal", "money", "date", "boolean", "choice", "multi_choice", "tags",
         "uscc", "phone")
POOL = (None, "", "abc", "²", "甲", -1, 0, 1, 7, 10**30, 1.5, float("nan"), True, False, [], {}, ["甲"], [1],
        {"a": 1}, "a" * 300, "甲\x00乙", "2026-13-01", "12.9")
VALUES = {"text": "甲", "long_text": "甲", "date": "2026-01-01", "boolean": True, "tags": ["甲"],
          "uscc": "51370100MJH200395R", "phone": "13800138000"}
CASES = 120


def upload(client, document: str, name: str = "type.json"):
    return client.post("/jinan/admin/types/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(document.encode()), name)})


def test_a_deeply_nested_file_is_refused_with_a_message(app, login_client):
    deep = '{"name": "deep", "label": "深", "fields": ' + "[" * 5000 + "]" * 5000 + "}"
    refused = upload(login_client("jinan", "admin"), deep)
    assert refused.status_code == 422
    assert errors_of(refused) == {"file": "文件嵌套超过 8 层，不是泉汇导出的记录类型定义"}


def title(**changes) -> dict:
    return {"fields": [{**TITLE, **changes}, *BASE["fields"][1:]]}


def added(field: dict) -> dict:
    return {"fields": [*BASE["fields"], field]}


@pytest.mark.parametrize(("change", "message"), [
    ({"label": 3}, "记录类型定义有误：label 应为文字"),
    ({"label": "例\x00会"}, "记录类型定义有误：label 不能含控制字符"),
    (title(label="标\x0b题"), "记录类型定义有误：fields 第 1 项的 label 不能含控制字符"),
    (title(max_length="abc"), "记录类型定义有误：fields 第 1 项的 max_length 应为整数"),
    (title(label=["标题"]), "记录类型定义有误：fields 第 1 项的 label 应为文字"),
    (added({"name": "x", "label": "某项", "kind": "formula"}), "记录类型定义有误：fields 第 7 项的 kind 不是可用的字段类型"),
    (title(max_length=99999), "字段「标题」（title）：最多字数需为 1 到 200 之间的整数"),
    (added({"name": "n", "label": "数", "kind": "integer", "default": "abc"}), "字段「数」（n）：默认值不合适:请输入整数"),
])
def test_a_definition_that_would_refuse_every_record_is_refused(app, login_client, change, message):
    refused = upload(login_client("jinan", "admin"), json.dumps({**BASE, **change}))
    assert refused.status_code == 422
    assert errors_of(refused) == {"file": message}


def test_fuzzed_definitions_are_refused_with_a_message_or_take_records(app, login_client, api_client):
    admin, api = login_client("jinan", "admin"), api_client("jinan", "editor")
    rng = random.Random(17)
    outcomes = {"refused": 0, "accepted": 0}
    for number in range(CASES):
        definition = fuzzed(rng, f"fuzzed_{number}")
        response = upload(admin, json.dumps(definition))
        assert response.status_code in (303, 422), (definition, response.status_code)
        if response.status_code == 422:
            assert errors_of(response).get("file"), definition
            outcomes["refused"] += 1
            continue
        outcomes["accepted"] += 1
        stored = response.headers["Location"].rsplit("/", 1)[-1]
        filed = api.post(f"/api/v1/jinan/entities/{stored}", json=record_for(definition))
        assert filed.status_code == 201, (definition, filed.get_data(as_text=True))
        assert api.get(f"/api/v1/jinan/entities/{stored}").json["total"] == 1, definition
    assert min(outcomes.values()) >= CASES // 20, outcomes


def fuzzed(rng: random.Random, name: str) -> dict:
    """The base definition with one to three things changed at random."""
    definition = json.loads(json.dumps({**BASE, "name": name}))
    for _ in range(rng.randint(1, 3)):
        fields = definition.get("fields")
        where = rng.random()
        if where < 0.15:
            definition[rng.choice(TOP_KEYS)] = rng.choice(POOL)
        elif not isinstance(fields, list) or not fields:
            continue
        elif where < 0.3:
            fields[rng.randrange(len(fields))] = rng.choice(POOL)
        elif where < 0.5:
            field = rng.choice(fields)
            if isinstance(field, dict):
                field["kind"] = rng.choice(KINDS)
                field["required"] = rng.random() < 0.5
        else:
            field = rng.choice(fields)
            if isinstance(field, dict):
                field[rng.choice(FIELD_KEYS)] = rng.choice(POOL)
    return definition


def record_for(definition: dict) -> dict:
    """A value every live field of an accepted definition takes."""
    record = {}
    for field in definition["fields"]:
        kind = field.get("kind", "text")
        if kind in ("choice", "multi_choice"):
            record[field["name"]] = field["choices"][0] if kind == "choice" else field["choices"][:1]
        elif kind in ("integer", "decimal", "money"):
            bounds = [b for b in (field.get("minimum"), field.get("maximum")) if b is not None]
            record[field["name"]] = bounds[0] if bounds else 0
        else:
            record[field["name"]] = VALUES[kind]
    return record
