"""``zoo sample`` asks torch for transparent huge pages before torch is imported; a user's own setting wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from zoo.hardware import TORCH_HUGE_PAGES_ENV, prefer_huge_pages

# Runs `zoo sample` in a fresh interpreter with prefer_huge_pages watched: was torch imported when it ran?
WATCH = """
import json, os, sys
import zoo.hardware as hardware
from zoo.cli import main
seen = []
ask = hardware.prefer_huge_pages
hardware.prefer_huge_pages = lambda: seen.append("torch" in sys.modules) or ask()
main(["sample", "dcgan", "-n", "1", "-o", sys.argv[1], "-q"])
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


def test_zoo_sample_asks_before_torch_is_imported(tmp_path, monkeypatch):
    monkeypatch.delenv(TORCH_HUGE_PAGES_ENV, raising=False)
    out = tmp_path / "one.png"
    result = subprocess.run(
        [sys.executable, "-c", WATCH, str(out)], capture_output=True, text=True, timeout=300, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"torch_already_imported": [False], "env": "1"}
    assert out.stat().st_size > 0
