"""``zoo install`` / ``zoo uninstall``: pip in zoo's own environment, usable even when the registry is broken."""

from __future__ import annotations

import sys

import pytest

DUPLICATE = """
from zoo import ArchitectureSpec, hookimpl

@hookimpl
def register_architectures(register):
    register(ArchitectureSpec(name="dcgan", task="unconditional-image-generation", generator="x.y:Z"))
"""


def test_install_and_uninstall_run_pip_of_this_environment(zoo_cli) -> None:  # type: ignore[no-untyped-def]
    installed = zoo_cli("install", "--dry-run", "zoo-example", "--upgrade")
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.split()[1:] == ["-m", "pip", "install", "zoo-example", "--upgrade"]
    assert installed.stdout.split()[0] == sys.executable
    removed = zoo_cli("uninstall", "--dry-run", "zoo-example")
    assert removed.returncode == 0 and removed.stdout.split()[1:] == ["-m", "pip", "uninstall", "-y", "zoo-example"]


def test_uninstall_works_while_the_registry_is_broken(zoo_cli, install_plugin, clean_error) -> None:  # type: ignore[no-untyped-def]
    site = install_plugin("zoo-dup", "zoo_dup", DUPLICATE)
    strict = {"ZOO_STRICT_PLUGINS": "1"}  # a duplicate name is fatal only in strict mode
    clean_error(zoo_cli("list", plugins=[site], env=strict), "'family dcgan'", "zoo-dup")
    result = zoo_cli("uninstall", "--dry-run", "zoo-dup", plugins=[site], env=strict)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "zoo-dup"


@pytest.mark.parametrize("name", ["zoo-core", "Zoo_Core"])
def test_uninstall_refuses_the_zoo_itself(zoo_cli, clean_error, name) -> None:  # type: ignore[no-untyped-def]
    clean_error(zoo_cli("uninstall", "--dry-run", "zoo-example", name), "zoo-core is the zoo itself, not a plugin")
