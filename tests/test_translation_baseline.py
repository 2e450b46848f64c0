"""scripts/translation_baseline.py: the untranslated inputs' own scores, the floor a translator's card compares with."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

BASELINE = Path(__file__).resolve().parents[1] / "scripts" / "translation_baseline.py"


def _domains(root: Path) -> Path:
    """Unpaired test domains: dark and light noise squares (FID between them is far from 0)."""
    rng = np.random.default_rng(0)
    for name, low in (("testA", 0), ("testB", 160)):
        (root / name).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(low, low + 90, (32, 32, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:02d}.png")
    return root


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BASELINE), *args], capture_output=True, text=True, timeout=300)


def test_unpaired_domains_get_fid_and_kid_both_ways_and_refuse_pixel_measures(tmp_path):
    data = _domains(tmp_path / "domains")
    refused = _run(str(data))
    assert refused.returncode != 0 and "pass --fid" in refused.stderr
    done = _run(str(data), "--fid")
    assert done.returncode == 0, done.stderr
    fids = {d: float(v) for d, v in re.findall(r"(a2b|b2a) left untranslated .*FID ([0-9.]+)", done.stdout)}
    assert set(fids) == {"a2b", "b2a"}
    assert fids["a2b"] > 1.0 and abs(fids["a2b"] - fids["b2a"]) < 1e-6 * fids["a2b"] + 0.1  # FID is symmetric


def test_paired_data_gets_its_pixel_floor_and_one_way_fid(tmp_path):
    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    grey = colour.mean(axis=3, keepdims=True).astype(np.uint8)
    np.savez(tmp_path / "pairs.npz", A=grey, B=colour)
    done = _run(str(tmp_path / "pairs.npz"), "--split", "all", "--fid")
    assert done.returncode == 0, done.stderr
    assert "input as its own translation: L1" in done.stdout
    assert "a2b left untranslated" in done.stdout and "b2a" not in done.stdout
