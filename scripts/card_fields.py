"""Edit single fields of a card's ``zoo:`` block in place, keeping every other line of the card as it was.

Cards are written by hand around their machine-made fields; re-dumping the whole YAML would reorder and
rewrap what people wrote. These edits change one value line each and check the result still parses to
the value meant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import yaml


class CardFieldError(ValueError):
    """The card does not hold the field or group to edit."""


def _front_matter_end(text: str) -> int:
    """Offset of the closing ``---`` line of the front matter."""
    match = re.compile(r"^---[ \t]*$", re.M).search(text, 4)
    if not text.startswith("---") or match is None:
        raise CardFieldError("the card has no front matter between '---' lines")
    return match.start()


def yaml_scalar(value: float) -> str:
    """A number as YAML writes it back: four significant digits, read again as the same float."""
    rounded = float(f"{value:.4g}")
    return yaml.safe_dump(rounded).splitlines()[0]


def replace_field(text: str, key: str, value: str) -> str:
    """``text`` with the zoo block's ``key:`` line (two spaces in) set to ``value``, or added after ``size:``."""
    end = _front_matter_end(text)
    head, tail = text[:end], text[end:]
    line = re.compile(rf"^  {re.escape(key)}:[ \t].*$", re.M)
    if line.search(head):
        return line.sub(lambda _: f"  {key}: {value}", head, count=1) + tail
    anchor = re.compile(r"^  size:[ \t].*\n", re.M).search(head)
    if anchor is None:
        raise CardFieldError(f"the card's zoo block has neither '{key}:' nor 'size:' to put it after")
    return head[: anchor.end()] + f"  {key}: {value}\n" + head[anchor.end() :] + tail


def replace_group_values(text: str, protocol: str, values: Mapping[str, float]) -> str:
    """``text`` with the numbers of the metric group under ``protocol`` set to ``values`` (four digits each)."""
    end = _front_matter_end(text)
    lines = text[:end].split("\n")
    start = next((i for i, line in enumerate(lines) if _protocol_of(line) == protocol), None)
    if start is None:
        raise CardFieldError(f"no metric group with the protocol {protocol[:60]}…")
    indent = len(lines[start]) - len(lines[start].lstrip(" "))
    left = dict(values)
    for i in range(start + 1, len(lines)):
        stripped = lines[i].lstrip(" ")
        depth = len(lines[i]) - len(stripped)
        if stripped and depth < indent:
            break
        key = stripped.split(":", 1)[0]
        if depth == indent and key in left:
            lines[i] = " " * indent + f"{key}: {yaml_scalar(left.pop(key))}"
    if left:
        raise CardFieldError(f"the group {protocol[:60]}… holds no {', '.join(sorted(left))}")
    return "\n".join(lines) + text[end:]


def _protocol_of(line: str) -> str | None:
    """The protocol a ``protocol: ...`` line holds (quoted or not), else None."""
    stripped = line.lstrip(" ")
    if not stripped.startswith("protocol:"):
        return None
    try:
        value = yaml.safe_load(stripped)
    except yaml.YAMLError:
        return None
    return value.get("protocol") if isinstance(value, dict) else None
