"""`zoo sample` and `zoo eval` ask torch for huge pages before importing it; a user's own setting wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from zoo.hardware import TORCH_HUGE_PAGES_ENV, prefer_huge_pages

# Runs a zoo command in a fresh interpreter with prefer_huge_pages watched: was torch imported when it ran?
WATCH = """
import json, os, sys
import zoo.hardware as hardware
from zoo.cli import main
seen = []
ask = hardware.prefer_huge_pages
hardware.prefer_huge_pages = lambda: seen.append("torch" in sys.modules) or ask()
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps({"torch_already_imported": seen, "env": os.environ.get("THP_MEM_ALLOC_ENABLE")}))
"""


def test_it_sets_the_switch_only_where_the_user_did_not(monkeypatch):
    monkeypatch.delenv(TORCH_HUGE_PAGES_ENV, raising=False)
    prefer_huge_pages()
    assert TORCH_HUGE_PAGES_ENV == "THP_MEM_ALLOC_ENABLE"  # the name torch's CPU allocator reads
    assert os.environ[TORCH_HUGE_PAGES_ENV] == "1"
    monkeypatch.setenv(TORCH_HUGE_PAGES_ENV, "0")
    prefer_huge_pages()
    assert os.environ[TORCH_HUGE_PAGES_ENV] == "0"


def test_it_says_when_it_comes_too_late():
    import torch  # noqa: F401  (torch reads the switch once, at its first allocation)

    assert prefer_huge_pages() is False


@pytest.mark.parametrize(
    "command",
    [
        ["sample", "dcgan", "-n", "1", "-o", "{tmp}/one.png", "-q"],
        ["eval", "dcgan", "--data", "{tmp}/real.npz", "--metrics", "no-such-metric", "-q"],  # stops after asking
    ],
    ids=["sample", "eval"],
)
def test_the_command_asks_before_torch_is_imported(tmp_path, monkeypatch, command):
    monkeypatch.delenv(TORCH_HUGE_PAGES_ENV, raising=False)
    np.savez(tmp_path / "real.npz", images=np.zeros((4, 32, 32, 3), dtype=np.uint8))
    argv = [word.format(tmp=tmp_path) for word in command]
    result = subprocess.run(
        [sys.executable, "-c", WATCH, *argv], capture_output=True, text=True, timeout=300, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"torch_already_imported": [False], "env": "1"}, result.stderr
