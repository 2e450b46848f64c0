"""zoo.testing itself: isolation, temporary registration, and that its checks catch broken plugins."""

from __future__ import annotations

import types

import pytest
import zoo
from torch import nn
from zoo import ArchitectureSpec, hookimpl
from zoo.interfaces import Generator
from zoo.registry import get_registry
from zoo.testing import check_architecture


class FlatGenerator(Generator):
    """Broken on purpose: returns images outside [-1, 1]."""

    def __init__(self, resolution: int = 8) -> None:
        super().__init__(z_dim=4, resolution=resolution)
        self.linear = nn.Linear(4, 3 * resolution * resolution)

    def forward(self, z, y=None):
        return self.linear(z).view(-1, 3, self.resolution, self.resolution) * 100 + 5


def _plugin(name: str) -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def register_architectures(register):
        register(
            ArchitectureSpec(
                name=name,
                task="unconditional-image-generation",
                generator=f"{__name__}:FlatGenerator",
                default_config={"resolution": 8},
            )
        )

    module.register_architectures = register_architectures
    return module


def test_isolated_registry_loads_no_installed_plugin(zoo_isolated_registry):
    with zoo_isolated_registry(_plugin("flat-gan")) as registry:
        assert set(registry.architectures) == {"flat-gan"}
        assert zoo.list_models() == ["flat-gan"]
        assert "bce" in registry.losses  # the core's defaults are always there
    assert "dcgan" in zoo.list_models()


def test_registered_plugin_adds_to_installed_ones(zoo_registered_plugin):
    with zoo_registered_plugin(_plugin("flat-gan")):
        assert {"dcgan", "flat-gan"} <= set(zoo.list_models())
    assert "flat-gan" not in get_registry().architectures


def test_conformance_check_catches_out_of_range_images(zoo_registered_plugin):
    with zoo_registered_plugin(_plugin("flat-gan")), pytest.raises(AssertionError, match=r"\[-1, 1\]"):
        check_architecture("flat-gan")
