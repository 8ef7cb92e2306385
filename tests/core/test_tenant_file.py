"""The tenant tree file: what jinan.toml holds, and which files the loader refuses."""

from __future__ import annotations

import datetime
import pickle
from pathlib import Path

import pytest

from tenants import (
    DEFAULT_TREE,
    TenantFileError,
    TenantNode,
    TenantTree,
    load_tree,
)

JINAN_DIVISIONS = [
    ("370102", "历下区", "lixia", "district"),
    ("370103", "市中区", "shizhong", "district"),
    ("370104", "槐荫区", "huaiyin", "district"),
    ("370105", "天桥区", "tianqiao", "district"),
    ("370112", "历城区", "licheng", "district"),
    ("370113", "长清区", "changqing", "district"),
    ("370114", "章丘区", "zhangqiu", "district"),
    ("370115", "济阳区", "jiyang", "district"),
    ("370116", "莱芜区", "laiwu", "district"),
    ("370117", "钢城区", "gangcheng", "district"),
    ("370124", "平阴县", "pingyin", "county"),
    ("370126", "商河县", "shanghe", "county"),
]

# A small valid tree. Tests break it with str.replace, which keeps every line
# where it is, so the line numbers in the comments hold for the broken files too.
CITY_AND_DISTRICT = """\
source = "测试"
as_of = 2023-12-31

[[tenant]]
code = "370100"
name = "济南市"
slug = "jinan"
level = "city"

[[tenant]]
code = "370102"
name = "历下区"
slug = "lixia"
level = "district"
parent = "jinan"
"""
# line 4: first [[tenant]]; 5 code; 6 name; 7 slug; 8 level
# line 10: second [[tenant]]; 11 code; 12 name; 13 slug; 14 level; 15 parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tree.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> TenantFileError:
    path = write(tmp_path, text)
    with pytest.raises(TenantFileError) as caught:
        load_tree(path)
    assert caught.value.path == str(path)
    return caught.value


def broken(old: str, new: str) -> str:
    assert CITY_AND_DISTRICT.count(old) == 1, old
    return CITY_AND_DISTRICT.replace(old, new)


# --- the Jinan tree --------------------------------------------------------


def test_the_jinan_tree_has_the_city_and_its_twelve_districts_and_counties():
    tree = load_tree(DEFAULT_TREE)

    assert len(tree.nodes) == 13
    assert (tree.root.code, tree.root.name, tree.root.slug, tree.root.level) == (
        "370100",
        "济南市",
        "jinan",
        "city",
    )
    assert tree.root.parent is None
    assert tree.nodes[0] == tree.root
    assert [
        (node.code, node.name, node.slug, node.level) for node in tree.nodes[1:]
    ] == JINAN_DIVISIONS
    assert all(node.parent == "jinan" for node in tree.nodes[1:])


def test_the_jinan_tree_names_its_source_and_the_date_of_the_division_list():
    tree = load_tree(DEFAULT_TREE)

    assert tree.source == "GB/T 2260 行政区划代码 (国家统计局 2023 年)"
    assert tree.as_of == datetime.date(2023, 12, 31)


def test_each_jinan_node_remembers_the_line_of_its_tenant_table():
    lines = DEFAULT_TREE.read_text(encoding="utf-8").split("\n")

    for node in load_tree(DEFAULT_TREE).nodes:
        assert lines[node.line - 1] == "[[tenant]]"
        assert lines[node.line] == f'code = "{node.code}"'


def test_the_jinan_tree_is_already_in_parent_first_order():
    tree = load_tree(DEFAULT_TREE)

    assert tree.ordered() == tree.nodes
    assert tree.children("jinan") == tree.nodes[1:]
    assert tree.children("lixia") == ()
    assert tree.by_slug("laiwu").name == "莱芜区"


def test_by_slug_raises_key_error_for_an_unknown_slug():
    with pytest.raises(KeyError):
        load_tree(DEFAULT_TREE).by_slug("qingdao")


# --- extra nodes -----------------------------------------------------------


