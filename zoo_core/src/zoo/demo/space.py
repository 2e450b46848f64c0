"""``zoo demo --export-space DIR``: the same app as a Hugging Face Space (app.py, requirements.txt, README.md).

Torch- and Gradio-free: it writes three small files naming what is installed here, atomically.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.version import __version__

APP = '''"""gan-zoo's web demo as a Hugging Face Space (written by `zoo demo --export-space`; runs `zoo demo`'s app).

Locally: pip install -r requirements.txt && python app.py   (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT choose
where it listens, 127.0.0.1:7860 by default; a Space sets them itself).
"""

from zoo.demo.app import space_main

if __name__ == "__main__":
    space_main()
'''

README = """---
title: gan-zoo demo
emoji: 🎨
colorFrom: indigo
colorTo: pink
sdk: gradio
sdk_version: {gradio}
app_file: app.py
python_version: "3.11"
license: mit
short_description: Pretrained GANs and style transfer on a CPU, every model of gan-zoo
---

# gan-zoo demo

Generate, explore, stylise and translate images with every model of gan-zoo {version}, on a CPU.
The models' weights ship inside the packages listed in `requirements.txt`. Written by
`zoo demo --export-space`; the same app as `zoo demo` on your own machine.
"""

REQUIREMENTS_HEAD = """# gan-zoo {version} with the demo's extra, and every plugin installed where this was exported.
# A CPU Space needs no CUDA build of torch:
--extra-index-url https://download.pytorch.org/whl/cpu
"""


def _gradio_version() -> str:
    try:
        return metadata.version("gradio")
    except metadata.PackageNotFoundError:
        raise ZooError(
            "zoo demo --export-space needs Gradio, an optional extra: pip install 'gan-zoo[demo]' "
            "(from a clone: pip install './zoo_core[demo]')"
        ) from None


def requirements() -> str:
    """zoo-core[demo] and each installed plugin's distribution, pinned to the versions running here."""
    plugins = sorted(
        {(info.distribution, info.version) for info in get_registry().plugins if not info.errors and not info.disabled}
    )
    lines = [REQUIREMENTS_HEAD.format(version=__version__).rstrip("\n"), f"zoo-core[demo]=={__version__}"]
    lines += [f"{name}=={version}" for name, version in plugins if name != "zoo-core" and version]
    lines.append(f"gradio=={_gradio_version()}")
    return "\n".join(lines) + "\n"


def _check_target(text: str) -> Path:
    """An empty or new directory whose parent exists: the export never mixes with or replaces other files."""
    if not text.strip():
        raise ZooError("--export-space needs a directory name, like --export-space space")
    directory = Path(text)
    if directory.exists() or directory.is_symlink():
        if not directory.is_dir():
            raise ZooError(f"--export-space {text!r} exists and is not a directory: choose a new directory")
        if any(directory.iterdir()):
            raise ZooError(f"--export-space {text!r} is not empty: choose a new or empty directory")
        if not os.access(directory, os.W_OK | os.X_OK):
            raise ZooError(f"--export-space {text!r} is not writable: choose another directory")
        return directory
    parent = directory.parent
    if not parent.is_dir():
        raise ZooError(f"the parent of --export-space {text!r} does not exist: create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ZooError(f"cannot create --export-space {text!r} there (not writable): choose another directory")
    return directory


def export_space(directory: str | os.PathLike[str]) -> list[Path]:
    """Write app.py, requirements.txt and README.md into ``directory`` (new or empty); return their paths."""
    target = _check_target(os.fspath(directory))
    files = {
        "app.py": APP,
        "requirements.txt": requirements(),
        "README.md": README.format(gradio=_gradio_version(), version=__version__),
    }
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent if not target.exists() else target))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        if target.exists():
            for name in files:
                os.replace(staging / name, target / name)
        else:
            os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [target / name for name in files]
