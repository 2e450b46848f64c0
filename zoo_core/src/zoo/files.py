"""Atomic file writes: a crash or a full disk never leaves a half-written file in place."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    """The process umask (reading it requires setting it, so restore it at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only on success.

    mkstemp makes the file 0600, and some writers (safetensors' save_file) replace it with their own
    0600 file, so the mode open() would have given (0666 less the umask) is set after the write.
    """
    target = Path(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_current_umask())
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(target: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and move the result over ``target`` in one step."""
    with atomic_path(target) as tmp:
        write(tmp)


def check_writable_dir(directory: str | os.PathLike[str], what: str = "output directory") -> Path:
    """Return ``directory`` as a Path, or raise a ZooError saying why nothing can be written there."""
    from zoo.errors import ZooError

    path = Path(directory)
    if not path.exists():
        raise ZooError(f"{what} {str(path)!r} does not exist: create it first")
    if not path.is_dir():
        raise ZooError(f"{what} {str(path)!r} is not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ZooError(f"{what} {str(path)!r} is not writable: choose another location")
    return path


def check_run_dir(out: str | os.PathLike[str], what: str = "--out") -> list[Path]:
    """Check that ``out`` can be created (its nearest existing ancestor is a writable directory).

    Returns the directories that do not exist yet, deepest first, so a run that fails before
    writing anything can remove exactly what it made (``remove_empty``); like every trainer users
    know, missing parents are created rather than refused.
    """
    from zoo.errors import ZooError

    path = Path(out).absolute()
    missing = [p for p in (path, *path.parents) if not p.exists()]
    ancestor = path.parents[len(missing) - 1] if missing else path
    if missing and not ancestor.is_dir():
        raise ZooError(f"{what} {str(out)!r} cannot be created: {str(ancestor)!r} is a file, not a directory")
    if not missing and not path.is_dir():
        raise ZooError(f"{what} {str(out)!r} is a file, not a directory: choose another --out")
    check_writable_dir(ancestor, f"the folder {what} goes in:")
    return missing


def remove_empty(directories: list[Path]) -> None:
    """Remove the listed directories (deepest first) that are still empty; keep anything that holds files."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            return


def check_output_file(output: Path, suffixes: tuple[str, ...] = (".png",)) -> None:
    """Fail before any work if ``output`` has the wrong suffix, is a directory or cannot be written."""
    from zoo.errors import ZooError

    if output.suffix.lower() not in suffixes:
        raise ZooError(f"output {str(output)!r} must end in {' or '.join(suffixes)}")
    if output.is_dir():
        raise ZooError(f"output {str(output)!r} is a directory: give a file name ending in {suffixes[0]}")
    check_writable_dir(output.parent if str(output.parent) else Path("."))


def read_json(path: Path) -> Any:
    """A JSON file the zoo wrote (a run's record, its metrics), or a one-line ZooError naming it."""
    from zoo.errors import ZooError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ZooError(f"{path} is not a readable JSON file ({exc.__class__.__name__}): fix or remove it") from None
