"""scripts/make_translation_pairs.py: paired Pix2Pix data made from an image set, read back by zoo.translation_data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from zoo.translation_data import load_translation_data

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_translation_pairs.py"


def _images(n: int = 20) -> np.ndarray:
    """Squares of random colours on white: each has a clear outline for the edge detector."""
    rng = np.random.default_rng(0)
    images = np.full((n, 32, 32, 3), 255, np.uint8)
    for image in images:
        top, left = rng.integers(4, 12, 2)
        image[top : top + 14, left : left + 14] = rng.integers(0, 200, 3)
    return images


@pytest.mark.parametrize("method", ["edges", "grey"])
def test_pairs_are_made_split_and_read_back(tmp_path, method):
    images = _images()
    np.savez(tmp_path / "set.npz", images=images)
    out = tmp_path / "pairs.npz"
    command = [
        sys.executable,
        str(SCRIPT),
        method,
        str(tmp_path / "set.npz"),
        "-o",
        str(out),
        "--test-fraction",
        "0.25",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    train, test = load_translation_data(out), load_translation_data(out, "test")
    assert train.paired and (len(train.a), len(test.a)) == (15, 5)
    assert train.a.shape[1:] == (32, 32, 1) and train.b.shape[1:] == (32, 32, 3)
    both_b = np.concatenate([train.b, test.b])
    assert sorted(map(bytes, both_b)) == sorted(map(bytes, images))  # every image once, as the target
    if method == "grey":
        expected = np.asarray(Image.fromarray(train.b[0]).convert("L"))
        assert np.array_equal(train.a[0, ..., 0], expected)
    else:
        assert set(np.unique(train.a)) <= {0, 255} and (train.a == 0).any()
        lines = train.a[0, ..., 0] == 0
        assert lines.sum() < lines.size / 2  # outlines, not filled shapes
        assert not lines[0, :].any() and not lines[:, 0].any()  # the white border has no edges
    with np.load(out) as archive:
        source = json.loads(str(archive["source"]))
    assert source["method"] == method and len(source["sha256"]) == 64
    again = tmp_path / "again.npz"
    subprocess.run([*command[:4], "-o", str(again), "--test-fraction", "0.25"], check=True, capture_output=True)
    assert again.read_bytes() == out.read_bytes()  # the same data and seed make the same file