def test_a_development_zone_can_be_added_as_an_extra_node(tmp_path):
    path = write(
        tmp_path,
        CITY_AND_DISTRICT
        + """
[[tenant]]
code = "370176"
name = "济南高新区"
slug = "gaoxin"
level = "zone"
parent = "jinan"

[[tenant]]
code = "370176001"
name = "舜华路街道"
slug = "shunhualu"
level = "street"
parent = "gaoxin"
""",
    )

    tree = load_tree(path)

    zone = tree.by_slug("gaoxin")
    assert zone == TenantNode("370176", "济南高新区", "gaoxin", "zone", "jinan", 17)
    assert tree.by_slug("shunhualu").line == 24
    assert [node.slug for node in tree.children("jinan")] == ["lixia", "gaoxin"]
    assert [node.slug for node in tree.children("gaoxin")] == ["shunhualu"]


@pytest.mark.parametrize("code", ["370102", "370102001", "370102001001"])
def test_codes_may_have_six_nine_or_twelve_digits(tmp_path, code):
    tree = load_tree(write(tmp_path, broken('"370102"', f'"{code}"')))

    assert tree.by_slug("lixia").code == code


def test_ordered_puts_parents_before_children_and_otherwise_keeps_file_order(
    tmp_path,
):
    path = write(
        tmp_path,
        """\
source = "测试"
as_of = 2023-12-31

[[tenant]]
code = "370176001"
name = "舜华路街道"
slug = "shunhualu"
level = "street"
parent = "gaoxin"

[[tenant]]
code = "370102"
name = "历下区"
slug = "lixia"
level = "district"
parent = "jinan"

[[tenant]]
code = "370176"
name = "济南高新区"
slug = "gaoxin"
level = "zone"
parent = "jinan"

[[tenant]]
code = "370100"
name = "济南市"
slug = "jinan"
level = "city"
""",
    )

    tree = load_tree(path)

    assert [node.slug for node in tree.nodes] == ["shunhualu", "lixia", "gaoxin", "jinan"]
    assert [node.slug for node in tree.ordered()] == [
        "jinan",
        "lixia",
        "gaoxin",
        "shunhualu",
    ]
    assert tree.root.slug == "jinan"


# --- the error itself ------------------------------------------------------


def test_the_error_reads_path_line_and_fault():
    error = TenantFileError("tenants/jinan.toml", 7, "slug 'API' 不合格式")

    assert str(error) == "tenants/jinan.toml:7: slug 'API' 不合格式"
    assert (error.path, error.line, error.fault) == (
        "tenants/jinan.toml",
        7,
        "slug 'API' 不合格式",
    )


def test_the_error_without_a_line_reads_path_and_fault():
    assert str(TenantFileError(Path("t.toml"), None, "没有根节点")) == "t.toml: 没有根节点"


def test_the_error_survives_pickling():
    error = pickle.loads(pickle.dumps(TenantFileError("t.toml", 3, "坏了")))

    assert (error.path, error.line, error.fault) == ("t.toml", 3, "坏了")


# --- refused files ---------------------------------------------------------


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(TenantFileError) as caught:
        load_tree(tmp_path / "nowhere.toml")

    assert caught.value.line is None
    assert "无法读取" in caught.value.fault


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "tree.toml"
    path.write_bytes(CITY_AND_DISTRICT.encode("gb18030"))

    with pytest.raises(TenantFileError) as caught:
        load_tree(path)

    assert caught.value.line == 1
    assert "UTF-8" in caught.value.fault


def test_a_toml_syntax_error_is_refused_with_tomllibs_message_and_line(tmp_path):
    error = refusal(tmp_path, broken('name = "历下区"', "name = 历下区"))

    assert error.line == 12
    assert "TOML 语法错误" in error.fault
    assert "Invalid value" in error.fault
    assert "at line" not in error.fault


def test_a_toml_syntax_error_at_the_end_of_the_file_names_the_last_line(tmp_path):
    error = refusal(tmp_path, broken('parent = "jinan"', 'parent = """jinan'))

    assert error.line == 15
    assert "Unterminated string" in error.fault


def test_a_missing_as_of_is_refused(tmp_path):
    error = refusal(tmp_path, broken("as_of = 2023-12-31", ""))

    assert error.line is None
    assert "as_of" in error.fault


