"""Helpers of the hub tests: an olah server, git mirrors, runs, and zoo subprocesses.

Fixtures using them live in conftest.py; this module has a unique name so test modules can
import it without clashing with tests/conftest.py.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from zoo.hub.local import LocalHub as HubServer  # noqa: F401  (the server plugin authors get from zoo.testing)
from zoo.hub.local import free_port, git  # noqa: F401

ORG = "gan-zoo-test"
LOAD_OR_ERROR = """
import sys, zoo
download = {"on": True, "off": False, "env": None}[sys.argv[2]]
for name in sys.argv[1].split(","):
    try:
        handle = zoo.load(name, download=download)
    except zoo.ZooError as exc:
        print("ZOOERROR", exc)
    else:
        print("LOADED", handle.checkpoint.name, handle.checkpoint.revision)
"""
TEST_PLUGIN = '''\
"""Test-only plugin: registers every card found in $ZOO_TEST_CARDS."""
import os
import shutil
from pathlib import Path

from zoo import hookimpl

ZOO_PLUGIN_API = 1


@hookimpl
def register_checkpoints(register):
    from zoo.cards import checkpoint_from_card

    folder = os.environ.get("ZOO_TEST_CARDS")
    for card in sorted(Path(folder).glob("*.md")) if folder else []:
        register(checkpoint_from_card(card))
'''


def make_run(root: Path, width: int, z_dim: int, seed: int = 0) -> Path:
    """A training run directory as 'zoo train dcgan' leaves it, with random weights."""
    import torch
    from PIL import Image
    from zoo.weights import save_weights
    from zoo_dcgan.model import Generator

    root.mkdir(parents=True)
    torch.manual_seed(seed)
    config = {"resolution": 32, "z_dim": z_dim, "width": width, "channels": 3}
    save_weights(root / "model.safetensors", Generator(**config).state_dict(), family="dcgan", config=config)
    data = root / "data.npz"
    data.write_bytes(b"stand-in for a dataset file " * 64)
    command = f"zoo train dcgan --data {data} --out {root} --steps 1 --set model.width={width}"
    (root / "train_config.json").write_text(json.dumps({"data": str(data), "command": command, "steps": 1}))
    (root / "metrics.json").write_text(
        json.dumps({"protocol": "FID-1k against the train split (test fixture)", "fid": 123.4})
    )
    (root / "samples").mkdir()
    Image.new("RGB", (34, 34), (200, 30, 30)).save(root / "samples" / "final.png")
    return root


@dataclass
class Result:
    """What a subprocess did."""

    returncode: int
    stdout: str
    stderr: str


@dataclass
class Zoo:
    """Runs zoo commands and Python snippets against the test server with an isolated HF_HOME."""

    env: dict[str, str]
    home: Path
    cards: Path
    cwd: Path

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120, **popen) -> Result:
        """``python -m zoo ARGS``."""
        return self._run([sys.executable, "-m", "zoo", *args], env, timeout, **popen)

    def python(self, code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 180) -> Result:
        """Run a Python snippet with ``args`` in ``sys.argv[1:]``."""
        return self._run([sys.executable, "-c", code, *args], env, timeout)

    def _run(self, command: list[str], env: dict[str, str] | None, timeout: float, **popen) -> Result:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
            timeout=timeout,
            **popen,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start ``python -m zoo ARGS`` without waiting."""
        return subprocess.Popen(
            [sys.executable, "-m", "zoo", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
        )

    @property
    def repos(self) -> Path:
        """Where huggingface_hub caches model repos for this test."""
        return self.home / "hub"

    def blobs(self, repo_id: str) -> list[Path]:
        """Files in the cache's blob store of ``repo_id``."""
        folder = self.repos / f"models--{repo_id.replace('/', '--')}" / "blobs"
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def register(self, folder: Path, repo_id: str | None, revision: str | None, changes: dict | None = None) -> str:
        """Register the card of a pushed ``folder`` as a checkpoint pinned to ``repo_id@revision``.

        ``changes`` edits other zoo fields of the card; a None value (like a None repo or revision) removes the field.
        """
        import yaml
        from zoo.cards import split_card

        meta, body = split_card((folder / "README.md").read_text(), "README.md")
        for key, value in {"repo_id": repo_id, "revision": revision, **(changes or {})}.items():
            if value is None:
                meta["zoo"].pop(key, None)
            else:
                meta["zoo"][key] = value
        name = meta["zoo"]["name"]
        (self.cards / f"{name}.md").write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n{body}")
        return name


class StallingProxy:
    """A TCP proxy that forwards ``limit`` bytes of responses per connection, then goes silent.

    Stands in for a network that dies in the middle of a download.
    """

    def __init__(self, upstream_port: int, limit: int) -> None:
        self.upstream_port, self.limit = upstream_port, limit
        self.stalled = threading.Event()
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self.limit), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while not self._stop.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) > limit:
                    target.sendall(data[: limit - sent])
                    self.stalled.set()
                    self._stop.wait()
                    break
                target.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._server.close()
