"""Everything the plugins registered, attributed to its distribution, and name resolution.

Importing this module never imports torch: specs are plain data plus builder strings.
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pluggy

from zoo.errors import PluginError, ZooError
from zoo.plugins import PluginInfo, make_plugin_manager, report_plugin_problem
from zoo.specs import ArchitectureSpec, CheckpointSpec, ComponentSpec

# hook name -> (expected spec type, attribute of Registry that stores it)
_COLLECTED: dict[str, tuple[type, str]] = {
    "register_architectures": (ArchitectureSpec, "architectures"),
    "register_checkpoints": (CheckpointSpec, "checkpoints"),
    "register_losses": (ComponentSpec, "losses"),
    "register_metrics": (ComponentSpec, "metrics"),
}


@dataclass
class Registry:
    """Specs by name, the plugin manager that produced them, and what each plugin reported."""

    pm: pluggy.PluginManager
    plugins: list[PluginInfo]
    architectures: dict[str, ArchitectureSpec] = field(default_factory=dict)
    checkpoints: dict[str, CheckpointSpec] = field(default_factory=dict)
    losses: dict[str, ComponentSpec] = field(default_factory=dict)
    metrics: dict[str, ComponentSpec] = field(default_factory=dict)

    def model_names(self) -> list[str]:
        """Family names and checkpoint names, sorted: everything ``zoo.load`` accepts by name."""
        return sorted(set(self.architectures) | set(self.checkpoints))

    def suggest(self, name: str, candidates: Iterable[str] | None = None) -> str:
        """A ' Did you mean …?' hint with the closest names, or an empty string."""
        pool = list(candidates if candidates is not None else self.model_names())
        close = difflib.get_close_matches(name, pool, n=3, cutoff=0.5)
        close += [c for c in pool if name and name in c and c not in close][: 3 - len(close)]
        return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""

    def resolve(self, name: str) -> tuple[ArchitectureSpec, CheckpointSpec | None]:
        """Map a family or checkpoint name to its architecture and (default) checkpoint."""
        if name in self.checkpoints:
            checkpoint = self.checkpoints[name]
            return self.architectures[checkpoint.family], checkpoint
        if name in self.architectures:
            arch = self.architectures[name]
            return arch, self.checkpoints.get(arch.default_checkpoint or "")
        raise ZooError(f"unknown model {name!r}.{self.suggest(name)} Run 'zoo list' to see every model.")

    def architecture(self, family: str) -> ArchitectureSpec:
        """The architecture registered as ``family``, or a ZooError with suggestions."""
        if family not in self.architectures:
            raise ZooError(f"unknown family {family!r}.{self.suggest(family, self.architectures)} Run 'zoo list'.")
        return self.architectures[family]

    def component(self, kind: str, name: str) -> ComponentSpec:
        """A loss or metric by name; unknown names list the valid ones."""
        table: dict[str, ComponentSpec] = getattr(self, kind)
        if name not in table:
            raise ZooError(f"unknown {kind[:-1]} {name!r}: choose one of {', '.join(sorted(table))}")
        return table[name]


def _collect(registry: Registry, hook_name: str, info_by_name: dict[str, PluginInfo]) -> None:
    """Call one hook plugin by plugin, so a failure or a duplicate is attributed to its plugin."""
    spec_type, attribute = _COLLECTED[hook_name]
    table: dict[str, Any] = getattr(registry, attribute)
    hook = getattr(registry.pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):  # pluggy keeps registration order reversed
        info = info_by_name[impl.plugin_name]
        batch: list[Any] = []

        def register(spec: Any, _batch: list[Any] = batch, _distribution: str = info.distribution) -> None:
            if not isinstance(spec, spec_type):
                raise ZooError(f"{hook_name} must register {spec_type.__name__} objects, got {type(spec).__name__}")
            _batch.append(replace(spec, plugin=_distribution))

        try:
            impl.function(register=register)
        except Exception as exc:  # noqa: BLE001 - foreign code; reported by name below
            report_plugin_problem(
                info,
                f"raised in {hook_name} ({type(exc).__name__}: {exc})",
                f"its {attribute} were skipped; fix the plugin or set ZOO_DISABLE_PLUGINS={info.name}",
            )
            continue
        for spec in batch:
            if spec.name in table:
                other = table[spec.name].plugin
                raise PluginError(
                    f"{attribute[:-1]} name {spec.name!r} is registered by both {other} and {spec.plugin}: "
                    f"uninstall one, or set ZOO_DISABLE_PLUGINS to one of them"
                )
            table[spec.name] = spec


def _check_links(registry: Registry, info_by_distribution: dict[str, PluginInfo]) -> None:
    """Drop checkpoints whose family is unknown and warn about dangling default checkpoints."""
    for name, checkpoint in list(registry.checkpoints.items()):
        if checkpoint.family not in registry.architectures:
            del registry.checkpoints[name]
            report_plugin_problem(
                info_by_distribution[checkpoint.plugin],
                f"registered checkpoint {name!r} of unknown family {checkpoint.family!r}",
                "install the plugin that provides the family",
            )
    if any(name in registry.architectures for name in registry.checkpoints):
        clash = sorted(set(registry.architectures) & set(registry.checkpoints))
        raise PluginError(f"names {clash} are used both as a family and as a checkpoint: rename one of them")


def build_registry(autoload: bool = True, extra: Sequence[tuple[str, object]] = ()) -> Registry:
    """Load plugins (entry points if ``autoload``, plus ``extra`` (name, object) pairs) and collect their specs."""
    pm, infos = make_plugin_manager(autoload, extra)
    registry = Registry(pm=pm, plugins=infos)
    info_by_name = {info.registered_as: info for info in infos if info.registered_as}
    for hook_name in _COLLECTED:
        _collect(registry, hook_name, info_by_name)
    _check_links(registry, {info.distribution: info for info in infos})
    return registry


_OVERRIDES: list[Registry] = []


@functools.lru_cache(maxsize=1)
def _installed_registry() -> Registry:
    return build_registry()


def get_registry() -> Registry:
    """The process-wide registry, built on first use (or the one ``use_registry`` put in place)."""
    return _OVERRIDES[-1] if _OVERRIDES else _installed_registry()


@contextlib.contextmanager
def use_registry(registry: Registry) -> Iterator[Registry]:
    """Make ``registry`` the process-wide one inside the block (how zoo.testing isolates tests)."""
    _OVERRIDES.append(registry)
    try:
        yield registry
    finally:
        _OVERRIDES.remove(registry)


def reset_registry() -> None:
    """Forget the cached registry (tests, and after installing a plugin at run time)."""
    _installed_registry.cache_clear()


def list_models(pattern: str = "*", *, family: str | None = None) -> list[str]:
    """Names of families and checkpoints matching a shell-style wildcard ``pattern``."""
    registry = get_registry()
    names = []
    for name in registry.model_names():
        spec_family = registry.checkpoints[name].family if name in registry.checkpoints else name
        if fnmatch.fnmatchcase(name, pattern) and (family is None or spec_family == family):
            names.append(name)
    return names
