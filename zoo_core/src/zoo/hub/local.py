"""A real Hugging Face Hub-compatible server on loopback, for tests: olah in offline mode over local git repos.

The zoo's own Hub tests and plugin authors' tests use the same server, so ``zoo push`` folders
can be published, pulled with ``zoo pull hf-hub:ORG/REPO`` and loaded with ``zoo.load`` without
the network, through the real ``huggingface_hub`` client (never a mock)::

    from zoo.hub.local import local_hub

    with local_hub() as hub:
        commit = hub.publish(Path("pushed"), "me/my-gan")     # a folder written by `zoo push --out`
        env = hub.env(tmp_path)                               # HF_ENDPOINT (+ an empty HF_HOME) for subprocesses

Needs ``olah`` (``pip install olah``) and git. Layout olah serves:
``<mirrors>/models/<org>/<repo>`` (and ``datasets/``), a git repository whose branch ``main`` holds the files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from zoo.errors import ZooError
from zoo.processes import free_port, stop, wait_until_serving


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` without the user's or the system's configuration."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    identity = ["-c", "user.name=zoo-tests", "-c", "user.email=tests@example.invalid", "-c", "commit.gpgsign=false"]
    command = ["git", *identity, *args]
    return subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


@dataclass
class LocalHub:
    """A running olah and the git mirrors it serves."""

    url: str
    mirrors: Path
    process: subprocess.Popen

    def publish(
        self,
        folder: Path | None,
        repo_id: str,
        changes: dict[str, bytes | str | None] | None = None,
        repo_type: str = "model",
    ) -> str:
        """Commit the files of ``folder`` (a ``zoo push --out`` folder) plus ``changes`` (None deletes; names may
        hold sub-folders) on ``main`` of ``repo_id``; return the commit, which a card pins as its revision.
        ``repo_type="dataset"`` publishes a dataset repo, read with ``--data hf:ORG/NAME``."""
        if repo_type not in ("model", "dataset"):
            raise ZooError(f"repo_type must be 'model' or 'dataset', got {repo_type!r}")
        repo = self.mirrors / f"{repo_type}s" / repo_id
        if not (repo / ".git").exists():
            repo.mkdir(parents=True)
            git(repo, "init", "-q", "-b", "main")
        for path in sorted(folder.iterdir()) if folder else []:
            if path.is_file() and (path.suffix != ".md" or path.name == "README.md"):
                shutil.copyfile(path, repo / path.name)
        for name, content in (changes or {}).items():
            if content is None:
                (repo / name).unlink()
            else:
                (repo / name).parent.mkdir(parents=True, exist_ok=True)
                (repo / name).write_bytes(content.encode() if isinstance(content, str) else content)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "publish")
        return git(repo, "rev-parse", "HEAD")

    def env(self, home: Path) -> dict[str, str]:
        """Environment for a zoo process that talks to this server with an empty Hub cache under ``home``."""
        return {"HF_ENDPOINT": self.url, "HF_HOME": str(Path(home) / "hf-home"), "HF_HUB_OFFLINE": "0"}


@contextlib.contextmanager
def local_hub(root: Path | None = None, timeout: float = 60.0) -> Iterator[LocalHub]:
    """Start olah on a free loopback port in offline mode over an empty mirrors folder; stop it on exit."""
    try:
        import olah  # noqa: F401
    except ImportError:
        raise ZooError("the local Hub needs olah: pip install olah") from None
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zoo-local-hub-")))
        mirrors = root / "mirrors"
        (mirrors / "models").mkdir(parents=True, exist_ok=True)
        port = free_port()
        config = root / "olah.toml"
        config.write_text(
            "[basic]\n"
            f'host = "127.0.0.1"\nport = {port}\n'
            f"repos-path = {json.dumps(str(root / 'repos'))}\n"
            f"mirrors-path = [{json.dumps(str(mirrors))}]\n"
            "metadata-cache-ttl = 0\n"
            "[accessibility]\noffline = true\n"
        )
        log = root / "olah.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "olah.server", "-c", str(config), "--log-path", str(root / "logs")],
                cwd=root,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            probe = f"{url}/api/models/zoo/absent/revision/main"  # any HTTP answer means olah is up
            wait_until_serving(
                probe, process, timeout, any_status=True, said=lambda: log.read_text(errors="replace")[-500:]
            )
            yield LocalHub(url, mirrors, process)
        finally:
            stop(process, timeout=10)
