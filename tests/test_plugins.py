"""Plugin loading through real entry points: selection, broken plugins, duplicates, strict mode."""

from __future__ import annotations

import json

import pytest
import zoo
from zoo.errors import PluginError, ZooError
from zoo.plugins import PluginWarning
from zoo.registry import get_registry

GOOD_PLUGIN = """
from zoo import ArchitectureSpec, hookimpl

@hookimpl
def register_architectures(register):
    register(ArchitectureSpec(
        name="throwaway-gan", task="unconditional-image-generation",
        generator="zoo_dcgan.model:Generator", default_config={"resolution": 32},
    ))
"""

BROKEN_IMPORT = """
import this_module_does_not_exist
"""

RAISES_IN_HOOK = """
from zoo import hookimpl

@hookimpl
def register_architectures(register):
    raise RuntimeError("boom from the hook")
"""

WRONG_TYPE = """
from zoo import hookimpl

@hookimpl
def register_architectures(register):
    register({"name": "not-a-spec"})
"""

DUPLICATE = """
from zoo import ArchitectureSpec, hookimpl

@hookimpl
def register_architectures(register):
    register(ArchitectureSpec(name="dcgan", task="unconditional-image-generation", generator="x.y:Z"))
"""


def test_installed_plugin_appears_in_zoo_list(zoo_cli, install_plugin):
    site = install_plugin("zoo-throwaway", "zoo_throwaway", GOOD_PLUGIN)
    result = zoo_cli("list", "--json", plugins=[site])
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["throwaway-gan"]["plugin"] == "zoo-throwaway"
    assert "dcgan-cifar10-32" in rows


def test_broken_plugin_is_skipped_with_one_warning(zoo_cli, install_plugin):
    site = install_plugin("zoo-broken", "zoo_broken", BROKEN_IMPORT)
    result = zoo_cli("list", plugins=[site])
    assert result.returncode == 0, result.stderr
    assert "dcgan-cifar10-32" in result.stdout
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 1 and "zoo-broken" in warnings[0] and "ModuleNotFoundError" in warnings[0]
    plugins = json.loads(zoo_cli("plugins", "--json", plugins=[site]).stdout)
    broken = next(p for p in plugins if p["distribution"] == "zoo-broken")
    assert "failed to import" in broken["errors"][0]


def test_strict_mode_turns_a_broken_plugin_into_an_error(zoo_cli, install_plugin, clean_error):
    site = install_plugin("zoo-broken", "zoo_broken", BROKEN_IMPORT)
    clean_error(zoo_cli("list", plugins=[site], env={"ZOO_STRICT_PLUGINS": "1"}), "zoo-broken")


@pytest.mark.parametrize(
    ("dist", "module", "source", "expected"),
    [
        ("zoo-raises", "zoo_raises", RAISES_IN_HOOK, "boom from the hook"),
        ("zoo-wrongtype", "zoo_wrongtype", WRONG_TYPE, "must register ArchitectureSpec"),
    ],
)
def test_plugin_failing_in_a_hook_does_not_break_others(zoo_cli, install_plugin, dist, module, source, expected):
    site = install_plugin(dist, module, source)
    result = zoo_cli("list", plugins=[site])
    assert result.returncode == 0 and "dcgan-cifar10-32" in result.stdout
    assert dist in result.stderr and expected in result.stderr


@pytest.mark.slow
def test_a_duplicate_name_is_withheld_loudly_and_every_other_model_keeps_working(
    zoo_cli, install_plugin, clean_error, tmp_path
):
    """One plugin re-registering 'dcgan' used to make every command fail, unrelated models included."""
    site = install_plugin("zoo-dup", "zoo_dup", DUPLICATE)
    listing = zoo_cli("list", plugins=[site])
    assert listing.returncode == 0, listing.stderr
    warning = [line for line in listing.stderr.splitlines() if line.strip()]
    assert (
        len(warning) == 1 and "zoo-dup" in warning[0] and "zoo-dcgan" in warning[0] and "'family dcgan'" in warning[0]
    )
    row = next(line for line in listing.stdout.splitlines() if line.startswith("dcgan "))
    assert "zoo-dcgan + zoo-dup" in row and "withheld" in row
    assert "wgan-gp-cifar10-32" in listing.stdout
    sampled = zoo_cli("sample", "wgan-gp", "-n", "1", "-o", str(tmp_path / "w.png"), plugins=[site])
    assert sampled.returncode == 0 and (tmp_path / "w.png").is_file(), sampled.stderr
    used = zoo_cli("sample", "dcgan", "-n", "1", "-o", str(tmp_path / "d.png"), plugins=[site])
    assert used.returncode == 2 and "Traceback" not in used.stderr and not (tmp_path / "d.png").exists()
    error = used.stderr.strip().splitlines()[-1]  # after the registry's one warning line
    assert "family name 'dcgan' is registered by zoo-dcgan and zoo-dup" in error and "ZOO_DISABLE_PLUGINS" in error
    checkpoint = zoo_cli("info", "dcgan-cifar10-32", plugins=[site])
    assert checkpoint.returncode == 2 and "Traceback" not in checkpoint.stderr
    error = checkpoint.stderr.strip().splitlines()[-1]
    assert "'dcgan-cifar10-32' is a checkpoint of family 'dcgan'" in error and "zoo-dcgan and zoo-dup" in error
    plugins = json.loads(zoo_cli("plugins", "--json", plugins=[site]).stdout)
    errors = {p["distribution"]: " ".join(p["errors"]) for p in plugins}
    assert "family dcgan" in errors["zoo-dup"] and "family dcgan" in errors["zoo-dcgan"]
    clean_error(zoo_cli("list", plugins=[site], env={"ZOO_STRICT_PLUGINS": "1"}), "zoo-dup", "zoo-dcgan")
    assert zoo_cli("sample", "dcgan", "-n", "1", "-o", str(tmp_path / "d.png"), plugins=[site],
                   env={"ZOO_DISABLE_PLUGINS": "zoo-dup"}).returncode == 0  # fmt: skip


