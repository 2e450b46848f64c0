"""A loss-curve PNG drawn with Pillow, so training needs no plotting library."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from zoo.images import save_png

_COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189))
QUALITY_PLOT = "quality.png"


def plot_curves(
    path: str | os.PathLike[str],
    steps: Sequence[int],
    curves: Mapping[str, Sequence[float]],
    size: tuple[int, int] = (640, 360),
) -> None:
    """Draw each named series against ``steps`` with a legend and axis labels."""
    save_png(path, _panel(steps, curves, size))


def plot_training(path: str | os.PathLike[str], records: Sequence[Mapping], size: tuple[int, int] = (640, 360)) -> None:
    """The losses of progress.jsonl, and under them a panel per evaluated metric (up to four), each on its scale."""
    losses = [r for r in records if "eval" not in r]
    keys = list(dict.fromkeys(k for r in losses for k in r if k.endswith("loss")))
    panels = [_panel([r["step"] for r in losses], {k: [r.get(k, float("nan")) for r in losses] for k in keys}, size)]
    evals = [r for r in records if "eval" in r]
    names = list(dict.fromkeys(k for r in evals for k in r["eval"] if not k.endswith("_std")))[:4]
    steps = [r["step"] for r in evals]
    for index, name in enumerate(names):  # own scales: FID in the hundreds and recall in [0, 1] both read
        series = {name: [r["eval"].get(name, float("nan")) for r in evals]}
        colour = _COLOURS[(index + 2) % len(_COLOURS)]
        panels.append(_panel(steps, series, (size[0], size[1] // 2), markers=True, colour=colour))
    save_png(path, np.concatenate(panels, axis=0))


def plot_quality(
    path: str | os.PathLike[str],
    records: Sequence[Mapping],
    size: tuple[int, int] = (480, 300),
    images_per_step: int | None = None,
) -> bool:
    """The run's FID (or first metric) against training step, and beside it against wall-clock hours.

    ``images_per_step`` times logs older than their clock (``zoo.training.timeline``). Returns False
    (and draws nothing) before there are two evaluations to join.
    """
    from zoo.training.timeline import evaluations, quality_metric

    rows = evaluations(records, images_per_step)
    if len(rows) < 2:
        return False
    curves = {name: [float(row.get(name, float("nan"))) for row in rows] for name in quality_metric(rows)}
    by_step = _panel([row["step"] for row in rows], curves, size, markers=True)
    timed = [i for i, row in enumerate(rows) if row["hours"] is not None]
    hours = [rows[i]["hours"] for i in timed]
    by_time = _panel(
        hours, {k: [v[i] for i in timed] for k, v in curves.items()}, size, markers=True, x_label=_hours_label
    )
    save_png(path, np.concatenate([by_step, by_time], axis=1))
    return True


def _step_label(value: float) -> str:
    return f"step {value:.0f}"


def _hours_label(value: float) -> str:
    return f"{value:.2f} h"


def _panel(
    steps: Sequence[float],
    curves: Mapping[str, Sequence[float]],
    size: tuple[int, int],
    markers: bool = False,
    colour: tuple[int, int, int] | None = None,
    x_label: Callable[[float], str] = _step_label,
) -> np.ndarray:
    """One chart as an (H, W, 3) uint8 array; ``markers`` dots each point (sparse series such as evaluations)."""
    from PIL import Image, ImageDraw

    width, height = size
    margin = 48
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    values = np.array([v for series in curves.values() for v in series if np.isfinite(v)] or [0.0])
    low, high = float(values.min()), float(values.max())
    high = high if high > low else low + 1
    first, last = (steps[0], steps[-1]) if steps else (0, 1)
    last = last if last > first else first + 1

    def point(step: float, value: float) -> tuple[float, float]:
        x = margin + (step - first) / (last - first) * (width - 2 * margin)
        y = height - margin - (value - low) / (high - low) * (height - 2 * margin)
        return x, y

    draw.rectangle([margin, margin, width - margin, height - margin], outline=(0, 0, 0))
    for index, (name, series) in enumerate(curves.items()):
        line = colour or _COLOURS[index % len(_COLOURS)]
        points = [point(s, v) for s, v in zip(steps, series, strict=False) if np.isfinite(v)]
        if len(points) > 1:
            draw.line(points, fill=line, width=2)
        if markers:
            for x, y in points:
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=line)
        draw.text((margin + 8 + 90 * index, 8), name, fill=line)
    draw.text((4, margin - 12), f"{high:.5g}", fill=(0, 0, 0))
    draw.text((4, height - margin), f"{low:.5g}", fill=(0, 0, 0))
    draw.text((margin, height - margin + 6), x_label(first), fill=(0, 0, 0))
    draw.text((width - margin - 70, height - margin + 6), x_label(last), fill=(0, 0, 0))
    return np.asarray(image)
