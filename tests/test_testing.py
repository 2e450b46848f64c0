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


class LabelBlindGenerator(Generator):
    """Broken on purpose: declares classes, never looks at the labels."""

    def __init__(self, resolution: int = 8, num_classes: int = 3) -> None:
        super().__init__(z_dim=4, resolution=resolution, num_classes=num_classes)
        self.linear = nn.Linear(4, 3 * resolution * resolution)

    def forward(self, z, y=None):
        return self.linear(z).tanh().view(-1, 3, self.resolution, self.resolution)


class TanhGenerator(LabelBlindGenerator):
    """Unconditional and in range: fine for an unconditional spec, wrong for a conditional one."""

    def __init__(self, resolution: int = 8) -> None:
        super().__init__(resolution=resolution, num_classes=0)


def _spec_plugin(name: str, generator: str, task: str, config: dict) -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def register_architectures(register):
        register(ArchitectureSpec(name=name, task=task, generator=f"{__name__}:{generator}", default_config=config))

    module.register_architectures = register_architectures
    return module


@pytest.mark.parametrize(
    ("generator", "task", "config", "message"),
    [
        ("TanhGenerator", "class-conditional-image-generation", {"resolution": 8}, "has num_classes=0"),
        ("LabelBlindGenerator", "class-conditional-image-generation", {"resolution": 8}, "ignore the labels"),
        ("LabelBlindGenerator", "unconditional-image-generation", {"resolution": 8}, "declare the conditional task"),
    ],
)
def test_conformance_catches_a_task_its_generator_does_not_implement(
    zoo_registered_plugin, generator, task, config, message
):
    with zoo_registered_plugin(_spec_plugin("odd-gan", generator, task, config)):
        with pytest.raises(AssertionError, match=message):
            check_architecture("odd-gan", train=False)


def test_conformance_catches_a_plugin_built_for_another_api_and_names_a_hook_that_returned(tmp_path, monkeypatch):
    from zoo.registry import reset_registry
    from zoo.testing import check_plugin, check_plugin_api

    (tmp_path / "zoo_other_api.py").write_text("ZOO_PLUGIN_API = 99\n")
    (tmp_path / "zoo_returner.py").write_text(
        "from zoo import ArchitectureSpec, hookimpl\nZOO_PLUGIN_API = 1\n\n@hookimpl\n"
        "def register_architectures(register):\n"
        "    return ArchitectureSpec(name='lost-gan', task='unconditional-image-generation', generator='a.b:C')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(AssertionError, match="ZOO_PLUGIN_API is 99, this zoo's plugin API is 1"):
        check_plugin_api("zoo_other_api")
    reset_registry()
    with pytest.warns(zoo.plugins.PluginWarning), pytest.raises(AssertionError, match="instead of calling register"):
        check_plugin("zoo_returner")
    reset_registry()
