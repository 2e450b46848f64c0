"""The ``zoo`` command line: core commands plus whatever plugins add through ``register_commands``.

Errors the user can fix print as one line on stderr with exit code 2, never a traceback. A run stopped
by SIGINT or SIGTERM (checkpoint saved) is no error: one plain line, exit code 128 + the signal's number.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

import click

from zoo.errors import Interrupted, ZooError, ZooWarning
from zoo.plugins import report_plugin_problem


def _one_line_warnings() -> None:
    """Show every warning as one 'zoo: warning: …' line instead of Python's two-line format.

    A library's warning too: Python's format puts the source line ("warnings.warn(") under the message.
    """

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        text = " ".join(str(message).split())
        kind = "" if issubclass(category, ZooWarning) else f"{category.__name__}: "
        click.echo(f"zoo: warning: {kind}{text}", err=True)

    warnings.showwarning = show


def make_cli() -> click.Group:
    """Build the root group with the core commands and every plugin's commands."""
    from zoo.cli.demo import demo_command
    from zoo.cli.eval import eval_command
    from zoo.cli.export import export_command
    from zoo.cli.hub import HUB_COMMANDS
    from zoo.cli.install import install_command, uninstall_command
    from zoo.cli.latent import LATENT_COMMANDS
    from zoo.cli.listing import info_command, list_command, plugins_command
    from zoo.cli.new_plugin import new_plugin_command
    from zoo.cli.sample import sample_command
    from zoo.cli.train import train_command
    from zoo.cli.translate import translate_command
    from zoo.registry import get_registry
    from zoo.version import __version__

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="zoo")
    def cli() -> None:
        """gan-zoo: pretrained GANs and style transfer, one registry of plugins."""

    for command in (
        list_command,
        info_command,
        plugins_command,
        sample_command,
        translate_command,
        train_command,
        eval_command,
    ):
        cli.add_command(command)
    for command in (
        *HUB_COMMANDS,
        *LATENT_COMMANDS,
        install_command,
        uninstall_command,
        new_plugin_command,
        export_command,
        demo_command,
    ):
        cli.add_command(command)
    try:
        registry = get_registry()
    except ZooError:
        # e.g. two plugins register one name: keep `zoo install/uninstall` usable to fix it;
        # every registry command raises the same one-line error when it runs.
        return cli
    by_name = {info.registered_as: info for info in registry.plugins}
    for impl in reversed(registry.pm.hook.register_commands.get_hookimpls()):
        try:
            impl.function(cli=cli)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the CLI down
            report_plugin_problem(
                by_name[impl.plugin_name],
                f"raised in register_commands ({type(exc).__name__}: {exc})",
                "its commands were skipped",
            )
    return cli


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``zoo`` script."""
    _one_line_warnings()
    try:
        cli = make_cli()
        cli.main(args=list(argv) if argv is not None else None, prog_name="zoo", standalone_mode=False)
    except Interrupted as exc:  # a clean, asked-for stop (checkpoint saved): a plain line, not an error
        click.echo(str(exc), err=True)
        sys.exit(exc.exit_code)  # 128 + the signal's number, as a shell reports a process it stopped
    except ZooError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))  # 2 for bad input
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(2)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"Error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except OSError as exc:  # a path the OS refuses (too long, permission, disk full) that no check foresaw
        click.echo(f"Error: {os_error_line(exc)}", err=True)
        sys.exit(2)


def os_error_line(exc: OSError) -> str:
    """One line for an OSError: what the OS said, about which path (shortened), and what to do."""
    name = str(exc.filename or "")
    shown = name if len(name) <= 80 else f"{name[:40]}…{name[-20:]} ({len(name)} characters)"
    reason = exc.strerror or type(exc).__name__
    return f"{reason}: {shown!r}: choose another path or free the resource" if shown else f"{reason}: try again"