RETURNS_SPEC = """
from zoo import ArchitectureSpec, hookimpl

@hookimpl
def register_architectures(register):
    return ArchitectureSpec(name="lost-gan", task="unconditional-image-generation", generator="x.y:Z")
"""


def test_a_hook_that_returns_its_spec_instead_of_registering_it_is_named_in_a_warning(
    zoo_cli, install_plugin, clean_error
):
    site = install_plugin("zoo-returns", "zoo_returns", RETURNS_SPEC)
    result = zoo_cli("list", plugins=[site])
    assert result.returncode == 0 and "dcgan-cifar10-32" in result.stdout and "lost-gan" not in result.stdout
    assert "returned a ArchitectureSpec from register_architectures instead of calling register(spec)" in result.stderr
    plugins = json.loads(zoo_cli("plugins", "--json", plugins=[site]).stdout)
    assert next(p for p in plugins if p["distribution"] == "zoo-returns")["errors"]
    clean_error(zoo_cli("plugins", plugins=[site], env={"ZOO_STRICT_PLUGINS": "1"}), "instead of calling register")


def test_a_disabled_plugin_is_listed_as_disabled(zoo_cli):
    result = zoo_cli("plugins", env={"ZOO_DISABLE_PLUGINS": "sagan"})
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("sagan "))
    assert "disabled" in row
    rows = json.loads(zoo_cli("plugins", "--json", env={"ZOO_DISABLE_PLUGINS": "sagan"}).stdout)
    assert next(r for r in rows if r["name"] == "sagan")["disabled"] is True


def test_disable_and_allow_lists_apply_before_import(zoo_cli, install_plugin):
    site = install_plugin("zoo-broken", "zoo_broken", BROKEN_IMPORT)
    disabled = zoo_cli("list", plugins=[site], env={"ZOO_DISABLE_PLUGINS": "zoo_broken"})
    assert disabled.returncode == 0 and disabled.stderr == ""
    only_dcgan = zoo_cli("list", "--json", plugins=[site], env={"ZOO_LOAD_PLUGINS": "dcgan"})
    assert only_dcgan.stderr == "" and {r["plugin"] for r in json.loads(only_dcgan.stdout)} == {"zoo-dcgan"}


@pytest.mark.parametrize("variable", ["ZOO_LOAD_PLUGINS", "ZOO_DISABLE_PLUGINS"])
def test_a_plugin_name_that_matches_nothing_is_named_in_a_warning(monkeypatch, fresh_registry, variable):
    monkeypatch.setenv(variable, "dcgn,zoo-sagan")
    with pytest.warns(PluginWarning) as caught:
        zoo.list_models()
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert len(messages) == 1, "a distribution name (zoo-sagan) is a valid name"
    assert messages[0].startswith(f"{variable} names 'dcgn', which is no installed plugin: installed are ")


def test_disabling_a_plugin_removes_its_models(monkeypatch, fresh_registry):
    monkeypatch.setenv("ZOO_DISABLE_PLUGINS", "dcgan")
    assert not zoo.list_models("dcgan*")
    assert zoo.list_models("sagan") == ["sagan"]
    with pytest.raises(ZooError, match="unknown model 'dcgan'"):
        get_registry().resolve("dcgan")


def test_strict_flag_raises_plugin_error_in_process(monkeypatch, fresh_registry):
    monkeypatch.setenv("ZOO_STRICT_PLUGINS", "1")
    assert "dcgan" in zoo.list_models()  # nothing broken installed: strict mode changes nothing
    with pytest.raises(PluginError):
        from zoo.plugins import PluginInfo, report_plugin_problem

        report_plugin_problem(PluginInfo("x", "zoo-x", "1", "x"), "failed", "fix it")


def test_core_registers_builtin_losses_through_the_hook():
    registry = get_registry()
    assert {"bce", "hinge", "wasserstein", "lsgan"} <= set(registry.losses)
    assert all(spec.plugin == "zoo-core" for spec in registry.losses.values())
