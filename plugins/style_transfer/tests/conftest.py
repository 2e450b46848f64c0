"""Tiny pictures and a tiny random feature network, made inside the tests (no shared data needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from styletools import TINY_BACKBONE, TINY_LAYERS, picture


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread is faster, and on a busy machine two threads spin-wait (20x slower)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """content.png (40x32), style.png (48x48) and a folder of four content photos."""
    root = tmp_path_factory.mktemp("pictures")
    folder = root / "photos"
    folder.mkdir()
    for index in range(4):
        picture(folder / f"photo{index}.jpg", (48, 40), seed=10 + index)
    return {
        "content": picture(root / "content.png", (40, 32), seed=1),
        "style": picture(root / "style.png", (48, 48), seed=2),
        "folder": folder,
    }


@pytest.fixture(scope="session")
def tiny_features():
    """A random-weight feature network small enough for many optimisation steps per second."""
    import torch
    from zoo_style_transfer.features import FeatureNet

    with torch.random.fork_rng():  # the same random network whatever ran before (test order must not matter)
        torch.manual_seed(0)
        return FeatureNet(TINY_BACKBONE, pretrained=False, **TINY_LAYERS)
