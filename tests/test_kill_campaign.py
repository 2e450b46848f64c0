"""kill -9 during streamed training, again and again: resume leaves no temp file, loses no grid, ends in the same bytes.

A real ``zoo train`` process (streamed data, two DataLoader workers) is killed with SIGKILL at several
points: some between writes (after a step was reported) and some inside a write (the moment an atomic
writer's temporary file appears); each time the run is resumed with the same command plus ``--resume``. At the end
the weights files must be byte-identical to an uninterrupted run's (the run's sha256 is reproducible),
no temporary file may remain, every checkpointed step must have its sample grid, and no worker may
outlive the process it served.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

STEPS = 30
EVERY = 2
COMMAND = [
    "train", "dcgan", "--data", "d.npz", "--out", "run", "--steps", str(STEPS), "-q",
    "--set", "model.width=32", "--set", "model.z_dim=8", "--set", "batch_size=8",
    "--set", f"checkpoint_every={EVERY}", "--set", f"sample_every={EVERY}",
    "--set", "data_loading=stream", "--set", "data_workers=2",
]  # fmt: skip
KILL_AFTER_STEP = (3, 13, 24)


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def _zoo(folder: Path, *args: str) -> subprocess.Popen:
    """Start ``zoo`` in ``folder`` in its own process group (so its workers can be found afterwards)."""
    return subprocess.Popen(
        [sys.executable, "-m", "zoo", *args], cwd=folder, env=_env(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _last_step(run: Path) -> int:
    """The last step progress.jsonl records (0 before the first line)."""
    try:
        lines = (run / "progress.jsonl").read_text().splitlines()
    except FileNotFoundError:
        return 0
    steps = [json.loads(line)["step"] for line in lines if line.endswith("}")]
    return max(steps, default=0)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _temp_files(run: Path) -> list[str]:
    """Temporary files of atomic writes (``.NAME.XXXX.tmp``) in the run folder and its samples/."""
    return [p.name for p in [*run.glob(".*.tmp"), *run.glob("samples/.*.tmp")]]


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL the trainer only (not its group): its DataLoader workers must notice and exit by themselves."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    give_up = time.monotonic() + 20
    while _group_alive(process.pid) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert not _group_alive(process.pid), "a DataLoader worker outlived the killed trainer"


def _kill_after(folder: Path, args: list[str], step: int, delay: float) -> None:
    """Run until progress reports ``step`` (or the run ends), wait ``delay`` s, then kill."""
    process = _zoo(folder, *args)
    deadline = time.monotonic() + 120
    while _last_step(folder / "run") < step and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    _kill(process)


def _kill_in_a_write(folder: Path, args: list[str]) -> bool:
    """Run until an atomic write's temporary file appears, then kill; True if the kill left it behind."""
    process = _zoo(folder, *args)
    run, deadline = folder / "run", time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline and not _temp_files(run):
        time.sleep(0.0002)
    _kill(process)
    return bool(_temp_files(run))


@pytest.mark.slow
def test_kill_9_campaign_resumes_to_the_same_bytes_with_no_temp_file_and_every_grid(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 256, size=(96, 32, 32, 3), dtype=np.uint8)
    for folder in ("straight", "killed"):
        (tmp_path / folder).mkdir()
        np.savez(tmp_path / folder / "d.npz", images=images)
    straight = _zoo(tmp_path / "straight", *COMMAND)
    rng, cut_writes = random.Random(0), 0
    for index, step in enumerate(KILL_AFTER_STEP):
        resume = ["--resume"] if index else []
        _kill_after(tmp_path / "killed", COMMAND + resume, step, rng.uniform(0, 0.05))
        cut_writes += _kill_in_a_write(tmp_path / "killed", [*COMMAND, "--resume"])
    assert cut_writes, "no kill landed inside a write, so the campaign proved nothing about temp files"
    resumed = _zoo(tmp_path / "killed", *COMMAND, "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert straight.wait(timeout=300) == 0, straight.stderr.read()
    run, reference = tmp_path / "killed" / "run", tmp_path / "straight" / "run"
    for name in ("model.safetensors", "checkpoint.safetensors"):
        assert (run / name).read_bytes() == (reference / name).read_bytes(), f"{name} differs after the kills"
    leftovers = [p.name for p in run.rglob("*") if ".tmp" in p.name or p.name.startswith(".")]
    assert not leftovers, leftovers
    grids = sorted(p.name for p in (run / "samples").glob("step-*.png"))
    assert grids == [f"step-{s:06d}.png" for s in range(EVERY, STEPS + 1, EVERY)]
