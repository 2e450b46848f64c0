"""Where and how Hub transfers go: the endpoint and cache huggingface_hub uses; bounded, quiet transfers.

Every transfer goes through ``huggingface_hub`` so HF_ENDPOINT, HF_HOME, HF_TOKEN, HF_HUB_OFFLINE and the
shared cache behave as users expect; its settings are read here, at the bottom of ``zoo.hub``.

huggingface_hub's metadata calls wait forever by default, and its downloader retries a stalled
stream five times, logging a warning each time. The zoo gives every request ZOO_HUB_TIMEOUT seconds
(default 10), keeps the library's log below the error level while it works (the zoo reports the
outcome in one line), and removes the ``.incomplete`` file a failed download leaves in the cache.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zoo.errors import ZooError

DEFAULT_TIMEOUT = 10.0
TIMEOUT_VARIABLE = "ZOO_HUB_TIMEOUT"
DOWNLOAD_ATTEMPTS = 6
"""huggingface_hub's http_get tries a stalled stream once and resumes it 5 times: a dead stream ends
after about DOWNLOAD_ATTEMPTS × (timeout + 1 s)."""


def hf_constants() -> Any:
    """huggingface_hub's settings (read from the environment when it was imported)."""
    from huggingface_hub import constants

    return constants


def endpoint() -> str:
    """The Hub this process talks to (HF_ENDPOINT or huggingface.co)."""
    return str(hf_constants().ENDPOINT).rstrip("/")


def hub_cache() -> Path:
    """The shared Hugging Face cache directory (HF_HUB_CACHE / HF_HOME)."""
    return Path(hf_constants().HF_HUB_CACHE)


def hub_timeout() -> float:
    """Seconds any one Hub request may go without an answer (ZOO_HUB_TIMEOUT, default 10)."""
    raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise ZooError(f"{TIMEOUT_VARIABLE}={raw!r} must be a number of seconds between 0 and 3600, e.g. 10")
    return value


@contextlib.contextmanager
def bounded_transfer() -> Iterator[float]:
    """Within the block: the download read timeout is ``hub_timeout()`` and huggingface_hub logs errors only."""
    from huggingface_hub import constants

    timeout = hub_timeout()
    logger = logging.getLogger("huggingface_hub")
    saved = constants.HF_HUB_DOWNLOAD_TIMEOUT, logger.level
    constants.HF_HUB_DOWNLOAD_TIMEOUT = timeout
    logger.setLevel(logging.ERROR)
    try:
        yield timeout
    finally:
        constants.HF_HUB_DOWNLOAD_TIMEOUT, level = saved
        logger.setLevel(level)


def remove_partial_downloads(repo_id: str, cache: Path) -> list[Path]:
    """Delete ``.incomplete`` blobs of ``repo_id`` that no download is writing now (its lock is free)."""
    from filelock import FileLock, Timeout

    folder = f"models--{repo_id.replace('/', '--')}"
    removed = []
    for partial in (cache / folder / "blobs").glob("*.incomplete"):
        lock = FileLock(str(cache / ".locks" / folder / f"{partial.name.removesuffix('.incomplete')}.lock"))
        try:
            with lock.acquire(timeout=0):
                partial.unlink(missing_ok=True)
                removed.append(partial)
        except (Timeout, OSError):
            continue  # another process is downloading it, or the lock folder is not ours to write
    return removed