@pytest.mark.parametrize(
    "value, shown",
    [
        ('"2023-12-31"', "'2023-12-31'"),
        ("2023-12-31T08:00:00", "2023, 12, 31, 8, 0"),
        ("20231231", "20231231"),
    ],
)
def test_an_as_of_that_is_not_a_date_is_refused(tmp_path, value, shown):
    error = refusal(tmp_path, broken("as_of = 2023-12-31", f"as_of = {value}"))

    assert error.line == 2
    assert "as_of" in error.fault
    assert shown in error.fault


def test_a_missing_source_is_refused(tmp_path):
    error = refusal(tmp_path, broken('source = "测试"', ""))

    assert error.line is None
    assert "source" in error.fault


def test_an_unknown_top_level_key_is_refused(tmp_path):
    error = refusal(tmp_path, broken("as_of = 2023-12-31", "asof = 2023-12-31"))

    assert error.line == 2
    assert "'asof'" in error.fault


def test_a_file_without_any_tenant_is_refused(tmp_path):
    error = refusal(tmp_path, 'source = "测试"\nas_of = 2023-12-31\n')

    assert error.line is None
    assert "[[tenant]]" in error.fault


def test_a_single_tenant_table_instead_of_an_array_is_refused(tmp_path):
    error = refusal(
        tmp_path,
        'source = "测试"\nas_of = 2023-12-31\n\n[tenant]\ncode = "370100"\n',
    )

    assert error.line == 4
    assert "[[tenant]]" in error.fault


def test_an_inline_tenant_array_is_refused(tmp_path):
    error = refusal(
        tmp_path,
        'source = "测试"\nas_of = 2023-12-31\n'
        'tenant = [{code = "370100", name = "济南市", slug = "jinan", level = "city"}]\n',
    )

    assert error.line == 3
    assert "[[tenant]]" in error.fault


@pytest.mark.parametrize(
    "line_text, key",
    [
        ('code = "370102"', "code"),
        ('name = "历下区"', "name"),
        ('slug = "lixia"', "slug"),
        ('level = "district"', "level"),
    ],
)
def test_a_missing_key_is_refused_at_its_tenant_table(tmp_path, line_text, key):
    error = refusal(tmp_path, broken(line_text, ""))

    assert error.line == 10
    assert f"缺少键 {key}" in error.fault


@pytest.mark.parametrize(
    "old, new, line, shown",
    [
        ('code = "370102"', "code = 370102", 11, "整数 370102"),
        ('name = "历下区"', "name = ['历下区']", 12, "数组 ['历下区']"),
        ('slug = "lixia"', "slug = true", 13, "布尔值 True"),
        ('level = "district"', "level = 2", 14, "整数 2"),
        ('parent = "jinan"', "parent = 370100", 15, "整数 370100"),
    ],
)
def test_a_wrongly_typed_key_is_refused_at_its_line(tmp_path, old, new, line, shown):
    error = refusal(tmp_path, broken(old, new))

    assert error.line == line
    assert "必须是字符串" in error.fault
    assert shown in error.fault


def test_an_unknown_key_in_a_tenant_is_refused_at_its_line(tmp_path):
    error = refusal(tmp_path, broken('parent = "jinan"', 'parnet = "jinan"'))

    assert error.line == 15
    assert "'parnet'" in error.fault


def test_an_empty_name_is_refused(tmp_path):
    error = refusal(tmp_path, broken('name = "历下区"', 'name = " "'))

    assert error.line == 12
    assert "name ' '" in error.fault


@pytest.mark.parametrize(
    "code", ["37010", "3701020", "3701020010", "37010a", "３７０１０２", " 370102", ""]
)
def test_a_code_that_is_not_six_nine_or_twelve_digits_is_refused(tmp_path, code):
    error = refusal(tmp_path, broken('"370102"', f'"{code}"'))

    assert error.line == 11
    assert f"code {code!r}" in error.fault
    assert "6 位数字" in error.fault


