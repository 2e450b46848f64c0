"""Release, step 1: stage the workspace's distributions, build their sdists and wheels, and check them.

The distributions are built from a staged copy, never from the checkout itself: the copy resolves the
links of each plugin's ``cards/`` folder into files (so an sdist carries its cards), takes the revisions
that publishing pins into the cards, and, with ``lean=True``, drops the bundled weights, so the plugin
wheels pull every checkpoint from the Hub at its pinned commit instead of carrying it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
ROOT_FILES = ("pyproject.toml", "README.md", "LICENSE")  # the gan-zoo meta distribution is only these
SKIPPED = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", "*.pyc")
WEIGHTS_SUFFIX = ".safetensors"


class ReleaseError(Exception):
    """A release step that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Distribution:
    """One distribution of the workspace: its name on the index and its folder (relative to the root)."""

    name: str
    folder: Path


def _project_name(pyproject: Path) -> str:
    """``[project].name`` of a pyproject.toml."""
    with pyproject.open("rb") as handle:
        return str(tomllib.load(handle)["project"]["name"])


def distributions(root: Path = ROOT) -> list[Distribution]:
    """Every first-party distribution: zoo-core, each plugin under plugins/, and the gan-zoo meta package.

    examples/ is left out on purpose: it shows a third party's plugin and is not ours to publish.
    """
    folders = [root / "zoo_core", *sorted(p for p in (root / "plugins").iterdir() if (p / "pyproject.toml").is_file())]
    found = [Distribution(_project_name(f / "pyproject.toml"), f.relative_to(root)) for f in folders]
    return [*found, Distribution(_project_name(root / "pyproject.toml"), Path("."))]


def stage(target: Path, root: Path = ROOT) -> Path:
    """Copy every distribution's sources into ``target`` (links followed), replacing what was there."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for dist in distributions(root):
        if dist.folder == Path("."):
            for name in ROOT_FILES:
                shutil.copy2(root / name, target / name)
        else:
            shutil.copytree(root / dist.folder, target / dist.folder, symlinks=False, ignore=SKIPPED)
    return target


def bundled_weights(staged: Path) -> list[Path]:
    """The weights files the staged plugins would ship in their wheels."""
    return sorted((staged / "plugins").glob(f"*/src/*/weights/*{WEIGHTS_SUFFIX}"))


def drop_weights(staged: Path) -> list[Path]:
    """Remove the plugins' bundled weights from the stage (lean wheels); return what was removed."""
    removed = bundled_weights(staged)
    for path in removed:
        path.unlink()
    return removed


def build(staged: Path, out: Path, python: str = sys.executable) -> list[Path]:
    """Build the sdist, then the wheel from that sdist, of every staged distribution into ``out``.

    Building the wheel from the sdist (``python -m build``'s default) proves the sdist is complete.
    ``--no-isolation``: the build backend (hatchling) comes from this environment, not from a download.
    """
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.iterdir())
    for dist in distributions(staged):
        command = [python, "-m", "build", "--no-isolation", "--outdir", str(out), str(staged / dist.folder)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise ReleaseError(f"building {dist.name} failed:\n{(result.stdout + result.stderr)[-2000:]}")
    return sorted(set(out.iterdir()) - before)


def twine_check(files: list[Path], python: str = sys.executable) -> None:
    """``twine check --strict``: the metadata and README of every file render on an index."""
    result = subprocess.run(
        [python, "-m", "twine", "check", "--strict", *map(str, files)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise ReleaseError(f"twine check failed:\n{(result.stdout + result.stderr)[-2000:]}")


def wheel_weights(wheel: Path) -> list[str]:
    """The weights files inside a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return sorted(n for n in archive.namelist() if n.endswith(WEIGHTS_SUFFIX))


def wheel_for(dist: Distribution, files: list[Path]) -> Path:
    """The wheel built for ``dist`` among ``files``."""
    prefix = dist.name.replace("-", "_") + "-"
    wheels = [f for f in files if f.suffix == ".whl" and f.name.startswith(prefix)]
    if len(wheels) != 1:
        raise ReleaseError(f"expected one wheel of {dist.name}, found {[w.name for w in wheels]}")
    return wheels[0]
