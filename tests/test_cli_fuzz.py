"""Every option of every command, plugins' included, fed hostile values of its declared type.

The walk reads click's own command tree, so a new option is covered without a new test; a new command
needs only a base invocation in ``BASES`` (the test names the command that lacks one). Each case must end
with exit code 0 or 2, a refusal in one line with no traceback, nothing written when refused, and within
``TIME_LIMIT`` seconds (a FIFO or an unbounded value must not hang the command).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import click
import numpy as np
import pytest
from PIL import Image
from zoo.testing import cli_commands

TIME_LIMIT = 30
MISSING = "no-such-file.npz"

# A valid, quick invocation of each command; {npz}, {photo}, {folder} are made in the test's directory.
BASES: dict[str, list[str]] = {
    "cache list": [],
    "cache rm": ["no-such-model"],
    "cards check": ["card.md"],
    "demo": ["--export-space", "space"],  # writes a Space and exits: never starts a blocking server
    "eval": ["dcgan-cifar10-32", "--data", "{npz}", "--metrics", "kid", "-n", "8", "--extractor", "zoo-cifar10-resnet"],
    "export": ["dcgan", "-o", "g.pt2"],
    "info": ["dcgan"],
    "install": ["--dry-run", "zoo-nothing"],
    "interpolate": ["dcgan", "--seeds", "1,2", "--steps", "2", "-o", "walk.png"],
    "list": [],
    "new-plugin": ["fuzzgan", "--dir", "plugin-out"],
    "plugins": [],
    "pull": ["dcgan-cifar10-32"],
    "push": ["runs-none", "--repo", "me/x", "--dry-run", "--out", "pushed"],
    "sample": ["dcgan", "-n", "1", "-o", "grid.png"],
    "style-mix": ["stylegan-lite-emoji64", "--rows", "1", "--cols", "2", "--layers", "0", "-o", "mix.png"],
    "stylize": ["{photo}", "--style", "candy", "-o", "out.png", "--size", "32"],
    "train": ["dcgan", "--data", "{npz}", "--out", "run", "--steps", "1", "--set", "model.width=4", "--set",
              "batch_size=4"],
    "translate": ["style-transfer-candy", "{photo}", "-o", "translated.png", "--size", "32"],
    "train style-transfer": ["--style", "{photo}", "--data", "{folder}", "--out", "strun", "--steps", "1",
                             "--image-size", "32", "--style-size", "32", "--random-backbone", "--width", "4",
                             "--res-blocks", "1"],
    "uninstall": ["--dry-run", "zoo-nothing"],
}  # fmt: skip
SKIP_OPTIONS = {"--dry-run"}  # install/uninstall/push without it would act; its flag takes no value anyway


def _hostile(param: click.Parameter, folder: Path) -> Iterator[str]:
    """Values of the parameter's own type that a careless or hostile caller could pass."""
    kind = param.type
    if isinstance(kind, (click.types.IntParamType, click.IntRange)):
        yield from ("", "-1", "0", "1.5", "nan", str(10**30))
    elif isinstance(kind, (click.types.FloatParamType, click.FloatRange)):
        yield from ("nan", "inf", "-inf", "-1", "1e400", "")
    elif isinstance(kind, click.Choice):
        yield from ("bogus", "")
    elif isinstance(kind, (click.Path, click.File)):
        yield from (str(folder / "a-directory"), str(folder / "a-fifo.png"), MISSING, "")
    else:
        yield from ("", "ü" * 300, "../../etc/passwd", str(folder / "a-fifo.png"), "\x1b[31m")


def _cases() -> Iterator[tuple[str, list[str], str]]:
    """(command path, the option's words, the hostile value) for every option of every command."""
    for path, command in sorted(cli_commands().items()):
        for param in command.params:
            if getattr(param, "is_flag", False) or param.name == "help" or set(param.opts) & SKIP_OPTIONS:
                continue
            for value in _hostile(param, Path("{folder}")):
                yield path, list(param.opts[:1]) if isinstance(param, click.Option) else [], value


