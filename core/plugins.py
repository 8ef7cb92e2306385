"""Plugin discovery, metadata, compatibility, and the per-tenant hook relay.

Every installed plugin is registered with one pluggy manager per app. Which of them
run for a tenant is decided per request (see :mod:`core.plugin_state`); a
:class:`HookRelay` then calls only those plugins' implementations. Relays are cached
per enabled set, so the cost of a request is a dictionary look-up.
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from . import __version__, hookspecs

logger = logging.getLogger(__name__)

hookimpl = pluggy.HookimplMarker("quanhui")

ENTRY_POINT_GROUP = "quanhui"
LEVELS = ("city", "district")
#: Plugins that ship inside the quanhui distribution.
BUNDLED = (
    "core.builtin", "core.directory",
    "plugins.coverage", "plugins.rectification", "plugins.matching", "plugins.think_tank",
)
#: Plugin names are URL segments after the tenant; these are the core's own.
RESERVED_NAMES = frozenset({"admin", "account", "api", "entities", "reports", "static"})
#: No double underscore: names with one belong to types built in the browser (``t7__meeting``).
NAME = re.compile(r"^[a-z](?!.*__)[a-z0-9_]{1,39}$")


@dataclasses.dataclass(frozen=True)
class PluginMeta:
    """What a plugin says about itself, as the module attribute ``meta``."""

    name: str
    title: str
    version: str
    description: str = ""
    #: The tenant tiers it serves: "city", "district", or both.
    levels: tuple[str, ...] = LEVELS
    #: Names of plugins that must be enabled wherever this one is.
    requires: tuple[str, ...] = ()
    #: The core versions it supports, as a PEP 440 specifier.
    core: str = ">=0.1"
    #: Always on in every tenant; not listed as something to toggle.
    always_on: bool = False

    def serves(self, tier: str) -> bool:
        return tier in self.levels


@dataclasses.dataclass
class InstalledPlugin:
    """A plugin found at start-up, whether or not it could be loaded."""

    name: str
    source: str
    status: str  # "loaded", "failed" or "incompatible"
    meta: PluginMeta | None = None
    obj: Any = None
    error: str = ""

    @property
    def loaded(self) -> bool:
        return self.status == "loaded"


@dataclasses.dataclass(frozen=True)
class HookOutcome:
    """One plugin's answer to a hook called with :meth:`HookRelay.each`."""

    plugin: str
    value: Any = None
    error: Exception | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


class PluginRegistry:
    """The plugins installed in one app and the pluggy manager that holds them."""

    def __init__(self, extra: Iterable[Any] = ()):
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, InstalledPlugin] = {}
        self._relays: dict[frozenset[str], HookRelay] = {}
        self._lock = threading.Lock()
        for module_name in BUNDLED:
            self._load(module_name, "quanhui", lambda name=module_name: importlib.import_module(name))
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            source = entry_point.dist.name if entry_point.dist else entry_point.value
            self._load(entry_point.name, source, entry_point.load)
        for obj in extra:
            if isinstance(obj, str):
                self._load(obj, "extra", lambda name=obj: importlib.import_module(name))
            else:
                self._load(getattr(obj, "__name__", repr(obj)), "extra", lambda obj=obj: obj)

    def _load(self, label: str, source: str, load) -> None:
        try:
            obj = load()
        except Exception as exc:  # a broken plugin must not stop the platform
            logger.exception("plugin %s failed to load", label)
            self._add(InstalledPlugin(label, source, "failed", error=f"导入失败:{type(exc).__name__}: {exc}"))
            return
        meta = getattr(obj, "meta", None)
        if not isinstance(meta, PluginMeta):
            self._add(InstalledPlugin(label, source, "failed", obj=obj, error="缺少插件元数据 meta(core.api.PluginMeta)"))
            return
        if meta.name in self.plugins and self.plugins[meta.name].obj is obj:
            return
        refusal = _compatibility_problem(meta) or self._conflict(meta)
        if refusal:
            logger.error("plugin %s refused: %s", meta.name, refusal)
            self._add(InstalledPlugin(meta.name, source, "incompatible", meta=meta, obj=obj, error=refusal))
            return
        self.pm.register(obj, name=meta.name)
        self._add(InstalledPlugin(meta.name, source, "loaded", meta=meta, obj=obj))

    def _conflict(self, meta: PluginMeta) -> str:
        if meta.name in self.plugins:
            return f"插件名 {meta.name} 已被 {self.plugins[meta.name].source} 使用"
        return ""

    def _add(self, plugin: InstalledPlugin) -> None:
        self.plugins.setdefault(plugin.name, plugin)

    @property
    def loaded(self) -> list[InstalledPlugin]:
        return [p for p in self.plugins.values() if p.loaded]

    def meta(self, name: str) -> PluginMeta | None:
        plugin = self.plugins.get(name)
        return plugin.meta if plugin and plugin.loaded else None

    def always_on(self) -> frozenset[str]:
        return frozenset(p.name for p in self.loaded if p.meta.always_on)

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.plugins.get(name)
        if not plugin or not plugin.loaded:
            return []
        return sorted(caller.name for caller in self.pm.get_hookcallers(plugin.obj) or ())

    def each(self, hook_name: str, **kwargs) -> list[HookOutcome]:
        """Call a hook on every loaded plugin, one at a time, catching each failure."""
        return self.relay(frozenset(p.name for p in self.loaded)).each(hook_name, **kwargs)

    def relay(self, enabled: frozenset[str]) -> HookRelay:
        relay = self._relays.get(enabled)
        if relay is None:
            with self._lock:
                relay = self._relays.setdefault(enabled, HookRelay(self, enabled))
        return relay

    def call_one(self, name: str, hook_name: str, **kwargs) -> Any:
        """Call a hook on one plugin only (lifecycle hooks); exceptions propagate."""
        return self.relay(frozenset({name})).__getattr__(hook_name)(**kwargs)


