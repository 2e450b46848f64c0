"""gan-zoo: pretrained GANs and style transfer behind one registry of plugins.

``import zoo`` is cheap: torch is imported only when a model is built or loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoo.errors import ZooError
from zoo.hookspecs import hookimpl
from zoo.registry import get_registry, list_models
from zoo.specs import ArchitectureSpec, CheckpointSpec, ComponentSpec

__version__ = "0.1.0"
PLUGIN_API = 1
"""Version of the hook API; plugins declare the one they target as ``ZOO_PLUGIN_API``."""

__all__ = [
    "PLUGIN_API",
    "ArchitectureSpec",
    "CheckpointSpec",
    "ComponentSpec",
    "ZooError",
    "build",
    "get_registry",
    "hookimpl",
    "list_models",
    "load",
]

if TYPE_CHECKING:
    from zoo.api import build, load


def __getattr__(name: str) -> Any:
    """Import the torch-dependent API on first use only."""
    if name in ("load", "build"):
        from zoo import api

        return getattr(api, name)
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")
