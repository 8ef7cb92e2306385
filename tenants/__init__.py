"""The tenant tree, loaded from a TOML file.

The tenants are Jinan and its districts and counties. Their codes and names
follow the national division list (GB/T 2260), which changes over the years, so
the tree lives in ``jinan.toml`` as data: a change to the list is a change to
that file, not to code. This module reads the file and refuses a bad one with
the line at fault; it never touches the database.
"""

from __future__ import annotations

import datetime
import heapq
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

__all__ = [
    "DEFAULT_TREE",
    "LEVELS",
    "RESERVED_SLUGS",
    "TenantFileError",
    "TenantNode",
    "TenantTree",
    "load_tree",
]

DEFAULT_TREE = Path(__file__).with_name("jinan.toml")

LEVELS = frozenset({"city", "district", "county", "zone", "street"})

# The web app uses these as top-level URL segments, so no tenant may take them.
RESERVED_SLUGS = frozenset(
    {"api", "static", "login", "logout", "healthz", "admin", "account", "vendor"}
)

CODE_LENGTHS = (6, 9, 12)
SLUG_PATTERN = re.compile(r"[a-z][a-z0-9-]{1,39}")
CODE_PATTERN = re.compile(r"[0-9]+")

_TOP_KEYS = ("source", "as_of", "tenant")
_NODE_KEYS = ("code", "name", "slug", "level", "parent")
_REQUIRED_NODE_KEYS = ("code", "name", "slug", "level")

_TENANT_HEADER = re.compile(r"^\s*\[\[\s*tenant\s*\]\]")
_ANY_HEADER = re.compile(r"^\s*\[")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")

_TYPE_NAMES: dict[type, str] = {
    str: "字符串",
    bool: "布尔值",
    int: "整数",
    float: "浮点数",
    list: "数组",
    dict: "表",
    datetime.datetime: "日期时间",
    datetime.date: "日期",
    datetime.time: "时间",
}


@dataclass(frozen=True)
class TenantNode:
    code: str
    name: str
    slug: str
    level: str
    parent: str | None
    line: int


@dataclass(frozen=True)
class TenantTree:
    source: str
    as_of: datetime.date
    nodes: tuple[TenantNode, ...]

    @property
    def root(self) -> TenantNode:
        """The one node without a parent."""
        (root,) = (node for node in self.nodes if node.parent is None)
        return root

    def by_slug(self, slug: str) -> TenantNode:
        """The node with this slug; KeyError if there is none."""
        for node in self.nodes:
            if node.slug == slug:
                return node
        raise KeyError(slug)

    def children(self, slug: str) -> tuple[TenantNode, ...]:
        """The direct children of the node with this slug, in file order."""
        return tuple(node for node in self.nodes if node.parent == slug)

    def ordered(self) -> tuple[TenantNode, ...]:
        """All nodes, parents before children, otherwise in file order."""
        waiting: dict[str | None, list[int]] = {}
        for position, node in enumerate(self.nodes):
            waiting.setdefault(node.parent, []).append(position)
        ready = list(waiting.get(None, []))
        heapq.heapify(ready)
        result: list[TenantNode] = []
        while ready:
            node = self.nodes[heapq.heappop(ready)]
            result.append(node)
            for child in waiting.get(node.slug, []):
                heapq.heappush(ready, child)
        if len(result) != len(self.nodes):
            raise ValueError("tenant tree has a cycle or an unknown parent")
        return tuple(result)


