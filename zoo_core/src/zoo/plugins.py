"""The entry-point loop: which plugins are imported, in what order, and what happens when one breaks.

We own this loop instead of ``pm.load_setuptools_entrypoints`` so that allow/deny lists apply
*before* anything is imported and a broken plugin costs a warning, not the whole zoo.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

import pluggy

from zoo import hookspecs
from zoo.default_plugins import DEFAULT_PLUGINS
from zoo.errors import PluginError, ZooWarning, warn

ENTRY_POINT_GROUP = "gan_zoo"
CORE_DISTRIBUTION = "zoo-core"


class PluginWarning(ZooWarning):
    """A plugin was skipped; the message names it and says how to fix or silence it."""


@dataclass
class PluginInfo:
    """What ``zoo plugins`` reports about one plugin."""

    name: str
    distribution: str
    version: str
    module: str
    hooks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    api: int | None = None
    registered_as: str = ""
    disabled: bool = False  # deselected by ZOO_LOAD_PLUGINS / ZOO_DISABLE_PLUGINS: listed, never imported


def strict_plugins() -> bool:
    """``ZOO_STRICT_PLUGINS=1`` turns plugin warnings into errors (for plugin authors and CI)."""
    return os.environ.get("ZOO_STRICT_PLUGINS", "").strip().lower() in ("1", "true", "yes")


def _env_names(variable: str) -> set[str] | None:
    """Comma-separated names from an environment variable, or None when it is unset."""
    value = os.environ.get(variable)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def report_plugin_problem(info: PluginInfo, problem: str, fix: str) -> None:
    """Record a plugin's failure and warn in one line, or raise under ZOO_STRICT_PLUGINS=1."""
    message = f"plugin {info.name!r} ({info.distribution}) {problem}: {fix}"
    info.errors.append(problem)
    if strict_plugins():
        raise PluginError(message)
    warn(message, PluginWarning)


def _selected(entry_point: EntryPoint, allow: set[str] | None, deny: set[str]) -> bool:
    """Apply ZOO_LOAD_PLUGINS / ZOO_DISABLE_PLUGINS by entry-point or distribution name."""
    names = {entry_point.name, entry_point.dist.name if entry_point.dist else ""}
    if names & deny:
        return False
    return allow is None or bool(names & allow)


def _warn_unknown_names(installed: Sequence[EntryPoint], allow: set[str] | None, deny: set[str]) -> None:
    """A name in ZOO_LOAD_PLUGINS / ZOO_DISABLE_PLUGINS that matches no plugin is most likely a typo: say so."""
    known = {ep.name for ep in installed} | {ep.dist.name for ep in installed if ep.dist}
    for variable, names in (("ZOO_LOAD_PLUGINS", allow or set()), ("ZOO_DISABLE_PLUGINS", deny)):
        for name in sorted(names - known):
            plugins = ", ".join(sorted(ep.name for ep in installed))
            message = f"{variable} names {name!r}, which is no installed plugin: installed are {plugins}"
            if strict_plugins():
                raise PluginError(message)
            warn(message, PluginWarning)


def _hook_names(module: ModuleType | object) -> list[str]:
    """The hooks a plugin module implements, in declaration order of the hookspecs."""
    return [name for name in vars(hookspecs) if name.startswith("register_") and callable(getattr(module, name, None))]


def load_plugins(pm: pluggy.PluginManager, autoload: bool = True) -> list[PluginInfo]:
    """Register the core's default plugins, then every selected entry point; return their infos."""
    from zoo.version import __version__

    infos: list[PluginInfo] = []
    for module_name in DEFAULT_PLUGINS:
        module = importlib.import_module(module_name)
        info = PluginInfo(module_name.rsplit(".", 1)[-1], CORE_DISTRIBUTION, __version__, module_name)
        info.hooks = _hook_names(module)
        info.registered_as = f"{CORE_DISTRIBUTION}:{info.name}"
        pm.register(module, name=info.registered_as)
        infos.append(info)
    if not autoload:
        return infos
    allow, deny = _env_names("ZOO_LOAD_PLUGINS"), _env_names("ZOO_DISABLE_PLUGINS") or set()
    installed = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    _warn_unknown_names(installed, allow, deny)
    seen: set[str] = set()
    for entry_point in installed:
        if entry_point.name in seen:
            continue
        seen.add(entry_point.name)
        dist = entry_point.dist
        info = PluginInfo(
            entry_point.name, dist.name if dist else "?", dist.version if dist else "?", entry_point.value
        )
        infos.append(info)
        if not _selected(entry_point, allow, deny):
            info.disabled = True
            continue
        try:
            module = entry_point.load()
        except Exception as exc:  # noqa: BLE001 - any failure of foreign code must not break the zoo
            report_plugin_problem(
                info,
                f"failed to import ({type(exc).__name__}: {exc})",
                f"skipped; reinstall or upgrade it, or set ZOO_DISABLE_PLUGINS={entry_point.name}",
            )
            continue
        info.hooks = _hook_names(module)
        info.api = getattr(module, "ZOO_PLUGIN_API", None)
        info.registered_as = entry_point.name
        pm.register(module, name=entry_point.name)
    return infos


def register_extra(pm: pluggy.PluginManager, plugin: object, name: str, distribution: str) -> PluginInfo:
    """Register an in-memory plugin object (tests, notebooks) as if a distribution provided it."""
    info = PluginInfo(name, distribution, "0", getattr(plugin, "__name__", type(plugin).__name__))
    info.hooks = _hook_names(plugin)
    info.api = getattr(plugin, "ZOO_PLUGIN_API", None)
    info.registered_as = name
    pm.register(plugin, name=name)
    return info


def make_plugin_manager(
    autoload: bool = True, extra: Sequence[tuple[str, object]] = ()
) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """A plugin manager with the zoo's hookspecs, the entry-point plugins (if ``autoload``) and ``extra``."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    infos = load_plugins(pm, autoload=autoload)
    infos += [register_extra(pm, plugin, name, name) for name, plugin in extra]
    return pm, infos
