"""Fixtures of the metrics tests: a private zoo cache, random Inception weights served on loopback."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from metrics_helpers import random_inception_state, register_pixels, save_pth
from zoo.weights import sha256_file

register_pixels()


@pytest.fixture
def zoo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ZOO_HOME, so no test reads or writes the user's cache."""
    home = tmp_path / "zoo-home"
    monkeypatch.setenv("ZOO_HOME", str(home))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    for variable in ("ZOO_INCEPTION_URL", "ZOO_INCEPTION_SHA256"):
        monkeypatch.delenv(variable, raising=False)
    return home


@pytest.fixture(scope="session")
def inception_state() -> dict:
    """Random, calibrated FID-Inception weights (made once per session)."""
    return random_inception_state(seed=0)


@pytest.fixture(scope="session")
def inception_pth(tmp_path_factory: pytest.TempPathFactory, inception_state: dict) -> tuple[Path, str]:
    """The random weights as a torch.save'd .pth, named like pytorch-fid's file, and its sha256."""
    path = save_pth(inception_state, tmp_path_factory.mktemp("pth") / "pt_inception-2015-12-05-6726825d.pth")
    return path, sha256_file(path)


@pytest.fixture(scope="session")
def http_root(inception_pth: tuple[Path, str]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving the .pth's directory; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(inception_pth[0].parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def inception_env(zoo_home: Path, inception_pth: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment that points the zoo at the random weights (file:// URL) in a private ZOO_HOME."""
    env = {
        "ZOO_HOME": str(zoo_home),
        "ZOO_INCEPTION_URL": inception_pth[0].as_uri(),
        "ZOO_INCEPTION_SHA256": inception_pth[1],
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def write_npz(path: Path, n: int, size: int, seed: int = 0) -> Path:
    """A tiny dataset of smooth random images (uint8, N x size x size x 3) in the zoo's npz layout."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(n, 4, 4, 3)).astype(np.float32)
    images = base.repeat(size // 4, axis=1).repeat(size // 4, axis=2) + rng.normal(0, 12, size=(n, size, size, 3))
    np.savez(path, images=np.clip(images, 0, 255).astype(np.uint8))
    return path


@pytest.fixture(scope="session")
def tiny_cifar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 random 32x32 RGB images."""
    return write_npz(tmp_path_factory.mktemp("data") / "tiny32.npz", 300, 32)
