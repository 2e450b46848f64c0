"""Two identical runs write byte-identical weights: a card's sha256 is reproduced by re-running its command."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from zoo.weights import safetensors_bytes, write_safetensors

TINY = ["model.width=4", "model.z_dim=8", "batch_size=8", "sample_every=2", "checkpoint_every=2"]


def _sha256(path) -> str:  # type: ignore[no-untyped-def]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_writer_is_deterministic_and_readable_by_safetensors(tmp_path):
    tensors = {
        "z.weight": torch.randn(3, 4), "a.count": torch.arange(5), "m.half": torch.randn(2, 2).half(),
        "b.bf16": torch.randn(3).bfloat16(), "flag": torch.tensor(True), "empty": torch.zeros(0, 3),
    }  # fmt: skip
    metadata = {"zoo.z": "1", "zoo.a": "2", "zoo.m": "3"}
    write_safetensors(tmp_path / "a.safetensors", tensors, metadata)
    reordered = dict(reversed(list(tensors.items())))
    write_safetensors(tmp_path / "b.safetensors", reordered, dict(reversed(list(metadata.items()))))
    assert (tmp_path / "a.safetensors").read_bytes() == (tmp_path / "b.safetensors").read_bytes()
    back = load_file(tmp_path / "a.safetensors")
    assert all(torch.equal(back[key], value) for key, value in tensors.items())
    encoded = safetensors_bytes(tensors, metadata)
    (length,) = struct.unpack("<Q", encoded[:8])
    assert length % 8 == 0, "the data starts 8-byte aligned"
    assert not list(tmp_path.glob(".*")), "no temporary file is left behind"


@pytest.mark.slow
def test_two_identical_training_runs_hash_the_same(tmp_path):
    """Each run in its own process (its own hash seed): safetensors' writer emitted metadata in hash-map order."""
    data = tmp_path / "tiny.npz"
    rng = np.random.default_rng(0)
    np.savez(data, images=rng.integers(0, 256, size=(32, 32, 32, 3), dtype=np.uint8))
    hashes = []
    files = ("model.safetensors", "checkpoint.safetensors")
    for run, seed in (("one", "1"), ("two", "2")):
        env = {"PATH": "", "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": seed, "ZOO_NATIVE_BF16": "0", "HOME": str(tmp_path)}
        sets = [arg for item in TINY for arg in ("--set", item)]
        command = [sys.executable, "-m", "zoo", "train", "dcgan", "--data", str(data), "--out", str(tmp_path / run)]
        result = subprocess.run(
            [*command, "--steps", "2", "--quiet", *sets], capture_output=True, text=True, timeout=300,
            env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        hashes.append({name: _sha256(tmp_path / run / name) for name in files})
    assert hashes[0] == hashes[1]
