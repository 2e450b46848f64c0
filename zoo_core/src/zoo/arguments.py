"""One validation layer for the Python API's arguments: a wrong type is a ZooError saying what to pass.

Without it ``zoo.load(123)`` fails deep inside with AttributeError; with it every public function
answers like the CLI does, in one line. Torch-free, so the registry functions can use it too.
"""

from __future__ import annotations

import os
from typing import Any

from zoo.errors import ZooError

MAX_SEED = 2**63 - 1
"""torch.Generator.manual_seed takes 64-bit seeds; larger ones overflow deep inside torch."""


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def model_name(value: Any, what: str = "name") -> str:
    """A model name, ``hf-hub:`` reference or path (str or os.PathLike) as a str."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes) or not isinstance(value, str) or not value.strip():
        raise ZooError(
            f"{what} must be a model name, hf-hub:ORG/REPO or a path (e.g. 'dcgan', 'runs/dcgan'), got {_shown(value)}"
        )
    return value


def comma_list(text: str, what: str, example: str) -> list[str]:
    """'a,b, c' -> ['a', 'b', 'c']: the one reader of comma-separated options; an empty entry (a doubled or
    trailing comma) is refused, not skipped, since it usually means a value went missing."""
    items = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise ZooError(f"{what} {text!r} has an empty entry: separate values with single commas, e.g. {example}")
    return items


def text(value: Any, what: str, example: str) -> str:
    """A non-empty string argument."""
    if not isinstance(value, str) or not value:
        raise ZooError(f"{what} must be a string such as {example!r}, got {_shown(value)}")
    return value


def integer(value: Any, what: str, low: int, high: int) -> int:
    """An int in [low, high] (bool is not an int here)."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ZooError(f"{what} must be an integer between {low:,} and {high:,}, got {_shown(value)}")
    return value


def seed(value: Any, what: str = "seed") -> int:
    """A seed torch can take: an int in [0, 2**63-1]."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SEED:
        raise ZooError(f"{what} must be an integer between 0 and 2**63-1, got {_shown(value)}")
    return value


def flag(value: Any, what: str) -> bool:
    """A True/False argument (not a string such as 'false', which would be true)."""
    if not isinstance(value, bool):
        raise ZooError(f"{what} must be True or False, got {_shown(value)}")
    return value
