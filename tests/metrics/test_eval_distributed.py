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


@pytest.mark.slow
def test_an_error_on_rank_0_stops_every_rank_in_one_line(tmp_path):
    """Unlabelled data fails intra-class FID on rank 0 while rank 1 generates: both leave, none hangs."""
    data = write_npz(tmp_path / "real.npz", 300, 32, seed=5)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(port), "-m", "zoo", "eval", "biggan-lite-cifar10-32", "--data", str(data),
               "--metrics", "ifid", "-n", "600", "--extractor", "zoo-cifar10-resnet", "--no-progress"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=_env(tmp_path / "home"), timeout=240)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert errors and all("need class labels, but" in line for line in errors), done.stderr[-2000:]
