"""The plugin hooks: each receives a ``register`` callback (the llm style), so the core knows
which distribution registered what. Every hook here is permanent public API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PLUGIN_API = 1
"""Version of these hooks (``zoo.PLUGIN_API``); plugins declare the one they target as ``ZOO_PLUGIN_API``."""
PROJECT = "gan_zoo"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_architectures(register: Callable[[Any], None]) -> None:
    """Call ``register(ArchitectureSpec(...))`` once per model family the plugin provides."""


@hookspec
def register_checkpoints(register: Callable[[Any], None]) -> None:
    """Call ``register(CheckpointSpec(...))`` (or ``zoo.cards.checkpoint_from_card(path)``) per checkpoint."""


@hookspec
def register_losses(register: Callable[[Any], None]) -> None:
    """Call ``register(ComponentSpec(name, "module:LossClass"))`` per adversarial loss."""


@hookspec
def register_metrics(register: Callable[[Any], None]) -> None:
    """Call ``register(ComponentSpec(name, "module:MetricClass"))`` per evaluation metric."""


@hookspec
def register_stylizers(register: Callable[[Any], None]) -> None:
    """Call ``register(ComponentSpec(family, "module:function"))`` for an image-to-image family whose checkpoints
    are styles and which can learn a new style from a style image (``zoo demo``'s Stylize tab)."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands or groups to the ``zoo`` command line (``cli`` is its click group)."""
