"""Model cards in the Hugging Face format: YAML front matter (with a ``zoo:`` block) + Markdown.

The ``zoo:`` block is the checkpoint's spec, so a card is the single source of truth for a
published checkpoint, first or third party.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from zoo.errors import ZooError
from zoo.specs import CheckpointSpec

_FENCE = "---"


def split_card(text: str, source: str) -> tuple[dict[str, Any], str]:
    """Return (front matter, body) of a card; raise a ZooError naming ``source`` if malformed."""
    import yaml

    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        raise ZooError(f"{source}: a model card must start with '---' and YAML front matter")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == _FENCE)
    except StopIteration:
        raise ZooError(f"{source}: the front matter is not closed by a '---' line") from None
    try:
        meta = yaml.safe_load("".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise ZooError(f"{source}: the front matter is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(meta, dict):
        raise ZooError(f"{source}: the front matter must be a mapping of fields")
    return meta, "".join(lines[end + 1 :])


def checkpoint_from_card(path: str | os.PathLike[str], *, bundled: str | None = None) -> CheckpointSpec:
    """Read a card file and return the checkpoint it describes (``bundled`` = 'pkg:relative/path')."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ZooError(f"model card {path} cannot be read ({exc.strerror})") from None
    meta, _ = split_card(text, str(path))
    zoo_block = meta.get("zoo")
    if not isinstance(zoo_block, Mapping):
        raise ZooError(f"{path}: missing field 'zoo' (the checkpoint spec) in the front matter")
    fields = dict(zoo_block)
    fields.setdefault("license", meta.get("license"))
    fields["card"] = str(path)
    if bundled is not None:
        fields["bundled"] = bundled
    return CheckpointSpec.from_mapping({k: v for k, v in fields.items() if v is not None}, str(path))


def card_body(spec: CheckpointSpec) -> str | None:
    """The Markdown text of a checkpoint's card, if the card file is available."""
    if not spec.card or not Path(spec.card).is_file():
        return None
    return split_card(Path(spec.card).read_text(encoding="utf-8"), spec.card)[1].strip()
