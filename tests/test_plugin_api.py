"""Plugin API versioning and the loss hook, checked in-process through the isolated registry."""

from __future__ import annotations

import json
import types

import pytest
import zoo
from click.testing import CliRunner
from zoo import ComponentSpec, hookimpl
from zoo.cli.listing import plugins_command


def _plugin(name: str, api: int | None) -> types.ModuleType:
    """A throwaway plugin module that registers one loss and declares ``api``."""
    module = types.ModuleType(name)

    @hookimpl
    def register_losses(register):  # type: ignore[no-untyped-def]
        register(ComponentSpec(f"{name}-loss", "zoo.losses:LeastSquaresLoss"))

    module.register_losses = register_losses  # type: ignore[attr-defined]
    if api is not None:
        module.ZOO_PLUGIN_API = api  # type: ignore[attr-defined]
    return module


def test_register_losses_adds_a_loss(zoo_isolated_registry) -> None:  # type: ignore[no-untyped-def]
    with zoo_isolated_registry(_plugin("extra_loss", zoo.PLUGIN_API)) as registry:
        assert "extra_loss-loss" in registry.losses


def test_plugins_flags_a_plugin_built_for_another_api(zoo_isolated_registry) -> None:  # type: ignore[no-untyped-def]
    with zoo_isolated_registry(_plugin("future_plugin", zoo.PLUGIN_API + 1), _plugin("current_plugin", None)):
        json_rows = {r["name"]: r for r in json.loads(CliRunner().invoke(plugins_command, ["--json"]).output)}
        table = CliRunner().invoke(plugins_command, []).output
    assert json_rows["future_plugin"]["api_ok"] is False
    assert json_rows["current_plugin"]["api_ok"] is True
    line = next(line for line in table.splitlines() if line.startswith("future_plugin"))
    assert f"built for plugin API {zoo.PLUGIN_API + 1}, zoo has {zoo.PLUGIN_API}" in line


def test_builder_that_does_not_import_names_the_plugin(zoo_isolated_registry) -> None:  # type: ignore[no-untyped-def]
    module = types.ModuleType("ghost_plugin")

    @hookimpl
    def register_architectures(register):  # type: ignore[no-untyped-def]
        register(
            zoo.ArchitectureSpec(
                name="ghost-gan", task="unconditional-image-generation", generator="zoo_ghost_missing.model:Generator"
            )
        )

    module.register_architectures = register_architectures  # type: ignore[attr-defined]
    with zoo_isolated_registry(module):
        with pytest.raises(
            zoo.ZooError, match=r"zoo_ghost_missing.*does not import.*reinstall or upgrade the plugin 'ghost_plugin'"
        ):
            zoo.build("ghost-gan")
