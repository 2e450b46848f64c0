"""A dataset several times larger than the training process's memory limit trains, resumes to the bit and evaluates.

The limit is a memory cgroup (v1 or v2) where this machine lets the test create one (root in a
container, as on the CI machines): 800 MB for the whole process, charged for everything it touches,
against 3.4 GB of images. Elsewhere it is RLIMIT_AS set after torch's start-up (whose address space
is ~3 GB of mostly unbacked reservations): start-up plus 700 MiB, against the same 3.4 GB.
The same limit kills the in-memory loader, so the limit is known to bind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

pytestmark = pytest.mark.slow

IMAGES = 1_200_000  # 32x32 RGB: 3.4 GB of uint8
CGROUP_LIMIT = 800 * 10**6
RLIMIT_HEADROOM = 700 * 2**20
TINY = ["--set", "batch_size=8", "--set", "model.width=4", "--set", "model.z_dim=8", "--set", "checkpoint_every=2"]

# Runs ``python -m zoo ARGS`` after capping the address space at start-up + headroom (when asked).
WRAPPER = """
import resource, runpy, sys
headroom = int(sys.argv[1])
if headroom:
    import torch, zoo.training.trainer, zoo.metrics.evaluate  # what a run maps anyway, before the cap
    size = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + headroom, resource.RLIM_INFINITY))
sys.argv = ["zoo", *sys.argv[2:]]
runpy.run_module("zoo", run_name="__main__")
"""


def _write_big_npz(path: Path) -> None:
    """An uncompressed .npz of IMAGES random 32x32 images, written in chunks (never whole in memory)."""
    chunk = np.random.default_rng(0).integers(0, 256, (20_000, 32, 32, 3), dtype=np.uint8)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("images.npy", "w", force_zip64=True) as member:
            header = {"descr": "|u1", "fortran_order": False, "shape": (IMAGES, 32, 32, 3)}
            np.lib.format.write_array_header_2_0(member, header)
            for start in range(0, IMAGES, len(chunk)):
                chunk[:, 0, 0, 0] = np.arange(start, start + len(chunk)) % 256  # not one block repeated
                member.write(chunk.tobytes())


def _cgroup(name: str) -> Path | None:
    """A fresh memory cgroup limited to CGROUP_LIMIT, or None where this process may not create one
    (or where ZOO_TEST_MEMORY_LIMIT=rlimit asks for the fallback)."""
    if os.environ.get("ZOO_TEST_MEMORY_LIMIT") == "rlimit":
        return None
    v1, v2 = (Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes"), (Path("/sys/fs/cgroup"), "memory.max")
    for root, limit_file in (v1, v2):
        group = root / name
        try:
            if not (root / limit_file).exists() and limit_file == "memory.limit_in_bytes":
                continue
            group.mkdir(exist_ok=True)
            (group / limit_file).write_text(str(CGROUP_LIMIT))
            if (group / "memory.swap.max").exists():
                (group / "memory.swap.max").write_text("0")
            return group
        except OSError:
            try:
                group.rmdir()
            except OSError:
                pass
    return None


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[tuple[Callable[..., subprocess.CompletedProcess], Path, str]]:
    """(run zoo ARGS under the limit, the big dataset, how the limit is imposed); the data is deleted after."""
    root = tmp_path_factory.mktemp("limited")
    data = root / "big.npz"
    _write_big_npz(data)
    group = _cgroup(f"zoo-test-{os.getpid()}")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "ZOO_HOME": str(root / "zoo-home")}

    def run(*args: str, limit: bool = True) -> subprocess.CompletedProcess:
        headroom = RLIMIT_HEADROOM if limit and group is None else 0

        def enter_cgroup() -> None:
            if limit and group is not None:
                (group / "cgroup.procs").write_text(str(os.getpid()))

        command = [sys.executable, "-c", WRAPPER, str(headroom), *args]
        return subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=600, preexec_fn=enter_cgroup
        )

    try:
        yield run, data, f"cgroup {group}" if group else "RLIMIT_AS"
    finally:
        data.unlink()
        if group is not None:
            group.rmdir()


def test_a_run_larger_than_its_memory_limit_trains_resumes_to_the_bit_and_evaluates(limited):
    run, data, how = limited
    assert data.stat().st_size > 4 * CGROUP_LIMIT
    train = ["train", "dcgan", "--data", str(data), "--steps", "4", *TINY]

    first = run(*train, "--out", "split", "--until", "2")
    assert first.returncode == 0, (how, first.stderr[-2000:])
    assert "data: streamed by 2 DataLoader workers (1,200,000 images;" in first.stderr  # auto chose to stream
    resumed = run(*train, "--out", "split", "--resume")
    assert resumed.returncode == 0, (how, resumed.stderr[-2000:])
    straight = run(*train, "--out", "straight", "--set", "data_loading=stream", limit=False)
    assert straight.returncode == 0, straight.stderr[-2000:]
    root = data.parent
    for name in ("model.safetensors", "checkpoint.safetensors"):
        ours, theirs = load_file(root / "split" / name), load_file(root / "straight" / name)
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[key], theirs[key]) for key in ours), name

    evaluation = run(
        "eval", "split", "--data", str(data), "--metrics", "kid", "-n", "300",
        "--extractor", "zoo-cifar10-resnet", "--no-progress",
    )  # fmt: skip
    assert evaluation.returncode == 0, (how, evaluation.stderr[-2000:])
    assert "KID (zoo-cifar10-resnet features)" in evaluation.stdout
    assert "random 300 of 1,200,000 images" in evaluation.stdout

    in_memory = run(*train, "--out", "memory", "--set", "data_loading=memory")
    assert in_memory.returncode != 0, f"the {how} limit did not bind: the in-memory loader fit"
