"""``zoo eval --compare``: the metrics of several model cards side by side, only where their protocols match.

A number means something only with how it was measured: extractor, its precision, counts, the
reference images and their seeds, the metric settings. Each card's ``zoo.metrics`` holds one
protocol line per group of numbers; two cards compare under a protocol when the lines agree after
dropping what describes the model rather than the measurement (balanced labels, truncation off)
and the command that ran it. Cards sharing no protocol with the first card are refused, each in
one line that names the first clause where they differ.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.errors import ZooError

# Clauses that set one metric up (KID subsets, IS splits, the PR and D/C neighbourhoods): they bind only that metric.
_METRIC_SETTINGS = ("KID ", "IS ", "PR k=", "density/coverage k=", "intra-class FID")
ORDER = ("fid", "kid", "is", "precision", "recall", "density", "coverage", "ifid", "ppl", "ppl-face")
_MODEL_SIDE = (
    (re.compile(r"\(seed (\d+), labels balanced over classes\)"), r"(seed \1)"),
    (re.compile(r", no truncation"), ""),
)


@dataclass
class Comparison:
    """One protocol and the values of every card measured under it (card name -> metric -> value)."""

    protocol: str
    rows: dict[str, dict[str, float]] = field(default_factory=dict)

    def columns(self) -> list[str]:
        """Metrics any card reports, in the usual order (standard deviations stay beside their mean)."""
        keys = {k for values in self.rows.values() for k in values if not k.endswith("_std")}
        return [k for k in ORDER if k in keys] + sorted(keys - set(ORDER))


def metric_groups(metrics: Mapping[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """(protocol line, values) of a card's metrics and of every group nested in them."""
    groups = []
    for block in (metrics, *(v for v in metrics.values() if isinstance(v, Mapping))):
        protocol = block.get("protocol")
        values = {k: float(v) for k, v in block.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if isinstance(protocol, str) and values:
            groups.append((protocol, values))
    return groups


def clauses(protocol: str) -> list[str]:
    """The measurement clauses of a protocol line: model-side notes and the command dropped."""
    text = protocol
    for pattern, replacement in _MODEL_SIDE:
        text = pattern.sub(replacement, text)
    parts = [part.strip() for part in text.split(";")]
    return [part for part in parts if part and not part.startswith("zoo eval")]


def _closest_difference(pairs: Sequence[tuple[list[str], list[str]]]) -> str:
    """Where the closest pair of clause lists (fewest clauses not shared) first parts."""
    mine, theirs = min(pairs, key=lambda pair: len(set(pair[0]) ^ set(pair[1])))
    return _first_difference(mine, theirs)


def _first_difference(a: list[str], b: list[str]) -> str:
    """Where two clause lists first part: the differing words of the first clause of ``a`` that ``b`` lacks."""
    for index, clause in enumerate(a):
        if clause not in b:
            return _divergence(clause, b[index] if index < len(b) else "")
    return _divergence("", next((c for c in b if c not in a), ""))


def _divergence(a: str, b: str, width: int = 48) -> str:
    """'…float32), 10,000 generated' vs '…bfloat16), 5,000 generated': both texts from their first difference."""
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = max(a.rfind(" ", 0, start), a.rfind("(", 0, start), 0)  # from the start of the differing word

    def excerpt(text: str) -> str:
        part = text[start:].strip()
        part = part if len(part) <= width else part[: width - 1] + "…"
        return ("…" if start else "") + part if part else "nothing"

    return f"{excerpt(a)!r} vs {excerpt(b)!r}"


def load_card_metrics(name: str) -> Mapping[str, Any]:
    """The ``zoo.metrics`` of a registered checkpoint or of a card file (README.md / NAME.md), checked as cards are."""
    from zoo.cards import check_metrics, checkpoint_from_card
    from zoo.registry import get_registry

    path = Path(name)
    if path.suffix == ".md" and path.is_file():
        spec = checkpoint_from_card(path)
    else:
        spec = get_registry().checkpoints.get(name)
        if spec is None:
            raise ZooError(f"{name!r} is neither a published checkpoint nor a card file: see zoo list")
    if not spec.metrics or spec.metrics.get("evaluated") is False:
        raise ZooError(f"{name}'s card holds no metrics to compare")
    check_metrics(spec.metrics, name)  # the check of zoo cards check: no NaN row, no number without its protocol
    return spec.metrics


def compare(names: Sequence[str]) -> tuple[list[Comparison], list[str]]:
    """Tables of the cards that share a protocol with the first card, and one refusal line per other card."""
    if len(names) < 2:
        raise ZooError("--compare needs at least two cards (checkpoint names or card files)")
    cards = {name: metric_groups(load_card_metrics(name)) for name in dict.fromkeys(names)}
    first, *others = cards
    tables = [Comparison(protocol, {first: values}) for protocol, values in cards[first]]
    refused = []
    for name in others:
        matched = False
        for table in tables:
            for protocol, values in cards[name]:
                if clauses(protocol) == clauses(table.protocol):
                    table.rows[name], matched = values, True
        if not matched:
            pairs = [(clauses(t.protocol), clauses(p)) for t in tables for p, _ in cards[name]]
            refused.append(
                f"{name}: no protocol in common with {first} ({len(cards[name])} on its card); "
                f"closest differs in {_closest_difference(pairs)}"
            )
    shared = [table for table in tables if len(table.rows) > 1]
    if not shared:
        raise ZooError(f"no card shares a protocol with {first}: {refused[0]}")
    return shared, refused


def format_table(table: Comparison) -> list[str]:
    """A plain-text table: one row per card, one column per metric, 'mean ± std' where a std exists."""
    columns = table.columns()
    rows = [["model", *columns]]
    for name, values in table.rows.items():
        cells = []
        for key in columns:
            value, std = values.get(key), values.get(f"{key}_std")
            cells.append("—" if value is None else f"{value:.4g}" + (f" ± {std:.2g}" if std is not None else ""))
        rows.append([name, *cells])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return [f"protocol: {'; '.join(clauses(table.protocol))}", lines[0], "  ".join("-" * w for w in widths), *lines[1:]]


@dataclass
class CardMatch:
    """What the card publishing a set of weights holds under one protocol: its values, or where it parts from it."""

    name: str
    values: dict[str, float] | None
    closest: str = ""  # where the card's nearest protocol differs, when none matches


def against_card(protocol: str, weights_sha256: str, measured: Collection[str]) -> CardMatch | None:
    """The card whose weights have ``weights_sha256``, and its figures for the ``measured`` metrics under ``protocol``.

    So ``zoo eval`` can say next to its own numbers what the card published under the same protocol,
    or that the card measured otherwise (another precision, count or extractor) and where. A card group
    with more metrics still matches: the settings of metrics this evaluation did not compute do not count.
    None: no card publishes these weights with metrics.
    """
    from zoo.registry import get_registry

    if not weights_sha256:
        return None
    spec = next((s for s in get_registry().checkpoints.values() if s.sha256 == weights_sha256 and s.metrics), None)
    groups = metric_groups(spec.metrics) if spec is not None else []
    if not groups:
        return None
    mine = clauses(protocol)
    for line, values in groups:
        theirs = clauses(line)
        unmeasured = [clause for clause in theirs if clause not in mine]
        published = {key: value for key, value in values.items() if key.removesuffix("_std") in measured}
        same = set(mine) <= set(theirs) and all(clause.startswith(_METRIC_SETTINGS) for clause in unmeasured)
        if same and published:
            return CardMatch(spec.name, published)
    return CardMatch(spec.name, None, _closest_difference([(mine, clauses(line)) for line, _ in groups]))
