"""torchrun -m zoo eval: two gloo processes shard the generated chunks and give one process's numbers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_npz

ARGS = ["eval", "dcgan-cifar10-32", "--metrics", "fid,kid,pr,dc", "-n", "1100", "--extractor", "zoo-cifar10-resnet",
        "--precision", "float32", "--json", "--no-progress"]  # fmt: skip


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "ZOO_HOME": str(home)}


def _one_process(data: Path, home: Path, out: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "zoo", *ARGS, "--data", str(data), "-o", str(out)]
    return subprocess.run(command, capture_output=True, text=True, env=_env(home), timeout=300)


def _two_processes(data: Path, home: Path, out: Path) -> subprocess.CompletedProcess:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
                "--master_port", str(port), "-m", "zoo"]  # fmt: skip
    command = [*launcher, *ARGS, "--data", str(data), "-o", str(out)]
    return subprocess.run(command, capture_output=True, text=True, env=_env(home), timeout=300)


@pytest.mark.slow
def test_two_ranks_give_the_numbers_of_one_process(tmp_path):
    data = write_npz(tmp_path / "real.npz", 300, 32, seed=5)
    single = _one_process(data, tmp_path / "home1", tmp_path / "one.json")
    assert single.returncode == 0, single.stderr[-2000:]
    double = _two_processes(data, tmp_path / "home2", tmp_path / "two.json")
    assert double.returncode == 0, double.stderr[-3000:]
    one = json.loads((tmp_path / "one.json").read_text())["evaluations"][0]
    two = json.loads((tmp_path / "two.json").read_text())["evaluations"][0]
    assert set(one["results"]) == set(two["results"]) >= {"fid", "kid", "precision", "recall", "density", "coverage"}
    for key, value in one["results"].items():
        assert two["results"][key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    assert two["protocol"]["ranks"] == 2 and two["protocol"]["num_generated"] == 1100
    printed = [json.loads(line) for line in [double.stdout.strip()] if line]
    assert len(printed) == 1, "rank 0 alone reports"
