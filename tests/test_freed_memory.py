"""zoo train keeps the memory a step frees for the next step (glibc), unless the user set glibc's own switches."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from zoo.hardware import GLIBC_MALLOC_ENV

# In a fresh interpreter: page faults of four training steps (after three) of a small conv net with 8 MB feature maps.
FAULTS = """
import json, resource, sys
from zoo.hardware import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else False
import torch
torch.set_num_threads(1)
net = torch.nn.Sequential(*(torch.nn.Conv2d(c, 16, 3, padding=1) for c in (3, 16, 16)))
images = torch.randn(8, 3, 128, 128)
def step():
    net(images).square().mean().backward()
for _ in range(3):  # the first steps still grow the heap (.grad buffers, allocator caches): count from the steady state
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(4):
    step()
print(json.dumps({"kept": kept, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""

glibc_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None, reason="glibc's mallopt only"
)


def _faults(setting: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in GLIBC_MALLOC_ENV and k != "THP_MEM_ALLOC_ENABLE"}
    result = subprocess.run(
        [sys.executable, "-c", FAULTS, setting], capture_output=True, text=True, env={**clean, **env}, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@glibc_linux
def test_a_steps_freed_feature_maps_are_reused_instead_of_faulted_in_again():
    map_pages = 8 * 16 * 128 * 128 * 4 // os.sysconf("SC_PAGE_SIZE")
    plain, kept = _faults("plain"), _faults("keep")
    assert plain["faults"] > 4 * map_pages  # glibc's default: a step's maps are faulted in again every step
    assert kept["kept"] is True and kept["faults"] < plain["faults"] / 4  # measured: 0-2,048 against 49,000-57,000


@glibc_linux
@pytest.mark.parametrize("name", GLIBC_MALLOC_ENV)
def test_a_users_own_glibc_setting_wins(name):
    value = "glibc.malloc.trim_threshold=0" if name == "GLIBC_TUNABLES" else "65536"
    assert _faults("keep", **{name: value})["kept"] is False


def test_zoo_train_asks_for_it(tmp_path, monkeypatch):
    import zoo.hardware

    asked = []
    monkeypatch.setattr(zoo.hardware, "keep_freed_memory", lambda: asked.append(True) or True)
    data = tmp_path / "tiny.npz"
    np.savez(data, images=np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8))
    tiny = {"batch_size": 8, "model.width": 4, "model.z_dim": 8}
    zoo.train("dcgan", data, tmp_path / "run", settings=tiny, steps=1, quiet=True, say=lambda _: None)
    assert asked == [True]
