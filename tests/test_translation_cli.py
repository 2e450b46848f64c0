"""``zoo train pix2pix`` / ``zoo train cyclegan`` from a shell: stopped by SIGTERM, resumed to the bit.

The real plugins at their tiny sizes, on pairs in A/ and B/ folders (Pix2Pix) and on two domains in an .npz
(CycleGAN's trainA/trainB). A run stopped by SIGTERM and resumed ends with the same checkpoint, image pool
included, as one that never stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from zoo.weights import load_tensors

TINY = {
    "pix2pix": ["model.resolution=32", "model.width=4", "model.d_layers=2", "batch_size=2"],
    "cyclegan": ["model.resolution=32", "model.width=4", "model.n_blocks=1", "model.d_layers=2", "pool_size=4"],
}
LOGGING = ["log_every=1", "sample_every=1000", "checkpoint_every=1000", "load_size=36"]


def _pairs_folder(root: Path) -> str:
    """A/ and B/ with the same file names: an edge-like grey input and its colour target."""
    rng = np.random.default_rng(0)
    for side in ("A", "B"):
        (root / "pairs" / side).mkdir(parents=True)
    for i in range(6):
        colour = rng.integers(0, 256, (36, 36, 3), dtype=np.uint8)
        Image.fromarray(colour).save(root / "pairs" / "B" / f"{i}.png")
        Image.fromarray(colour.mean(-1).astype(np.uint8)).save(root / "pairs" / "A" / f"{i}.png")
    return "pairs"


def _domains(root: Path) -> str:
    rng = np.random.default_rng(1)
    np.savez(
        root / "domains.npz",
        trainA=rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8),
        trainB=rng.integers(0, 256, (7, 32, 32, 3), dtype=np.uint8),
    )
    return "domains.npz"


def _command(family: str, data: str, out: str, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "zoo", "train", family, "--data", data, "--out", out, "--steps", "100000", "--quiet"]
    for item in TINY[family] + LOGGING:
        args += ["--set", item]
    return args + list(extra)


def _steps_logged(run: Path) -> int:
    log = run / "progress.jsonl"
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.parametrize("family", ["pix2pix", "cyclegan"])
@pytest.mark.slow
def test_sigterm_stops_a_translation_run_and_resume_ends_where_a_straight_run_does(tmp_path, family):
    data = _pairs_folder(tmp_path) if family == "pix2pix" else _domains(tmp_path)
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        _command(family, data, "stopped"), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while _steps_logged(tmp_path / "stopped") < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip().startswith("stopped by SIGTERM at step") and "--resume" in stderr, stderr
    stopped_at = json.loads((tmp_path / "stopped" / "progress.jsonl").read_text().splitlines()[-1])["step"]
    until = str(stopped_at + 3)
    resumed = subprocess.run(
        _command(family, data, "stopped", "--resume", "--until", until), cwd=tmp_path, capture_output=True, text=True,
        env=env, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    straight = subprocess.run(
        _command(family, data, "straight", "--until", until), cwd=tmp_path, capture_output=True, text=True, env=env,
        timeout=300,
    )  # fmt: skip
    assert straight.returncode == 0, straight.stderr
    first = load_tensors(tmp_path / "straight" / "checkpoint.safetensors")
    second = load_tensors(tmp_path / "stopped" / "checkpoint.safetensors")
    assert first.keys() == second.keys()
    assert [key for key in first if not torch.equal(first[key], second[key])] == []
    record = json.loads((tmp_path / "stopped" / "train_config.json").read_text())
    assert record["resumed"][0]["step"] == stopped_at


@pytest.mark.parametrize("family", ["pix2pix", "cyclegan"])
@pytest.mark.slow
def test_torchrun_trains_a_translator_on_two_ranks(tmp_path, family, torchrun):
    """Two CPU ranks: one forward per optimiser step keeps DDP's gradient sync whole; rank 0 alone writes."""
    data = str(tmp_path / (_pairs_folder(tmp_path) if family == "pix2pix" else _domains(tmp_path)))
    run = tmp_path / "run"
    command = _command(family, data, str(run), "--until", "2")[3:]  # drop "python -m zoo": torchrun runs -m zoo
    proc = torchrun("-m", "zoo", *command)
    assert proc.stdout.count(f"trained {family} to step 2") == 1, proc.stdout
    assert [json.loads(line)["step"] for line in (run / "progress.jsonl").read_text().splitlines()] == [1, 2]
    import zoo

    handle = zoo.load(str(run))
    assert handle.translate(torch.rand(1, handle.translator()[2][0], 32, 32)).shape == (1, 3, 32, 32)
