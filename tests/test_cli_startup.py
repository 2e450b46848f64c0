"""Argument errors answer at once: zoo train checks everything it can before importing torch (seconds)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

PROBE = """
import sys
from zoo.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit_:
    print(exit_.code, "torch" in sys.modules)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--data", "missing.npz", "--out", "run"],
        ["--data", "tiny.npz", "--out", "run", "--set", "colour=red"],
        ["--data", "tiny.npz", "--out", "run", "--set", "steps=0"],
        ["--data", "tiny.npz", "--out", "run", "--set", "bf16=fast"],
        ["--data", "tiny.npz", "--out", "run", "--recipe", "no-such-recipe"],
        ["--data", "tiny.npz", "--out", "run", "--resume"],
        ["--data", "tiny.npz", "--out", "run", "--until", "99999"],
    ],
)
def test_train_argument_errors_come_before_torch(tmp_path, args):
    np.savez(tmp_path / "tiny.npz", images=np.zeros((4, 32, 32, 3), np.uint8))
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, "train", "dcgan", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert probe.stdout.split() == ["2", "False"], (probe.stdout, probe.stderr)
    assert probe.stderr.startswith("Error: ") and len(probe.stderr.strip().splitlines()) == 1, probe.stderr