def test_every_command_has_a_base_invocation():
    missing = sorted(set(cli_commands()) - set(BASES))
    assert not missing, f"add a quick, valid invocation of {missing} to BASES: its options are fuzzed from it"


@pytest.fixture
def arena(tmp_path) -> Path:
    """A fresh working directory with small valid inputs, a directory and a FIFO where files are expected."""
    root = tmp_path
    rng = np.random.default_rng(0)
    np.savez(root / "d.npz", images=rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8))
    Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(root / "photo.png")
    (root / "photos").mkdir()
    Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(root / "photos" / "p.png")
    (root / "a-directory").mkdir()
    os.mkfifo(root / "a-fifo.png")
    (root / "card.md").write_text("---\nlicense: mit\n---\nnot a zoo card\n")
    return root


def _fill(words: list[str], arena: Path) -> list[str]:
    names = {"{npz}": str(arena / "d.npz"), "{photo}": str(arena / "photo.png"), "{folder}": str(arena / "photos")}
    return [names.get(word, word.replace("{folder}", str(arena))) for word in words]


def _invocation(path: str, option: list[str], value: str, arena: Path) -> list[str]:
    """The base invocation with ``option`` set to ``value`` (replacing the base's own), or the argument replaced."""
    base = _fill(BASES[path], arena)
    value = value.replace("{folder}", str(arena))
    command = path.split()
    if not option:  # an argument: the value stands where the base's first argument was
        words = list(base)
        positional = next((i for i, word in enumerate(words) if not word.startswith("-")), None)
        if positional is None:
            return [*command, *words, value]
        words[positional] = value
        return [*command, *words]
    words, skip = [], False
    for word in base:
        if skip:
            skip = False
            continue
        if word == option[0]:
            skip = True
            continue
        words.append(word)
    return [*command, *words, option[0], value]


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


class _Hang(Exception):
    pass


@pytest.mark.slow
@pytest.mark.parametrize(("path", "option", "value"), list(_cases()))
def test_hostile_option_values_are_refused_cleanly(path, option, value, arena, capsys, monkeypatch):
    from zoo.cli import main

    monkeypatch.chdir(arena)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ZOO_NO_DOWNLOAD", "1")
    argv = _invocation(path, option, value, arena)
    before = _files(arena)

    def hang(*_):  # type: ignore[no-untyped-def]
        raise _Hang

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(TIME_LIMIT)
    started = time.perf_counter()
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except _Hang:
        pytest.fail(f"zoo {' '.join(argv)} ran past {TIME_LIMIT} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    shown = f"zoo {' '.join(argv)!r} -> exit {code} in {elapsed:.1f} s:\n{err}"
    assert code in (0, 2), shown
    assert "Traceback" not in err, shown
    assert not _must_refuse(path, option, value) or code == 2, f"accepted nonsense: {shown}"
    if code:
        lines = [line for line in err.splitlines() if line.strip() and not line.startswith("zoo: warning:")]
        assert len(lines) == 1, shown
        assert _files(arena) == before, f"{shown}\nleft behind: {sorted(_files(arena) - before)}"


NON_FINITE = {"nan", "inf", "-inf", "1e400"}


def _must_refuse(path: str, option: list[str], value: str) -> bool:
    """Values no option may accept: a non-finite number for a float, a FIFO for a path (input or output)."""
    command = cli_commands()[path]
    param = next((p for p in command.params if option and option[0] in getattr(p, "opts", ())), None)
    if param is None:
        return False
    if isinstance(param.type, click.types.FloatParamType) and value in NON_FINITE:
        return True
    return isinstance(param.type, click.Path) and value.endswith("a-fifo.png")


def test_every_integer_option_is_bounded_at_the_boundary():
    """A huge integer used to reach numpy or PIL (``--nrow 10**30``: a raw ValueError); click refuses it first."""
    unbounded = [
        f"{path} {param.opts[0]}"
        for path, command in sorted(cli_commands().items())
        for param in command.params
        if isinstance(param.type, click.types.IntParamType)
        and not (isinstance(param.type, click.IntRange) and param.type.max is not None)
    ]
    assert not unbounded, f"declare click.IntRange(..., max=N) for {unbounded}"
