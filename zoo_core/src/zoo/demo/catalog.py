"""What the demo offers, read from the registry: no model is named here, so a new plugin's models appear by
themselves (generators in Generate and Explore, image-to-image models in Translate, styles in Stylize).
"""

from __future__ import annotations

import functools
import shlex
from dataclasses import dataclass, field
from typing import Any

from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.specs import ArchitectureSpec, CheckpointSpec, ComponentSpec, import_object

TASK_IMAGE_TO_IMAGE = "image-to-image"
TASK_CONDITIONAL = "class-conditional-image-generation"


@dataclass(frozen=True)
class Catalog:
    """The checkpoints whose weights are on this machine, sorted by what the page can do with them."""

    generators: tuple[str, ...]
    translators: tuple[str, ...]
    styles: dict[str, str] = field(hash=False)
    """Style label ('candy') -> checkpoint: image-to-image checkpoints of families with a registered stylizer."""
    stylizers: dict[str, ComponentSpec] = field(hash=False)
    """Family -> its stylizer (learns a style from an uploaded style image), from ``register_stylizers``."""
    style_based: tuple[str, ...] = ()
    """Generators that can mix styles (their generator is a zoo.interfaces.StyleGenerator)."""
    truncatable: tuple[str, ...] = ()
    """Generators that take a truncation ψ (their generator has ``truncated``)."""

    @property
    def first_generator(self) -> str | None:
        """What the Generate tab shows first: the first unconditional family's default checkpoint, if any."""
        registry = get_registry()
        for arch in sorted(registry.architectures.values(), key=lambda a: a.name):
            if arch.task != TASK_CONDITIONAL and arch.default_checkpoint in self.generators:
                return arch.default_checkpoint
        return self.generators[0] if self.generators else None

    @property
    def checkpoints(self) -> tuple[str, ...]:
        """Every checkpoint the page can show a card for."""
        return tuple(sorted({*self.generators, *self.translators}))

    def require(self, name: Any, among: tuple[str, ...], what: str) -> str:
        """``name`` if it is one of ``among``: the page never loads a path or an arbitrary name from a request."""
        if not isinstance(name, str) or name not in among:
            shown = name if isinstance(name, str) and len(name) <= 60 else f"{str(name)[:60]}…"
            raise ZooError(f"{shown!r} is not one of this demo's {what}: choose one from the list")
        return name


def _weights_here(spec: CheckpointSpec) -> bool:
    """True when the checkpoint loads without the network (bundled, or already in the Hub cache)."""
    from zoo.hub.pull import local_weights

    return not spec.unpublished and local_weights(spec) is not None


def _generator_class(arch: ArchitectureSpec) -> type | None:
    """The family's generator class (imports the plugin's model module), or None if it does not import."""
    try:
        cls = import_object(arch.generator, arch.plugin)
    except ZooError:
        return None
    return cls if isinstance(cls, type) else None


def build_catalog() -> Catalog:
    """Sort every registered checkpoint with local weights by task and capability."""
    from zoo.interfaces import StyleGenerator

    registry = get_registry()
    usable = {name: spec for name, spec in sorted(registry.checkpoints.items()) if _weights_here(spec)}
    stylizers = dict(sorted(registry.stylizers.items()))
    generators, translators, styles, style_based, truncatable = [], [], {}, [], []
    for name, spec in usable.items():
        arch = registry.architectures[spec.family]
        if arch.task == TASK_IMAGE_TO_IMAGE:
            translators.append(name)
            if spec.family in stylizers:
                styles[name.removeprefix(f"{spec.family}-")] = name
            continue
        generators.append(name)
        cls = _generator_class(arch)
        if cls is not None and issubclass(cls, StyleGenerator):
            style_based.append(name)
        if cls is not None and callable(getattr(cls, "truncated", None)):
            truncatable.append(name)
    return Catalog(tuple(generators), tuple(translators), styles, stylizers, tuple(style_based), tuple(truncatable))


@functools.lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The catalog of this process (the registry does not change while the demo runs)."""
    return build_catalog()


def card_markdown(name: str) -> str:
    """The model card panel: what the checkpoint is, its licence, its metrics and how it was trained."""
    registry = get_registry()
    spec = registry.checkpoints[name]
    arch = registry.architectures[spec.family]
    lines = [
        f"### {spec.name}",
        "",
        f"**Family** `{spec.family}` ({arch.paper or 'no paper recorded'}) · **task** {arch.task} · "
        f"**resolution** {spec.resolution} px · **licence** `{spec.license}` · **plugin** {spec.plugin or '-'}",
        "",
        f"**Data**: {spec.dataset}",
    ]
    if spec.classes:
        lines += ["", f"**Classes**: {', '.join(spec.classes)}"]
    lines += _metrics_tables(spec.metrics) or ["", "No metrics recorded on the card."]
    if spec.train_command:
        lines += ["", "**Trained with**", "", "```bash", spec.train_command, "```"]
    elif spec.source:
        lines += ["", f"**Weights from**: {spec.source}"]
    lines += ["", "```bash", f"zoo info {shlex.quote(spec.name)}   # the whole card", "```"]
    return "\n".join(lines)


def _metrics_tables(metrics: Any, title: str = "Metrics") -> list[str]:
    """The card's metrics as Markdown tables with their protocol; a nested group (other features) gets its own."""
    if not isinstance(metrics, dict):
        return []
    values = {k: v for k, v in metrics.items() if k != "protocol" and not isinstance(v, dict)}
    lines = ["", f"**{title}**", "", "| metric | value |", "|---|---|"] if values else []
    lines += [f"| {key} | {value} |" for key, value in sorted(values.items())]
    if values and "protocol" in metrics:
        lines += ["", f"*Protocol*: {metrics['protocol']}"]
    for key, group in sorted(metrics.items()):
        if isinstance(group, dict):
            lines += _metrics_tables(group, f"Metrics ({key})")
    return lines
