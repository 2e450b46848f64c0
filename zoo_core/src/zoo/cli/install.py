"""``zoo install`` / ``zoo uninstall``: pip in the very environment that runs ``zoo``, so plugins land
where the zoo finds them. They never touch the registry, so they work even when every plugin is broken."""

from __future__ import annotations

import re
import subprocess
import sys

import click

from zoo.errors import ZooError

CORE_DISTRIBUTION = "zoo-core"


def pip_command(action: str, packages: tuple[str, ...], extra: tuple[str, ...] = ()) -> list[str]:
    """The pip command line for ``action`` in this interpreter's environment; a blank package name is refused."""
    if any(not package.strip() for package in packages):
        raise ZooError(f"an empty package name was given to zoo {action}: name the plugin, e.g. zoo-mygan")
    return [sys.executable, "-m", "pip", action, *extra, *packages]


def _run(command: list[str], dry_run: bool) -> None:
    """Show or run ``command``; pip's own exit code becomes zoo's."""
    if dry_run:
        click.echo(" ".join(command))
        return
    code = subprocess.call(command)
    if code:
        raise click.exceptions.Exit(code)


@click.command("install", context_settings={"ignore_unknown_options": True})
@click.argument("packages", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Print the pip command instead of running it.")
def install_command(packages: tuple[str, ...], dry_run: bool) -> None:
    """Install plugins (any pip requirement or option) into zoo's environment. Installing runs their code."""
    _run(pip_command("install", packages), dry_run)


@click.command("uninstall", context_settings={"ignore_unknown_options": True})
@click.argument("packages", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Print the pip command instead of running it.")
def uninstall_command(packages: tuple[str, ...], dry_run: bool) -> None:
    """Uninstall plugins from zoo's environment without asking for confirmation."""
    if any(re.sub(r"[-_.]+", "-", package).lower() == CORE_DISTRIBUTION for package in packages):
        raise ZooError(
            f"{CORE_DISTRIBUTION} is the zoo itself, not a plugin: removing it removes this command; "
            f"run 'python -m pip uninstall {CORE_DISTRIBUTION}' if you mean it"
        )
    _run(pip_command("uninstall", packages, ("-y",)), dry_run)
