"""Release, step 3: each built wheel installed into a fresh virtual environment, imported, listed and run.

A fresh environment holds only the wheels under test (zoo-core plus one plugin, or everything for the
gan-zoo meta package), so a file missing from a wheel, an undeclared dependency or an entry point that
does not load shows up here rather than on a user's machine. By default pip resolves the third-party
dependencies from the index like a user's install; ``layer`` instead lends them from a folder (links
to this environment's packages, first-party ones left out), which takes seconds instead of minutes and
is what the test suite uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from importlib import metadata
from pathlib import Path

from release_build import Distribution, ReleaseError

# Run inside the fresh environment: list this install's checkpoints, then load and run each one named.
_SMOKE = r"""
import json, sys
import numpy as np
import zoo
from zoo.registry import get_registry

names, out = json.loads(sys.argv[1]), {}
registry = get_registry()
out["checkpoints"] = {n: s.plugin for n, s in registry.checkpoints.items()}
out["ran"] = {}
for name in names:
    handle = zoo.load(name)
    if handle.architecture.task == "image-to-image":
        in_channels = handle.translator()[2][0]  # greyscale -> colour takes grey
        image = np.random.default_rng(0).random((1, in_channels, 32, 32), dtype=np.float32)
        import torch
        result = handle.transform(torch.from_numpy(image))
    else:
        labels = [0] if handle.generator.num_classes else None
        result = handle.sample(1, seed=0, labels=labels)
    from zoo.hub.pull import local_weights
    out["ran"][name] = {"shape": list(result.shape), "weights": str(local_weights(registry.checkpoints[name]))}
print(json.dumps(out))
"""


def dependency_layer(target: Path, first_party: set[str]) -> Path:
    """A folder of links to this environment's installed packages, zoo distributions left out.

    A fresh environment that adds it to its path (one ``.pth`` line) sees the same torch, numpy, … and
    pip counts them as installed, while every zoo distribution must come from the wheels under test.
    Left out: the first-party names, any distribution with a ``gan_zoo`` entry point (a plugin, e.g. the
    example one) and any editable install.
    """
    target.mkdir(parents=True, exist_ok=True)
    site = Path(sysconfig.get_paths()["purelib"])
    skip = {name.replace("-", "_").lower() for name in first_party}
    for dist in metadata.distributions(path=[str(site)]):
        name = dist.metadata["Name"].replace("-", "_").lower()
        editable = '"editable": true' in (dist.read_text("direct_url.json") or "")
        if name in skip or editable or any(ep.group == "gan_zoo" for ep in dist.entry_points):
            continue
        for file in dist.files or ():
            top = Path(str(file)).parts[0]
            if top.endswith(".pth") or top.startswith("__editable__") or top == "..":
                continue
            source, link = site / top, target / top
            if source.exists() and not link.exists():
                link.symlink_to(source, target_is_directory=source.is_dir())
    return target


def fresh_env(folder: Path, layer: Path | None) -> Path:
    """A new virtual environment without pip (this environment's pip installs into it); return its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    if layer is not None:
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        (Path(purelib) / "zoo-release-deps.pth").write_text(f"{layer}\n")
    return python


def _pip(python: Path, *args: str) -> None:
    """This environment's pip acting on the fresh one (``pip --python``)."""
    command = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ReleaseError(
            f"pip {' '.join(args[:2])} failed in {python.parents[1]}:\n{(result.stdout + result.stderr)[-2000:]}"
        )


def install(python: Path, wheels: list[Path], layer: Path | None, constraints: Path | None) -> None:
    """Install exactly these wheel files (and, without a layer, their dependencies from the index); then pip check."""
    args = ["install", "--quiet", *map(str, wheels)]
    if layer is not None:
        args.insert(1, "--no-index")  # every dependency must already be in the layer
    elif constraints is not None:
        args[1:1] = ["-c", str(constraints)]
    _pip(python, *args)
    _pip(python, "check")


def smoke(python: Path, run: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:
    """Run ``_SMOKE`` in the fresh environment: the checkpoints it lists and what running ``run`` gave."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    result = subprocess.run(
        [str(python), "-c", _SMOKE, json.dumps(run)],
        capture_output=True, text=True, env={**base, "ZOO_STRICT_PLUGINS": "1", **(env or {})},
        cwd=cwd or tempfile.gettempdir(),
    )  # fmt: skip
    if result.returncode != 0:
        raise ReleaseError(f"the fresh install in {python.parents[1]} failed to run {run}:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_wheel(
    dist: Distribution,
    wheels: list[Path],
    expected: dict[str, str],
    run: list[str],
    folder: Path,
    *,
    layer: Path | None,
    constraints: Path | None,
    env: dict[str, str] | None = None,
) -> dict:
    """Install ``wheels`` fresh; the checkpoints listed must be exactly ``expected`` (name -> distribution).

    Loads and runs each checkpoint in ``run``; returns the smoke result.
    """
    python = fresh_env(folder, layer)
    install(python, wheels, layer, constraints)
    result = smoke(python, run, env)
    if result["checkpoints"] != expected:
        raise ReleaseError(
            f"a fresh install of {dist.name} lists {sorted(result['checkpoints'])}, expected {sorted(expected)}"
        )
    return result
