"""The README tells the truth: its commands exist as written, its quick start runs, CI runs its test command.

As llm and datasette test their docs: every ``zoo`` command line in a code block names a real command
and only options that command has (plugins' commands included), and the blocks marked as the quick
start run as a newcomer would paste them.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.M | re.S)


def _blocks(*languages: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block whose language is one of ``languages``."""
    return [(info, body) for info, body in FENCE.findall(README) if info.split(" ")[0] in languages]


def _zoo_command_lines() -> list[str]:
    """Every ``zoo …`` invocation in the README's shell blocks (``$`` prompts, comments and pipes removed)."""
    lines = []
    for _, body in _blocks("bash", "console", "sh", "shell"):
        for raw in body.splitlines():
            line = raw.strip().removeprefix("$ ").split("  #")[0].strip()
            for part in re.split(r"\s(?:\||&&|;)\s", line):
                part = part.strip()
                if "-m zoo " in part:
                    part = "zoo " + part.split("-m zoo ", 1)[1]
                if part.startswith("zoo "):
                    lines.append(part)
    return lines


def _tokens(line: str) -> list[str]:
    """The words of a command line with optional ``[...]`` parts kept (their options must exist too)."""
    words = shlex.split(line.replace("[", " ").replace("]", " ").replace("|", " "))
    return words[1:]


def test_the_readme_shows_zoo_commands():
    assert len(_zoo_command_lines()) >= 20


@pytest.mark.parametrize("line", _zoo_command_lines())
def test_every_zoo_command_in_the_readme_exists_with_those_options(line):
    from zoo.testing import cli_commands

    commands = cli_commands()  # click's tree plus the family trainers 'zoo train FAMILY' hands over to
    words = _tokens(line)
    path = next((" ".join(words[:n]) for n in (2, 1) if " ".join(words[:n]) in commands), None)
    assert path is not None, f"README: `{line}`: no command {words[0]!r}"
    command, words = commands[path], words[len(path.split()) :]
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    known |= {"--help", "-h", "--version"}
    for word in words:
        if word.startswith("-") and not re.fullmatch(r"-\d.*", word):
            option = word.split("=", 1)[0]
            assert option in known, f"README: `{line}`: {command.name} has no option {option} ({sorted(known)})"


def _start_here_commands() -> list[str]:
    """The developer commands of the README's 'Development' section (demo, then tests)."""
    for _info, body in _blocks("bash"):
        if "nox -s tests" in body:
            return [line.split("  #")[0].strip() for line in body.splitlines() if "nox -s" in line]
    raise AssertionError("README: no block with the nox -s tests command")


def test_ci_runs_exactly_the_readme_test_command():
    commands = _start_here_commands()
    test_command = next(command for command in commands if command.endswith("nox -s tests"))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines(), f".ci/run must run the README's test command: {test_command}"
    assert "pip install nox" not in ci.replace(test_command, ""), ".ci/run runs nothing else to get nox"


def test_the_readme_start_commands_use_a_virtual_environment():
    """Stock Debian/Ubuntu Python refuses `pip install` outside a venv (PEP 668)."""
    for command in _start_here_commands():
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install "), command


def test_the_quick_start_python_runs(tmp_path):
    """The README's first Python block, pasted into a fresh interpreter, runs offline."""
    info, body = _blocks("python")[0]
    result = subprocess.run(
        [sys.executable, "-c", body], cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={"HF_HUB_OFFLINE": "1", "PATH": "", "ZOO_NATIVE_BF16": "0", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_readme_makes_no_claim_about_a_package_index_it_is_not_on():
    for line in README.splitlines():
        if re.search(r"pip install ['\"]?gan-zoo", line):
            assert "not on PyPI yet" in line or "once" in line, line