class HookRelay:
    """The hooks of one set of enabled plugins.

    ``relay.quanhui_x(...)`` is pluggy's subset caller: normal pluggy semantics, an
    exception propagates. ``relay.each("quanhui_x", ...)`` calls each implementation on
    its own and reports failures per plugin, for parts of a page that must not take
    the page down.
    """

    def __init__(self, registry: PluginRegistry, enabled: frozenset[str]):
        self.enabled = enabled
        self._pm = registry.pm
        self._excluded = [p.obj for p in registry.loaded if p.name not in enabled]
        self._impls: dict[str, list] = {}

    def _enabled_impls(self, hook_name: str) -> list:
        """The enabled plugins' implementations, in call order; worked out once per hook,
        so a request costs the same with 6 plugins installed or 50."""
        found = self._impls.get(hook_name)
        if found is None:
            hook = getattr(self._pm.hook, hook_name)
            found = self._impls[hook_name] = [i for i in reversed(hook.get_hookimpls()) if i.plugin_name in self.enabled]
        return found

    def __getattr__(self, hook_name: str):
        if not hook_name.startswith("quanhui_"):
            raise AttributeError(hook_name)
        caller = self._pm.subset_hook_caller(hook_name, self._excluded)
        setattr(self, hook_name, caller)
        return caller

    def each(self, hook_name: str, **kwargs) -> list[HookOutcome]:
        outcomes = []
        for impl in self._enabled_impls(hook_name):
            arguments = {name: kwargs[name] for name in impl.argnames if name in kwargs}
            try:
                value = impl.function(**arguments)
            except Exception as exc:
                logger.exception("hook %s of plugin %s failed", hook_name, impl.plugin_name)
                outcomes.append(HookOutcome(impl.plugin_name, error=exc))
            else:
                outcomes.append(HookOutcome(impl.plugin_name, value))
        return outcomes


def _compatibility_problem(meta: PluginMeta) -> str:
    if not NAME.match(meta.name) or meta.name in RESERVED_NAMES:
        return f"插件名 {meta.name!r} 不可用:需为小写字母开头的字母、数字、下划线(不连用两个下划线),且不是 {', '.join(sorted(RESERVED_NAMES))}"
    try:
        supported = SpecifierSet(meta.core)
    except InvalidSpecifier:
        return f"core 版本要求 {meta.core!r} 无法解析"
    if Version(__version__) not in supported:
        return f"需要 quanhui core {meta.core},当前为 {__version__}"
    unknown_levels = set(meta.levels) - set(LEVELS)
    if unknown_levels:
        return f"未知的层级 {sorted(unknown_levels)}(可用:city、district)"
    return ""
