"""Hub names: ``hf-hub:ORG/REPO@REV`` references, repo ids and revisions checked, and the files of the zoo layout.

Plain text checks and constants, shared by pulling and publishing; nothing here touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zoo.errors import ZooError

HUB_PREFIX = "hf-hub:"
WEIGHTS_FILENAME = "model.safetensors"
CONFIG_FILENAME = "config.json"
CARD_FILENAME = "README.md"
SAMPLES_FILENAME = "samples.png"
LIBRARY_NAME = "gan-zoo"
COMMIT = re.compile(r"[0-9a-f]{40}")
_REPO_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


@dataclass(frozen=True)
class HubRef:
    """A Hub repository in the zoo layout, optionally at a revision: ``hf-hub:ORG/REPO@REV``."""

    repo_id: str
    revision: str | None = None

    def __str__(self) -> str:
        return f"{HUB_PREFIX}{self.repo_id}" + (f"@{self.revision}" if self.revision else "")


def check_repo_id(repo_id: str) -> str:
    """Accept ``ORG/NAME`` only, so a repo id can never climb out of a cache path or confuse a shell."""
    org, slash, name = repo_id.partition("/")
    parts_ok = all(_REPO_PART.fullmatch(part) and ".." not in part for part in (org, name))
    if not slash or not parts_ok or name.endswith(".git"):
        raise ZooError(f"Hub repo id {repo_id!r} is invalid: use ORG/NAME made of letters, digits, '.', '_' and '-'")
    return repo_id


def check_revision(revision: str) -> str:
    """Accept a branch, tag or commit name; refuse '..' and shell characters."""
    if not _REVISION.fullmatch(revision) or ".." in revision or revision.endswith(("/", ".lock")):
        raise ZooError(f"revision {revision!r} is invalid: use a branch, a tag or a 40-character commit hash")
    return revision


def parse_model_name(name: str) -> str | HubRef:
    """A registry name, or an ``hf-hub:`` reference; refuse paths, '..' and shell characters."""
    if not isinstance(name, str):
        raise ZooError(f"model name must be text, got {type(name).__name__}")
    if name.startswith(HUB_PREFIX):
        repo_id, at, revision = name[len(HUB_PREFIX) :].partition("@")
        if at and not revision:
            raise ZooError(f"{name!r} ends with '@': give a revision after it, or leave the '@' out")
        return HubRef(check_repo_id(repo_id), check_revision(revision) if revision else None)
    if not _NAME.fullmatch(name) or ".." in name:
        raise ZooError(
            f"model name {name!r} is invalid: use a name from 'zoo list' (lower-case letters, digits, '.', '_', '-') "
            f"or hf-hub:ORG/REPO[@REVISION] for a Hub repository"
        )
    return name
