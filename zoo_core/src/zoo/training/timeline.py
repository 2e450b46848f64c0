"""A run's clock and its quality over time, read from progress.jsonl (#32: FID against step and wall-clock hours).

Every log record carries ``hours``, the wall-clock of all the run's legs up to that step, so a run
trained in sessions with ``--resume`` reads as one run; the checkpoint holds no clock, so its bytes stay
the same however the run was split. Logs written before ``hours`` existed are timed from their
``img_per_s`` (each leg's average rate, evaluations and checkpoints included), an estimate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Record = Mapping[str, Any]
PROGRESS = "progress.jsonl"


def log_lines(log: Path) -> list[tuple[str, dict[str, Any]]]:
    """(line, record) per complete line of a progress.jsonl (none if absent); a line cut off by a kill is dropped."""
    if not log.is_file():
        return []
    lines = []
    for line in log.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("step"), int):
            lines.append((line, record))
    return lines


def read_progress(run: Path) -> list[dict[str, Any]]:
    """The records of a run's progress.jsonl."""
    return [record for _, record in log_lines(run / PROGRESS)]


def _clock(records: Sequence[Record], images_per_step: int | None) -> list[tuple[Record, float | None, bool]]:
    """(record, hours at its step or None, whether those hours are estimated) for each record, in order."""
    timed: list[tuple[Record, float | None, bool]] = []
    seconds, previous_step, known, estimated = 0.0, 0, False, False
    for record in records:
        if "hours" in record:
            seconds, known = float(record["hours"]) * 3600, True
        elif images_per_step and record.get("img_per_s"):
            seconds += (record["step"] - previous_step) * images_per_step / float(record["img_per_s"])
            known, estimated = True, True
        previous_step = int(record["step"])
        timed.append((record, seconds / 3600 if known else None, estimated))
    return timed


def logged_seconds(records: Sequence[Record], images_per_step: int) -> float:
    """Wall-clock seconds of training up to the last record: its ``hours``, else estimated from the rates."""
    timed = _clock(records, images_per_step)
    return (timed[-1][1] or 0.0) * 3600 if timed else 0.0


def evaluations(records: Sequence[Record], images_per_step: int | None = None) -> list[dict[str, Any]]:
    """One row per evaluation: step, hours (at the step it evaluated) and the values.

    ``hours_estimated`` is set on rows whose clock comes from ``img_per_s`` (needs ``images_per_step``).
    """
    rows: list[dict[str, Any]] = []
    for record, hours, estimated in _clock(records, images_per_step):
        if "eval" in record:
            row = {"step": int(record["step"]), "hours": hours, **record["eval"]}
            rows.append(row | ({"hours_estimated": True} if estimated else {}))
    return rows


def quality_metric(rows: Sequence[Record]) -> list[str]:
    """The metrics a quality curve shows: the FIDs (both directions of a two-way model), else the first metric."""
    skip = ("step", "hours", "hours_estimated")
    names = list(dict.fromkeys(k for row in rows for k in row if k not in skip and not k.endswith("_std")))
    fids = [name for name in names if name.startswith("fid")]
    return fids or names[:1]
