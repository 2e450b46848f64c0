"""Shared fixtures: run the real ``zoo`` CLI in a subprocess, and install throwaway plugins."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from zoo.hardware import NATIVE_BF16_ENV
from zoo.processes import free_port
from zoo.registry import reset_registry


@dataclass
class CliResult:
    """What a ``zoo`` subprocess did."""

    returncode: int
    stdout: str
    stderr: str


def _env(extra_paths: list[Path], env: dict[str, str] | None) -> dict[str, str]:
    """The parent environment, offline, with ``extra_paths`` first on PYTHONPATH."""
    # ZOO_* settings of the caller do not leak in, except the pinned CPU answer (zoo.testing) and the
    # suite's own cache folder (_private_zoo_home)
    kept = (NATIVE_BF16_ENV, "ZOO_HOME")
    merged = {k: v for k, v in os.environ.items() if not k.startswith("ZOO_") or k in kept}
    merged["HF_HUB_OFFLINE"] = "1"
    paths = [str(p) for p in extra_paths] + ([merged["PYTHONPATH"]] if merged.get("PYTHONPATH") else [])
    if paths:
        merged["PYTHONPATH"] = os.pathsep.join(paths)
    merged.update(env or {})
    return merged


@pytest.fixture(autouse=True, scope="session")
def _private_zoo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite caches feature statistics under a ZOO_HOME of its own: no test reads or writes the user's."""
    home = tmp_path_factory.mktemp("zoo-home")
    previous = os.environ.get("ZOO_HOME")
    os.environ["ZOO_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("ZOO_HOME", None)
    else:
        os.environ["ZOO_HOME"] = previous


@pytest.fixture
def zoo_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run ``python -m zoo ARGS`` in a subprocess; ``plugins=`` adds installed plugin dirs."""

    def run(
        *args: str, plugins: list[Path] = (), env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "zoo", *args],
            capture_output=True,
            text=True,
            env=_env(list(plugins), env),
            cwd=cwd or tmp_path,
            timeout=300,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


def _assert_clean_error(result: Any, *fragments: str) -> str:
    """A user error: exit code 2, one line on stderr mentioning ``fragments``, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def clean_error() -> Callable[..., str]:
    """``clean_error(result, *fragments)`` asserts a one-line, exit-2, traceback-free error; returns it."""
    return _assert_clean_error


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.0.1"

[project.entry-points.gan_zoo]
{entry} = "{module}"

[tool.setuptools]
py-modules = ["{module}"]
"""


@pytest.fixture(scope="session")
def install_plugin(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, str], Path]:
    """Build and pip-install a one-module plugin distribution into its own target directory.

    The result is a real distribution with a real ``gan_zoo`` entry point; put the returned
    directory on PYTHONPATH (``zoo_cli(..., plugins=[dir])``) to make it visible.
    """
    cache: dict[str, Path] = {}

    def install(dist: str, module: str, source: str) -> Path:
        if dist in cache:
            return cache[dist]
        root = tmp_path_factory.mktemp(f"src-{dist}")
        (root / "pyproject.toml").write_text(_PYPROJECT.format(dist=dist, entry=module, module=module))
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        target = tmp_path_factory.mktemp(f"site-{dist}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--target",
                str(target),
                str(root),
            ],
            check=True,
            capture_output=True,
        )
        cache[dist] = target
        return target

    return install


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch):
    """Clear the cached registry before and after a test that changes plugin selection."""
    for variable in ("ZOO_LOAD_PLUGINS", "ZOO_DISABLE_PLUGINS", "ZOO_STRICT_PLUGINS"):
        monkeypatch.delenv(variable, raising=False)
    reset_registry()
    yield
    reset_registry()


@pytest.fixture
def zoo_here(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """``zoo_here(*args)`` runs the CLI in this process (no torch import per call): (exit code, stdout, stderr)."""
    from zoo.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["zoo", *args])  # what a training run records as its command
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    """Launch two CPU processes with torchrun (gloo) on a free loopback port."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    port = free_port()
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    command = [*launcher, "--master_addr", "127.0.0.1", "--master_port", str(port), *args]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    stderr = proc.stderr if len(proc.stderr) < 6000 else f"{proc.stderr[:3000]}\n...\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n{stderr}"
    return proc


@pytest.fixture
def torchrun() -> Callable[..., subprocess.CompletedProcess]:
    """``torchrun(*args)``: two CPU ranks (gloo) running ``args``; asserts they exit 0, returns the process."""
    return _torchrun
