"""Atomic file writes: a crash or a full disk never leaves a half-written file in place."""

from __future__ import annotations

import contextlib
import json
import os
import stat
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
    refuse_special_target(target)
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
    refuse_special_target(output)
    check_writable_dir(output.parent if str(output.parent) else Path("."))


_NOT_REGULAR = {
    stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory",
}  # fmt: skip


def refuse_special_target(target: Path) -> None:
    """Refuse to write over a FIFO, device or socket: the atomic rename would silently replace it with a file.

    Checked by every atomic write, and early by ``check_output_file`` so no work is done first.
    """
    from zoo.errors import ZooError

    try:
        mode = os.stat(target).st_mode
    except OSError:
        return  # absent (or unreadable: the write itself reports it)
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        kind = _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")
        raise ZooError(f"output {str(target)!r} is {kind}, not a regular file: choose a file name to write")


def require_regular_file(path: str | os.PathLike[str], what: str = "file") -> Path:
    """``path`` if it is a regular file (symlinks followed), else a one-line ZooError; called before every read.

    Why: opening a FIFO blocks until something writes to it (zoo hung on one named ``zzz.png`` in an
    image folder), and a device never ends; neither is a file a user meant to give.
    """
    from zoo.errors import ZooError

    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ZooError(f"{what} {str(path)!r} does not exist: check the path") from None
    except OSError as exc:  # a symlink loop, a name too long, no permission
        raise ZooError(f"{what} {str(path)!r} cannot be read ({exc.strerror}): check the path") from None
    if not stat.S_ISREG(mode):
        kind = _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")
        raise ZooError(f"{what} {str(path)!r} is {kind}, not a regular file: give a file")
    return path


def path_argument(path: str | os.PathLike[str]) -> str:
    """``path`` as zoo.load and the CLI read it as a path: a bare name gains './' so a registered name never wins."""
    text = str(path)
    return text if Path(text).is_absolute() or os.sep in text or text.startswith(".") else f".{os.sep}{text}"


def read_json(path: Path) -> Any:
    """A JSON file the zoo wrote (a run's record, its metrics), or a one-line ZooError naming it."""
    from zoo.errors import ZooError

    require_regular_file(path, "JSON file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ZooError(f"{path} is not a readable JSON file ({exc.__class__.__name__}): fix or remove it") from None
