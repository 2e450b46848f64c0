"""SIGTERM and SIGINT stop training between steps: checkpoint kept, one line saying how to resume."""

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

SETS = ["batch_size=8", "model.width=4", "model.z_dim=8", "log_every=1", "sample_every=1000", "checkpoint_every=1000"]


def _train(tmp_path: Path, *extra: str) -> subprocess.Popen:
    args = ["train", "dcgan", "--data", "tiny.npz", "--out", "run", "--steps", "100000", "--quiet", *extra]
    for item in SETS:
        args += ["--set", item]
    return subprocess.Popen(
        [sys.executable, "-m", "zoo", *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_steps(run: Path, proc: subprocess.Popen, steps: int = 3) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        log = run / "progress.jsonl"
        if log.exists() and len(log.read_text().splitlines()) >= steps:
            return
        time.sleep(0.2)
    raise AssertionError(f"training did not reach step {steps}: {proc.communicate()}")


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.slow
def test_a_signal_keeps_the_checkpoint_and_says_how_to_resume(tmp_path, signal_number):
    np.savez(tmp_path / "tiny.npz", images=np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3), np.uint8))
    proc = _train(tmp_path)
    _wait_for_steps(tmp_path / "run", proc)
    os.kill(proc.pid, signal_number)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal_number, (stdout, stderr)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith(f"stopped by {signal.Signals(signal_number).name} at step"), lines[0]  # no "Error:"
    assert "--resume" in lines[0] and "--steps 100000" in lines[0]
    step = json.loads((tmp_path / "run" / "progress.jsonl").read_text().splitlines()[-1])["step"]
    assert f"at step {step};" in lines[0]
    from zoo.weights import read_step

    assert read_step(tmp_path / "run" / "model.safetensors") == step  # saved at the step it stopped at
    resumed = subprocess.run(
        [sys.executable, "-m", "zoo", "train", "dcgan", "--data", "tiny.npz", "--out", "run", "--resume"]
        + ["--until", str(step + 2), "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"step {step + 2}/100000: checkpoint saved" in resumed.stdout  # --quiet still reports milestones


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_clean_stop_is_a_plain_line_not_an_error(zoo_here, monkeypatch, signal_number):
    """The CLI once printed 'Error: stopped by SIGTERM …' for a stop that saved its checkpoint as asked."""
    from zoo.errors import Interrupted
    from zoo.training import job

    name = signal.Signals(signal_number).name
    message = f"stopped by {name} at step 7; checkpoint saved in run: continue with zoo train dcgan --resume"

    def stopped(*args: object, **kwargs: object) -> None:
        raise Interrupted(message, signal_number)

    monkeypatch.setattr(job, "train", stopped)
    code, out, err = zoo_here("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--quiet")
    assert code == 128 + signal_number and out == ""
    assert err == message + "\n", err