@pytest.mark.parametrize(
    "slug",
    ["Lixia", "l", "1lixia", "-lixia", "li_xia", "li xia", "历下", "l" + "x" * 40],
)
def test_a_malformed_slug_is_refused(tmp_path, slug):
    error = refusal(tmp_path, broken('slug = "lixia"', f'slug = "{slug}"'))

    assert error.line == 13
    assert f"slug {slug!r}" in error.fault


def test_a_slug_with_a_trailing_newline_is_refused(tmp_path):
    error = refusal(tmp_path, broken('slug = "lixia"', 'slug = "lixia\\n"'))

    assert error.line == 13
    assert "'lixia\\n'" in error.fault


@pytest.mark.parametrize(
    "slug", ["api", "static", "login", "logout", "healthz", "admin", "account", "vendor"]
)
def test_a_slug_the_web_app_uses_as_a_url_segment_is_refused(tmp_path, slug):
    error = refusal(tmp_path, broken('slug = "lixia"', f'slug = "{slug}"'))

    assert error.line == 13
    assert f"slug {slug!r}" in error.fault
    assert "网址" in error.fault


def test_a_slug_that_merely_starts_like_a_reserved_one_is_allowed(tmp_path):
    tree = load_tree(write(tmp_path, broken('slug = "lixia"', 'slug = "admin-lixia"')))

    assert tree.by_slug("admin-lixia").name == "历下区"


def test_a_duplicate_code_is_refused_naming_the_earlier_line(tmp_path):
    error = refusal(tmp_path, broken('code = "370102"', 'code = "370100"'))

    assert error.line == 11
    assert "code '370100'" in error.fault
    assert "第 4 行" in error.fault


def test_a_duplicate_slug_is_refused_naming_the_earlier_line(tmp_path):
    error = refusal(
        tmp_path,
        broken('slug = "lixia"', 'slug = "jinan"').replace(
            'parent = "jinan"', 'parent = "nowhere"'
        ),
    )

    assert error.line == 13
    assert "slug 'jinan'" in error.fault
    assert "第 4 行" in error.fault


def test_an_unknown_level_is_refused(tmp_path):
    error = refusal(tmp_path, broken('level = "district"', 'level = "province"'))

    assert error.line == 14
    assert "level 'province'" in error.fault


def test_an_unknown_parent_is_refused(tmp_path):
    error = refusal(tmp_path, broken('parent = "jinan"', 'parent = "qingdao"'))

    assert error.line == 15
    assert "parent 'qingdao'" in error.fault


def test_a_node_cannot_be_its_own_parent(tmp_path):
    error = refusal(tmp_path, broken('parent = "jinan"', 'parent = "lixia"'))

    assert error.line == 15
    assert "parent 'lixia'" in error.fault


def test_a_cycle_is_refused_at_the_first_node_on_it(tmp_path):
    error = refusal(
        tmp_path,
        CITY_AND_DISTRICT.replace('parent = "jinan"', 'parent = "gaoxin"')
        + """
[[tenant]]
code = "370176"
name = "济南高新区"
slug = "gaoxin"
level = "zone"
parent = "lixia"
""",
    )

    assert error.line == 15
    assert "lixia → gaoxin → lixia" in error.fault


def test_a_tree_without_a_root_is_refused(tmp_path):
    error = refusal(
        tmp_path,
        CITY_AND_DISTRICT.replace('level = "city"', 'level = "city"\nparent = "lixia"'),
    )

    assert error.line is None
    assert "没有根节点" in error.fault


def test_a_tree_with_two_roots_is_refused_naming_both(tmp_path):
    error = refusal(tmp_path, broken('parent = "jinan"', ""))

    assert error.line == 10
    assert "'lixia'" in error.fault
    assert "'jinan'" in error.fault
    assert "第 4 行" in error.fault


def test_a_tree_built_by_hand_with_a_cycle_cannot_be_ordered():
    tree = TenantTree(
        source="测试",
        as_of=datetime.date(2023, 12, 31),
        nodes=(
            TenantNode("370100", "济南市", "jinan", "city", None, 1),
            TenantNode("370102", "历下区", "lixia", "district", "gaoxin", 2),
            TenantNode("370176", "济南高新区", "gaoxin", "zone", "lixia", 3),
        ),
    )

    with pytest.raises(ValueError):
        tree.ordered()
