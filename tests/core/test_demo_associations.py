"""Specifications for the deterministic association demo data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from core.demo.associations import (
    CATEGORIES,
    DEPARTMENTS,
    DIVISIONS,
    INDUSTRY_CHAINS,
    STATUSES,
    SUPERVISORS,
    TAGS,
    city_associations,
    district_associations,
)
from core.entities.uscc import describe, validate

KEYS = {
    "name", "uscc", "category", "supervisor", "industry_department", "industry_chain",
    "registered_on", "legal_representative", "member_count", "address", "contact_phone",
    "status", "tags",
}
PHONE = re.compile(r"^(1[3-9]\d{9}|0531-\d{8})$")
DISTRICT_NAMES = [name for _, name in DIVISIONS.values()]


@pytest.fixture(scope="module")
def city():
    return city_associations()


def test_vocabulary():
    assert len(INDUSTRY_CHAINS) == 14 and len(set(INDUSTRY_CHAINS)) == 14
    for chain in ("新一代信息技术", "高端装备", "新材料", "生物医药与大健康", "现代金融",
                  "商贸物流", "文化旅游", "科技服务", "绿色低碳", "现代农业"):
        assert chain in INDUSTRY_CHAINS
    assert CATEGORIES == ("行业协会", "商会", "异地商会", "其他")
    assert STATUSES == ("正常", "整改中", "注销", "撤销")
    assert 10 <= len(DEPARTMENTS) <= 14 and len(set(DEPARTMENTS)) == len(DEPARTMENTS)
    assert all(d.startswith("济南市") for d in DEPARTMENTS)
    assert set(DEPARTMENTS) <= set(SUPERVISORS)


def test_city_count_names_and_codes(city):
    assert len(city) == 338
    assert len({a["name"] for a in city}) == 338
    assert len({a["uscc"] for a in city}) == 338
    for a in city:
        assert set(a) == KEYS
        result = validate(a["uscc"])
        assert result.ok, (a["name"], a["uscc"], result.messages)
        assert result.organisation_check_ok
        assert a["uscc"][:8] == "51370100"
        assert describe(a["uscc"]).label == "民政 · 社会团体"
        assert a["name"].startswith("济南市")


def test_city_field_values(city):
    for a in city:
        assert a["category"] in CATEGORIES
        assert a["industry_chain"] in INDUSTRY_CHAINS
        assert a["industry_department"] in DEPARTMENTS
        assert a["supervisor"] is None or a["supervisor"] in SUPERVISORS
        assert a["status"] in STATUSES
        day = dt.date.fromisoformat(a["registered_on"])
        assert dt.date(1990, 1, 1) <= day <= dt.date(2024, 12, 31)
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", a["legal_representative"])
        assert isinstance(a["member_count"], int) and a["member_count"] > 0
        assert PHONE.match(a["contact_phone"]), a["contact_phone"]
        assert a["address"].startswith("济南市")
        assert any(d in a["address"] for d in DISTRICT_NAMES)
        assert re.search(r"\d+号", a["address"])
        assert len(a["tags"]) <= 3 and len(set(a["tags"])) == len(a["tags"])
        assert set(a["tags"]) <= set(TAGS)
        if a["category"] == "商会":
            assert a["name"].endswith("商会")
        if a["category"] == "异地商会":
            assert a["name"].endswith("商会")
            assert a["registered_on"] >= "2003"
        if a["category"] == "行业协会":
            assert a["name"].endswith("协会")


def test_city_proportions(city):
    n = len(city)
    counts = Counter(a["category"] for a in city)
    assert set(counts) == set(CATEGORIES)
    assert 0.20 <= (counts["商会"] + counts["异地商会"]) / n <= 0.50
    assert counts["行业协会"] / n > 0.5
    assert counts["其他"] / n < 0.10
    # Since 脱钩 only some associations have a business supervisory unit.
    supervised = sum(a["supervisor"] is not None for a in city)
    assert 0.1 * n <= supervised <= 0.5 * n
    # Mostly normal; nothing deregistered in the current population.
    statuses = Counter(a["status"] for a in city)
    assert statuses["正常"] / n >= 0.9
    assert statuses["注销"] == statuses["撤销"] == 0
    # Member counts skewed: most 30-300, a few over 1000.
    members = [a["member_count"] for a in city]
    assert sum(30 <= m <= 300 for m in members) / n >= 0.7
    assert 1 <= sum(m > 1000 for m in members) <= 0.1 * n
    # Every chain is represented; mobiles and landlines both occur.
    assert {a["industry_chain"] for a in city} == set(INDUSTRY_CHAINS)
    phones = [a["contact_phone"] for a in city]
    assert any(p.startswith("0531-") for p in phones) and any(p.startswith("1") for p in phones)
    assert any(a["tags"] for a in city) and any(not a["tags"] for a in city)


def test_examples_of_realistic_names(city):
    names = {a["name"] for a in city}
    pattern = re.compile(r"^济南市[\u4e00-\u9fff]+(协会|商会|促进会|联合会|研究会|联谊会)$")
    assert all(pattern.match(n) for n in names), [n for n in names if not pattern.match(n)]


@pytest.mark.parametrize("code", sorted(DIVISIONS))
def test_district_sets_carry_their_division(code):
    slug, name = DIVISIONS[code]
    records = district_associations(slug, code, 45)
    assert len(records) == 45
    assert len({a["name"] for a in records}) == 45
    assert len({a["uscc"] for a in records}) == 45
    for a in records:
        assert set(a) == KEYS
        assert validate(a["uscc"]).ok
        assert a["uscc"][:2] == "51"
        assert a["uscc"][2:8] == code
        assert a["name"].startswith(name)
        assert a["address"].startswith(f"济南市{name}")
        assert a["industry_department"].startswith(name)
        assert a["supervisor"] is None or a["supervisor"].startswith(name)
    counts = Counter(a["category"] for a in records)
    assert 0.20 <= (counts["商会"] + counts["异地商会"]) / 45 <= 0.50


def test_district_example_and_unknown_division():
    records = district_associations("lixia", "370102", 120)
    assert all(a["name"].startswith("历下区") for a in records)
    assert not {a["uscc"] for a in records} & {a["uscc"] for a in city_associations()}
    with pytest.raises(ValueError):
        district_associations("somewhere", "379999", 10)
    named = district_associations("somewhere", "379999", 10, name="某某新区")
    assert all(a["uscc"][2:8] == "379999" and a["name"].startswith("某某新区") for a in named)


def test_counts_beyond_vocabulary_are_refused():
    with pytest.raises(ValueError):
        city_associations(5000)
    assert city_associations(0) == []


def test_same_input_same_output():
    assert city_associations() == city_associations()
    assert city_associations(50) == city_associations(50)
    assert district_associations("lixia", "370102", 60) == district_associations("lixia", "370102", 60)
    assert district_associations("lixia", "370102", 60) != district_associations("shizhong", "370103", 60)


def _digest() -> str:
    data = [city_associations(), district_associations("lixia", "370102", 60)]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def test_output_does_not_depend_on_hash_seed():
    root = Path(__file__).resolve().parents[2]
    script = (
        "import hashlib, json\n"
        "from core.demo.associations import city_associations, district_associations\n"
        "data = [city_associations(), district_associations('lixia', '370102', 60)]\n"
        "print(hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest())\n"
    )
    expected = _digest()
    for hash_seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected


def test_vocabulary_matches_the_directory_type():
    """The demo data must load into the directory's entity type (its choice lists included)."""
    directory = pytest.importorskip("core.directory")
    assert INDUSTRY_CHAINS == directory.INDUSTRY_CHAINS
    assert CATEGORIES == directory.CATEGORIES
    assert STATUSES == directory.STATUSES


def test_records_load_through_the_directory_schema(city):
    directory = pytest.importorskip("core.directory")
    fields = pytest.importorskip("core.entities.fields")
    schema = fields.build_schema(directory.ASSOCIATION)
    for record in city + district_associations("lixia", "370102", 80):
        loaded = schema.load(fields.clean_input(directory.ASSOCIATION, record))
        assert loaded["uscc"] == record["uscc"]
