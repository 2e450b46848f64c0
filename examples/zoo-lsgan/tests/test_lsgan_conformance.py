"""The example plugin passes the same conformance checks as any third-party plugin."""

import contextlib

import zoo_lsgan
from zoo.registry import get_registry
from zoo.testing import check_plugin, registered_plugin


def test_lsgan_plugin_conforms() -> None:
    check_plugin("zoo_lsgan")


def test_recipe_uses_the_core_lsgan_loss() -> None:
    installed = "lsgan-tiny" in get_registry().architectures
    with contextlib.nullcontext() if installed else registered_plugin(zoo_lsgan):
        registry = get_registry()
        assert registry.architecture("lsgan-tiny").recipes["default"]["loss"] == "lsgan"
        assert "lsgan" in registry.losses
