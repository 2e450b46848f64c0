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

from zoo.boundary import public
from zoo.errors import PluginError, ZooError
from zoo.plugins import PluginInfo, make_plugin_manager, report_plugin_problem
from zoo.specs import ArchitectureSpec, CheckpointSpec, ComponentSpec

# hook name -> (expected spec type, attribute of Registry that stores it)
_COLLECTED: dict[str, tuple[type, str]] = {
    "register_architectures": (ArchitectureSpec, "architectures"),
    "register_checkpoints": (CheckpointSpec, "checkpoints"),
    "register_losses": (ComponentSpec, "losses"),
    "register_metrics": (ComponentSpec, "metrics"),
    "register_stylizers": (ComponentSpec, "stylizers"),
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
    stylizers: dict[str, ComponentSpec] = field(default_factory=dict)  # image-to-image family -> style learner
    # "family dcgan" -> the distributions that all registered it: the name is withheld, nothing else is
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    withheld_checkpoints: dict[str, str] = field(default_factory=dict)  # checkpoint -> its contested family

    def conflict_error(self, name: str) -> ZooError | None:
        """The one-line error for using a contested name (or a checkpoint of a contested family), else None."""
        fix = "uninstall one, or set ZOO_DISABLE_PLUGINS to one of them"
        family = self.withheld_checkpoints.get(name)
        if family is not None:
            owners = " and ".join(sorted(self.conflicts[f"family {family}"]))
            return ZooError(f"{name!r} is a checkpoint of family {family!r}, which {owners} both register: {fix}")
        for kind in ("family", "checkpoint"):
            owners = self.conflicts.get(f"{kind} {name}")
            if owners:
                return ZooError(
                    f"{kind} name {name!r} is registered by {' and '.join(sorted(owners))}, so neither is used: {fix}"
                )
        return None

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
        raise self.conflict_error(name) or ZooError(
            f"unknown model {name!r}.{self.suggest(name)} Run 'zoo list' to see every model."
        )

    def architecture(self, family: str) -> ArchitectureSpec:
        """The architecture registered as ``family``, or a ZooError with suggestions."""
        if family not in self.architectures:
            raise self.conflict_error(family) or ZooError(
                f"unknown family {family!r}.{self.suggest(family, self.architectures)} Run 'zoo list'."
            )
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
            returned = impl.function(register=register)
        except Exception as exc:  # noqa: BLE001 - foreign code; reported by name below
            report_plugin_problem(
                info,
                f"raised in {hook_name} ({type(exc).__name__}: {exc})",
                f"its {attribute} were skipped; fix the plugin or set ZOO_DISABLE_PLUGINS={info.name}",
            )
            continue
        if returned is not None:
            report_plugin_problem(
                info,
                f"returned a {type(returned).__name__} from {hook_name} instead of calling register(spec); "
                "what it returned was not registered",
                f"call register(...) once per {spec_type.__name__} inside the hook and return nothing",
            )
        by_distribution = {other.distribution: other for other in info_by_name.values()}
        for spec in batch:
            _add(registry, table, attribute, spec, info, by_distribution)


_KIND = {
    "architectures": "family",
    "checkpoints": "checkpoint",
    "losses": "loss",
    "metrics": "metric",
    "stylizers": "stylizer",
}


def _add(
    registry: Registry,
    table: dict[str, Any],
    attribute: str,
    spec: Any,
    info: PluginInfo,
    by_distribution: dict[str, PluginInfo],
) -> None:
    """Register ``spec`` unless its name is taken: then the name is withheld from both, loudly, and nothing else."""
    key = f"{_KIND[attribute]} {spec.name}"
    owners = registry.conflicts.get(key)
    if spec.name not in table and owners is None:
        table[spec.name] = spec
        return
    if owners is None:
        owners = registry.conflicts[key] = [table.pop(spec.name).plugin]
    owners.append(spec.plugin)
    for earlier in owners[:-1]:  # zoo plugins shows the conflict on every side; one warning is enough
        if earlier in by_distribution:
            by_distribution[earlier].errors.append(f"its {key!r} is also registered by {spec.plugin}: withheld")
    report_plugin_problem(
        info,
        f"registers the {key!r} that {' and '.join(owners[:-1])} also registers, so neither is used",
        "uninstall one, or set ZOO_DISABLE_PLUGINS to one of them; every other model still works",
    )


def _check_links(registry: Registry, info_by_distribution: dict[str, PluginInfo]) -> None:
    """Drop checkpoints whose family is unknown and warn about dangling default checkpoints."""
    for name, checkpoint in list(registry.checkpoints.items()):
        if f"family {checkpoint.family}" in registry.conflicts:
            del registry.checkpoints[name]  # its architecture is ambiguous: the name says so when used
            registry.withheld_checkpoints[name] = checkpoint.family
        elif checkpoint.family not in registry.architectures:
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


@public
def list_models(pattern: str = "*", *, family: str | None = None) -> list[str]:
    """Names of families and checkpoints matching a shell-style wildcard ``pattern``."""
    from zoo import arguments

    arguments.text(pattern, "pattern", "dcgan*")
    if family is not None:
        arguments.text(family, "family", "dcgan")
    registry = get_registry()
    if family is not None:
        registry.architecture(family)  # an unknown family is the same one-line error as 'zoo list --family'
    names = []
    for name in registry.model_names():
        spec_family = registry.checkpoints[name].family if name in registry.checkpoints else name
        if fnmatch.fnmatchcase(name, pattern) and (family is None or spec_family == family):
            names.append(name)
    return names
