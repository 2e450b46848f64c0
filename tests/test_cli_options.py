"""Shared CLI options: every command that reports progress takes the one ``--quiet``; ``--verbose`` means one thing."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from zoo.cli.options import QUIET_HELP, VERBOSE_HELP, quiet_option
from zoo.testing import cli_commands

EXEMPT = {
    "list": "prints the registry table, which is its result: no progress, no status lines",
    "info": "describes one model: everything it prints is the description asked for",
    "plugins": "prints the plugin table, which is its result",
    "cache list": "prints the cached checkpoints, which is its result",
    "cache rm": "deletes at once and prints the one line saying what was freed",
    "cards check": "prints card problems (the result) and one summary line",
    "install": "hands its options to pip, whose own -q/--quiet passes straight through",
    "uninstall": "hands its options to pip, whose own -q/--quiet passes straight through",
    "new-plugin": "writes a few template files and prints the one line saying where",
}
"""Commands without --quiet, each with why: none has a progress bar or prints status lines."""

REPORTING = {"train", "sample", "eval", "interpolate", "style-mix", "export", "pull", "push", "stylize"}
REPORTING |= {"train style-transfer"}
"""Commands that must be found by the walk (a walk that misses plugin commands would prove nothing)."""


@pytest.fixture(scope="module")
def commands() -> dict[str, click.Command]:
    return cli_commands()


def _option(command: click.Command, flag: str) -> click.Option | None:
    return next((p for p in command.params if isinstance(p, click.Option) and flag in p.opts), None)


def test_every_command_that_reports_progress_takes_the_shared_quiet(commands):
    assert REPORTING <= set(commands), sorted(REPORTING - set(commands))
    assert set(EXEMPT) <= set(commands), f"stale exemptions: {sorted(set(EXEMPT) - set(commands))}"
    missing, homemade = [], []
    for path, command in sorted(commands.items()):
        if path in EXEMPT:
            continue
        option = _option(command, "--quiet")
        if option is None:
            missing.append(path)
        elif option.help != QUIET_HELP or option.name != "quiet" or not option.is_flag:
            homemade.append(path)  # defined by hand: it would drift from the others
    assert not missing, f"no --quiet: {missing} (use zoo.cli.options.quiet_option, or exempt them with the reason)"
    assert not homemade, f"--quiet not from zoo.cli.options.quiet_option: {homemade}"


def test_verbose_is_the_shared_option_wherever_it_exists(commands):
    verbose = {path: _option(command, "--verbose") for path, command in commands.items()}
    assert {"sample", "interpolate", "style-mix", "stylize"} <= {path for path, o in verbose.items() if o}
    assert all(option.help == VERBOSE_HELP for option in verbose.values() if option), verbose


def test_quiet_turns_the_hubs_bars_off_for_that_command_only():
    from huggingface_hub.utils import are_progress_bars_disabled

    if are_progress_bars_disabled():
        pytest.skip("HF_HUB_DISABLE_PROGRESS_BARS is set: nothing to turn off")
    seen = []

    @click.command()
    @quiet_option
    def probe(quiet: bool) -> None:
        seen.append((quiet, are_progress_bars_disabled()))

    for args in (["--quiet"], [], ["-q"], ["--no-progress"]):
        assert CliRunner().invoke(probe, args).exit_code == 0
    assert seen == [(True, True), (False, False), (True, True), (True, True)]
    assert not are_progress_bars_disabled(), "the bars must come back once the command is done"


def test_quiet_never_silences_errors(zoo_here, tmp_path):
    for args in (
        ["eval", "dcgan", "--data", str(tmp_path / "missing.npz"), "--quiet"],
        ["sample", "dcgan", "-o", str(tmp_path / "no" / "x.png"), "--quiet"],
        ["export", "dcgan", "-o", str(tmp_path / "x.txt"), "--quiet"],
    ):
        code, _, err = zoo_here(*args)
        assert code == 2 and err.startswith("Error: ") and len(err.strip().splitlines()) == 1, (args, err)


def test_a_librarys_warning_is_one_line_too(capsys):
    """Disk full printed huggingface_hub's warning in Python's format: the message, then 'warnings.warn('."""
    import warnings

    from zoo.cli import _one_line_warnings

    previous = warnings.showwarning
    try:
        _one_line_warnings()
        warnings.warn_explicit("no space\nleft", UserWarning, "lib.py", 1)
    finally:
        warnings.showwarning = previous
    assert capsys.readouterr().err == "zoo: warning: UserWarning: no space left\n"