class TenantFileError(Exception):
    """A tenant file that cannot be loaded, with the line at fault if known."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, fault: str):
        self.path = os.fspath(path)
        self.line = line
        self.fault = fault
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {fault}")

    def __reduce__(self) -> tuple[type[TenantFileError], tuple[str, int | None, str]]:
        return (type(self), (self.path, self.line, self.fault))


def load_tree(path: str | os.PathLike[str]) -> TenantTree:
    """Read and check the tenant tree in the TOML file at ``path``."""
    return _Loader(path).load()


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _key_pattern(key: str) -> re.Pattern[str]:
    name = re.escape(key)
    return re.compile(rf"""^\s*(?:{name}|"{name}"|'{name}')\s*=""")


class _Loader:
    def __init__(self, path: str | os.PathLike[str]):
        self.path = path
        self.lines: list[str] = []

    def fail(self, line: int | None, fault: str) -> TenantFileError:
        return TenantFileError(self.path, line, fault)

    def load(self) -> TenantTree:
        text = self.read()
        self.lines = text.split("\n")
        document = self.parse(text)
        for key in document:
            if key not in _TOP_KEYS:
                raise self.fail(
                    self.top_key_line(key),
                    f"未知的顶层键 {key!r}，只允许 {', '.join(_TOP_KEYS)}",
                )
        source = self.source(document)
        as_of = self.as_of(document)
        tables = self.tenant_tables(document)
        nodes = tuple(self.node(table, start) for table, start in tables)
        self.check_unique(nodes, "code")
        self.check_unique(nodes, "slug")
        self.check_tree(nodes)
        return TenantTree(source=source, as_of=as_of, nodes=nodes)

    def read(self) -> str:
        try:
            data = Path(self.path).read_bytes()
        except OSError as err:
            raise self.fail(None, f"无法读取租户文件：{err.strerror or err}") from err
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise self.fail(line, "租户文件不是 UTF-8 编码") from err

    def parse(self, text: str) -> dict[str, object]:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            message = str(err)
            position = _TOML_POSITION.search(message)
            if position:
                line: int | None = int(position.group(1))
                column = f"（第 {position.group(2)} 列）"
                message = message[: position.start()]
            elif _TOML_AT_END.search(message):
                line = text.rstrip("\n").count("\n") + 1
                column = "（文件末尾）"
                message = _TOML_AT_END.sub("", message)
            else:
                line, column = None, ""
            raise self.fail(line, f"TOML 语法错误{column}：{message}") from err

    # --- where things are in the raw text (tomllib gives no positions) ---

    def top_key_line(self, key: str) -> int | None:
        pattern = _key_pattern(key)
        for number, text in enumerate(self.lines, start=1):
            if _ANY_HEADER.match(text):
                break
            if pattern.match(text):
                return number
        return None

    def tenant_header_lines(self) -> list[int]:
        return [
            number
            for number, text in enumerate(self.lines, start=1)
            if _TENANT_HEADER.match(text)
        ]

    def key_line(self, start: int, key: str) -> int:
        """The line of ``key`` in the table whose header is on line ``start``."""
        pattern = _key_pattern(key)
        for number in range(start + 1, len(self.lines) + 1):
            text = self.lines[number - 1]
            if _ANY_HEADER.match(text):
                break
            if pattern.match(text):
                return number
        return start

    # --- top level ---

    def source(self, document: dict[str, object]) -> str:
        if "source" not in document:
            raise self.fail(None, "缺少顶层键 source（行政区划名单的出处）")
        source = document["source"]
        if not isinstance(source, str) or not source.strip():
            raise self.fail(
                self.top_key_line("source"),
                f"source 必须是非空字符串，实际是{_type_name(source)} {source!r}",
            )
        return source

    def as_of(self, document: dict[str, object]) -> datetime.date:
        if "as_of" not in document:
            raise self.fail(None, "缺少顶层键 as_of（所依据名单的日期，如 2023-12-31）")
        as_of = document["as_of"]
        if type(as_of) is not datetime.date:
            raise self.fail(
                self.top_key_line("as_of"),
                f"as_of 必须是不带引号、不带时间的 TOML 日期（如 2023-12-31），"
                f"实际是{_type_name(as_of)} {as_of!r}",
            )
        return as_of

    def tenant_tables(
        self, document: dict[str, object]
    ) -> list[tuple[dict[str, object], int]]:
        tenants = document.get("tenant", [])
        if not isinstance(tenants, list) or not all(
            isinstance(table, dict) for table in tenants
        ):
            raise self.fail(
                self.top_key_line("tenant") or self.first_header_line("tenant"),
                f"tenant 必须是 [[tenant]] 表数组，实际是{_type_name(tenants)}",
            )
        if not tenants:
            raise self.fail(None, "没有任何 [[tenant]]：租户树至少要有根节点")
        starts = self.tenant_header_lines()
        if len(starts) != len(tenants):
            raise self.fail(
                self.top_key_line("tenant"),
                "每个租户都要写成单独的 [[tenant]] 表，不能写成行内数组",
            )
        return list(zip(tenants, starts))

    def first_header_line(self, name: str) -> int | None:
        pattern = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]")
        for number, text in enumerate(self.lines, start=1):
            if pattern.match(text):
                return number
        return None

    # --- one [[tenant]] table ---

    def node(self, table: dict[str, object], start: int) -> TenantNode:
        for key in table:
            if key not in _NODE_KEYS:
                raise self.fail(
                    self.key_line(start, key),
                    f"[[tenant]] 中有未知的键 {key!r}，只允许 {', '.join(_NODE_KEYS)}",
                )
        for key in _REQUIRED_NODE_KEYS:
            if key not in table:
                raise self.fail(start, f"[[tenant]] 缺少键 {key}")
        for key in _NODE_KEYS:
            if key in table and not isinstance(table[key], str):
                value = table[key]
                raise self.fail(
                    self.key_line(start, key),
                    f"{key} 必须是字符串，实际是{_type_name(value)} {value!r}",
                )
        code = str(table["code"])
        name = str(table["name"])
        slug = str(table["slug"])
        level = str(table["level"])
        parent = table.get("parent")
        if not CODE_PATTERN.fullmatch(code) or len(code) not in CODE_LENGTHS:
            raise self.fail(
                self.key_line(start, "code"),
                f"code {code!r} 不是区划代码：必须是 6 位数字（街道等更深层级可用 9 位或 12 位）",
            )
        if not name.strip():
            raise self.fail(self.key_line(start, "name"), f"name {name!r} 不能为空")
        if not SLUG_PATTERN.fullmatch(slug):
            raise self.fail(
                self.key_line(start, "slug"),
                f"slug {slug!r} 不合格式：须以小写字母开头，只含小写字母、数字和连字符，长 2 到 40 个字符",
            )
        if slug in RESERVED_SLUGS:
            raise self.fail(
                self.key_line(start, "slug"),
                f"slug {slug!r} 已被网站用作顶层网址，不能用作租户",
            )
        if level not in LEVELS:
            raise self.fail(
                self.key_line(start, "level"),
                f"level {level!r} 无效，只允许 {', '.join(sorted(LEVELS))}",
            )
        if parent == slug:
            raise self.fail(
                self.key_line(start, "parent"), f"parent {parent!r} 不能是节点自己"
            )
        return TenantNode(
            code=code,
            name=name,
            slug=slug,
            level=level,
            parent=None if parent is None else str(parent),
            line=start,
        )

    # --- the nodes together ---

    def check_unique(self, nodes: tuple[TenantNode, ...], key: str) -> None:
        seen: dict[str, TenantNode] = {}
        for node in nodes:
            value = getattr(node, key)
            earlier = seen.setdefault(value, node)
            if earlier is not node:
                raise self.fail(
                    self.key_line(node.line, key),
                    f"{key} {value!r} 重复：第 {earlier.line} 行的 [[tenant]]"
                    f"（{earlier.name}）已经用了",
                )

    def check_tree(self, nodes: tuple[TenantNode, ...]) -> None:
        by_slug = {node.slug: node for node in nodes}
        for node in nodes:
            if node.parent is not None and node.parent not in by_slug:
                raise self.fail(
                    self.key_line(node.line, "parent"),
                    f"parent {node.parent!r} 不是任何节点的 slug",
                )
        roots = [node for node in nodes if node.parent is None]
        if not roots:
            raise self.fail(None, "没有根节点：须恰有一个 [[tenant]] 不写 parent")
        if len(roots) > 1:
            first, second = roots[0], roots[1]
            raise self.fail(
                second.line,
                f"根节点不止一个：{second.slug!r} 和第 {first.line} 行的 "
                f"{first.slug!r} 都没有 parent",
            )
        reaches_root = {roots[0].slug}
        for node in nodes:
            path: list[str] = []
            slug: str | None = node.slug
            while slug not in reaches_root:
                assert slug is not None  # only the root has no parent
                if slug in path:
                    self.fail_cycle([by_slug[s] for s in path[path.index(slug) :]])
                path.append(slug)
                slug = by_slug[slug].parent
            reaches_root.update(path)

    def fail_cycle(self, cycle: list[TenantNode]) -> NoReturn:
        first = min(range(len(cycle)), key=lambda i: cycle[i].line)
        slugs = [node.slug for node in cycle[first:] + cycle[:first]]
        raise self.fail(
            self.key_line(cycle[first].line, "parent"),
            f"parent 形成了环：{' → '.join(slugs + slugs[:1])}",
        )
