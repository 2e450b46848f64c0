"""docs/writing-a-plugin.md tells the truth: its zoo commands exist with those options, and the image-to-image
chapter's example plugins pass check_architecture (two training steps included) and its handle example runs.

An outside author is meant to publish a plugin from this page alone, so its code is run as written.
"""

from __future__ import annotations

import re
import shlex
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import zoo
from PIL import Image
from zoo.testing import check_architecture, cli_commands, registered_plugin

DOC = (Path(__file__).resolve().parents[1] / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.M | re.S)


def _zoo_command_lines() -> list[str]:
    """Every ``zoo …`` command line of the page's console blocks (prompts and comments removed)."""
    lines = []
    for info, body in FENCE.findall(DOC):
        if info.strip() not in ("console", "bash", "sh", "shell"):
            continue
        for raw in body.splitlines():
            line = raw.strip().removeprefix("$ ").split("  #")[0].strip()
            for part in re.split(r"\s(?:\||&&|;)\s", line):
                if part.strip().startswith("zoo "):
                    lines.append(part.strip())
    return lines


def _block(first_line: str) -> str:
    """The Python block whose first line is ``first_line`` (a ``# src/...`` path comment)."""
    found = [body for info, body in FENCE.findall(DOC) if info.strip() == "python" and body.startswith(first_line)]
    assert len(found) == 1, f"docs/writing-a-plugin.md: one python block must start with {first_line!r}"
    return found[0]


def test_the_page_shows_the_image_to_image_commands():
    lines = _zoo_command_lines()
    for command in ("new-plugin", "train", "eval", "translate", "export", "push", "cards check"):
        assert any(line.startswith(f"zoo {command} ") for line in lines), command
    assert any("--image-to-image --unpaired" in line for line in lines)


@pytest.mark.parametrize("line", _zoo_command_lines())
def test_every_zoo_command_on_the_page_exists_with_those_options(line):
    commands = cli_commands()
    words = shlex.split(line)[1:]
    path = next((" ".join(words[:n]) for n in (2, 1) if " ".join(words[:n]) in commands), None)
    assert path is not None, f"`{line}`: no command {words[0]!r}"
    command = commands[path]
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help", "-h"}
    for word in words[len(path.split()) :]:
        if word.startswith("-") and not re.fullmatch(r"-\d.*", word):
            assert word.split("=", 1)[0] in known, f"`{line}`: {path} has no option {word}"


def _example_plugin(module: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The chapter's ``src/MODULE/__init__.py`` and ``model.py`` blocks as an importable package."""
    package, model = types.ModuleType(module), types.ModuleType(f"{module}.model")
    package.__path__ = []  # a package, so that 'MODULE.model' imports from sys.modules
    monkeypatch.setitem(sys.modules, module, package)
    monkeypatch.setitem(sys.modules, f"{module}.model", model)
    exec(compile(_block(f"# src/{module}/model.py"), f"docs:{module}/model.py", "exec"), model.__dict__)
    exec(compile(_block(f"# src/{module}/__init__.py"), f"docs:{module}/__init__.py", "exec"), package.__dict__)
    return package


@pytest.mark.parametrize(("family", "module"), [("sketch2photo", "zoo_sketch2photo"), ("day2night", "zoo_day2night")])
def test_the_chapters_example_plugins_pass_check_architecture(family, module, monkeypatch):
    with registered_plugin(_example_plugin(module, monkeypatch)):
        check_architecture(family)  # the interfaces, the discriminator's contract, the recipe, two zoo.train steps


def test_the_chapters_handle_example_runs_on_a_trained_run(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    days, nights = (rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8) for _ in range(2))
    np.savez(tmp_path / "d2n.npz", trainA=days, trainB=nights)
    Image.fromarray(days[0]).save(tmp_path / "day.png")
    monkeypatch.chdir(tmp_path)
    settings = {"model.width": 4, "model.resolution": 16, "batch_size": 2}
    with registered_plugin(_example_plugin("zoo_day2night", monkeypatch)):
        zoo.train("day2night", "d2n.npz", "runs/d2n", settings=settings, steps=1, device="cpu", quiet=True, say=str)
        namespace: dict = {}
        exec(compile(_block("import torch\nimport zoo\n\nhandle = zoo.load("), "docs:handle", "exec"), namespace)
    assert namespace["direction"] == "b2a" and namespace["handle"].generator.directions == ("a2b", "b2a")
    assert namespace["night"].size == (16, 16) and tuple(namespace["batch"].shape) == (4, 3, 64, 64)
