"""gan-zoo: pretrained GANs and style transfer behind one registry of plugins.

``import zoo`` is cheap: torch is imported only when a model is built or loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoo.errors import ZooError
from zoo.hookspecs import PLUGIN_API, hookimpl
from zoo.registry import get_registry, list_models
from zoo.specs import ArchitectureSpec, CheckpointSpec, ComponentSpec
from zoo.version import __version__

__all__ = [
    "PLUGIN_API",
    "ArchitectureSpec",
    "CheckpointSpec",
    "ComponentSpec",
    "ZooError",
    "build",
    "evaluate",
    "export",
    "get_registry",
    "hookimpl",
    "list_models",
    "load",
    "push",
    "train",
    "translate",
    "__version__",
]

if TYPE_CHECKING:
    from zoo.api import build, load
    from zoo.exporter import export
    from zoo.hub.job import push
    from zoo.metrics.job import evaluate_model as evaluate
    from zoo.training.job import train
    from zoo.translation import translate

# Every core CLI job as a function (the CLI is a thin layer over these), imported on first use only. A plugin's
# command has its function in the plugin's own namespace: the core names no plugin.
_LAZY = {
    "load": ("zoo.api", "load"),
    "build": ("zoo.api", "build"),
    "train": ("zoo.training.job", "train"),
    "evaluate": ("zoo.metrics.job", "evaluate_model"),
    "push": ("zoo.hub.job", "push"),
    "export": ("zoo.exporter", "export"),
    "translate": ("zoo.translation", "translate"),
}


def __getattr__(name: str) -> Any:
    """Import the torch-dependent API on first use only."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")
