"""Evaluation during training (``--set eval_every=N``) and the best checkpoint by a chosen metric.

Every N steps the exported EMA generator (``model.safetensors``, batch norm re-estimated, exactly
what ``zoo push`` would publish) is evaluated with ``zoo.evaluate`` against the training data, whose
real features come from the statistics cache after the first time. An image-to-image run's exported
translator is measured by ``evaluate_translation`` (fid, kid; l1, psnr, ssim on paired data) on the
data's test split, or, without one, on what the data has (whole, else train), which every summary says.
When the chosen metric improves, the weights are copied to ``best.safetensors`` and ``best.json`` says
which step and values they had, as StudioGAN keeps its best-FID checkpoint. Evaluation only reads
the exported file and seeds its own random draws, and every training step re-seeds from (seed, step,
rank), so a run with evaluation trains the same weights as one without, and a resumed run the same
as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.errors import ZooError
from zoo.files import atomic_path, write_atomically

BEST_WEIGHTS = "best.safetensors"
BEST_RECORD = "best.json"
# Result keys each built-in metric reports; the first is the default for best_metric. A two-way translator's
# carry their direction (fid_a2b, kid_b2a_std: zoo.metrics.translation.direction_key).
RESULT_KEYS = {
    "fid": ("fid",), "kid": ("kid", "kid_std"), "is": ("is", "is_std"), "pr": ("precision", "recall"),
    "dc": ("coverage", "density"), "ifid": ("ifid",), "ppl": ("ppl",), "ppl-face": ("ppl-face",),
    "l1": ("l1",), "psnr": ("psnr",), "ssim": ("ssim",),
}  # fmt: skip
HIGHER_IS_BETTER = frozenset({"is", "precision", "recall", "density", "coverage", "psnr", "ssim"})


def higher_is_better(key: str) -> bool:
    """Whether a larger value of result ``key`` (psnr_b2a as psnr) is better; FID, KID, L1 and PPL are lower."""
    from zoo.metrics.translation import base_key

    return base_key(key) in HIGHER_IS_BETTER


def reported_keys(metrics: list[str], directions: tuple[str, ...] = ()) -> list[str]:
    """The result keys ``metrics`` report, first the default best_metric; per direction for a two-way translator."""
    from zoo.metrics.translation import direction_key

    keys = [key for name in metrics for key in RESULT_KEYS.get(name, ())]
    if len(directions) < 2:
        return keys
    return [direction_key(key, d) for d in directions for key in keys]


@dataclass
class Best:
    """The best evaluation so far: which metric, its value, the step, and every value measured then."""

    metric: str
    value: float
    step: int
    values: dict[str, float]

    def improved_by(self, value: float) -> bool:
        """Whether ``value`` of this metric is better than the best so far."""
        if not math.isfinite(value):
            return False
        return value > self.value if higher_is_better(self.metric) else value < self.value


class TrainingEvaluator:
    """Runs the chosen metrics on a run's exported generator or translator and keeps its best checkpoint.

    ``task`` (and a translator's ``directions``) may be given by the trainer; otherwise they are read from
    the exported weights at the first evaluation, and best_metric's default (the first metric's first key)
    follows them: fid for a generator or a one-way translator, fid_a2b for a two-way one.
    """

    def __init__(
        self,
        out: Path,
        data: str,
        metrics: str,
        n: int,
        extractor: str,
        best_metric: str,
        quiet: bool,
        *,
        task: str | None = None,
        directions: tuple[str, ...] = (),
    ) -> None:
        from zoo.metrics.evaluate import parse_metrics
        from zoo.metrics.extractors import extractor_names, resolve_extractor
        from zoo.metrics.translation import PAIRED_MEASURES

        if not Path(data).exists():
            raise ZooError(f"eval_every needs --data as a file or folder the metrics can read, not {data!r}")
        self.metrics = parse_metrics(metrics, also=PAIRED_MEASURES)
        if extractor != "auto" and extractor not in extractor_names():
            names = ", ".join(extractor_names())
            raise ZooError(f"unknown eval_extractor {extractor!r}: choose auto or one of {names}")
        self.extractor = extractor
        if any(name not in PAIRED_MEASURES for name in self.metrics):  # once: auto may probe the network
            self.extractor, _ = resolve_extractor(extractor, progress=not quiet)
        self.out, self.data, self.n, self.quiet = out, data, n, quiet
        self.asked_best, self.task, self.directions = best_metric, None, directions
        self.best_metric = best_metric
        self.split, self.split_note = "", ""
        self.best: Best | None = None
        self._set_task(task, directions)

    def _set_task(self, task: str | None, directions: tuple[str, ...]) -> None:
        """Check the metrics and best_metric against the task; ``task`` None checks what holds for either task."""
        from zoo.interfaces import TASK_IMAGE_TO_IMAGE
        from zoo.metrics.translation import DIRECTIONS, PAIRED_MEASURES, check_translation_metrics
        from zoo.translation_data import PAIRED

        translating = task == TASK_IMAGE_TO_IMAGE
        if task is not None and not translating and any(name in PAIRED_MEASURES for name in self.metrics):
            paired = ",".join(name for name in self.metrics if name in PAIRED_MEASURES)
            raise ZooError(
                f"eval_metrics {paired} compare translations with their targets: this run trains a generator"
            )
        if translating and not self.split:
            self.split, self.split_note, layout = _translation_split(self.data)
            check_translation_metrics(self.metrics, layout == PAIRED, f"{self.data} ({self.split} split)")
        known = reported_keys(self.metrics, directions if translating else ())
        pending = task is None or (translating and not directions)  # the weights will say whether it is two-way
        either = known + (reported_keys(self.metrics, DIRECTIONS) if pending else [])
        self.best_metric = self.asked_best or (known[0] if known else "")
        if not self.best_metric:
            raise ZooError(f"set best_metric to one of the values {', '.join(self.metrics)} report")
        if self.asked_best and all(name in RESULT_KEYS for name in self.metrics) and self.asked_best not in either:
            asked, reported = ",".join(self.metrics), ", ".join(known)
            raise ZooError(f"best_metric={self.asked_best!r} is not reported by {asked}: choose {reported}")
        if task is not None:
            self.task, self.directions = task, directions if translating else ()

    @property
    def _pending(self) -> bool:
        """Whether the exported weights must still tell the task, or a translator's directions."""
        from zoo.interfaces import TASK_IMAGE_TO_IMAGE

        return self.task is None or (self.task == TASK_IMAGE_TO_IMAGE and not self.directions)

    def restore(self, step: int) -> None:
        """On resume: keep the best record if it was made at or before the resumed step, else drop it."""
        record = self.out / BEST_RECORD
        if not record.is_file():
            return
        from zoo.metrics.translation import DIRECTIONS

        saved = json.loads(record.read_text())
        metric = saved.get("metric")
        two_way_default = reported_keys(self.metrics, DIRECTIONS)[:1]  # fid_a2b, before the weights tell
        same = metric == self.best_metric or (self._pending and not self.asked_best and metric in two_way_default)
        if same and int(saved.get("step", step + 1)) <= step:
            self.best_metric = metric
            self.best = Best(metric, float(saved["value"]), int(saved["step"]), saved.get("values", {}))
        else:  # from a longer run than the checkpoint, or for another metric: it no longer describes this run
            record.unlink()
            (self.out / BEST_WEIGHTS).unlink(missing_ok=True)

    def evaluate(self, step: int) -> dict[str, Any]:
        """Evaluate the exported model of ``step``; keep it as best if it improved; return the log record."""
        from zoo.api import load
        from zoo.interfaces import TASK_IMAGE_TO_IMAGE
        from zoo.metrics.evaluate import evaluate
        from zoo.metrics.translation import evaluate_translation

        weights = self.out / "model.safetensors"
        started = time.perf_counter()
        handle = load(str(weights))
        if self._pending:
            directions = tuple(getattr(handle.generator, "directions", None) or ("a2b",))
            self._set_task(handle.architecture.task, directions)
            if self.best is not None and self.best.metric != self.best_metric:
                self.best = None  # restored under the other task's default name: not comparable
        if self.task == TASK_IMAGE_TO_IMAGE:
            result = evaluate_translation(
                handle, self.data, self.metrics, split=self.split, n=self.n, extractor=self.extractor, progress=False
            )
        else:
            result = evaluate(handle, self.data, self.metrics, n=self.n, extractor=self.extractor, progress=False)
        seconds = time.perf_counter() - started
        values = {k: round(v, 6) for k, v in result.values.items()}
        if self.best_metric not in values:
            raise ZooError(f"best_metric={self.best_metric!r} is not among the results ({', '.join(values)})")
        value = values[self.best_metric]
        if self.best is None or self.best.improved_by(value):
            self.best = Best(self.best_metric, value, step, values)
            self._keep_best(weights, result.protocol)
        return {"step": step, "eval": values, "eval_seconds": round(seconds, 1)}

    def _keep_best(self, weights: Path, protocol: dict[str, Any]) -> None:
        """Copy the weights to best.safetensors, then write best.json, each atomically."""
        assert self.best is not None
        with atomic_path(self.out / BEST_WEIGHTS) as tmp:
            shutil.copyfile(weights, tmp)
        record = {**self.best.__dict__, "weights": BEST_WEIGHTS, "protocol": protocol}
        write_atomically(self.out / BEST_RECORD, lambda p: p.write_text(json.dumps(record, indent=2) + "\n"))

    def summary(self, record: dict[str, Any]) -> str:
        """One progress line: the values, and the best so far."""
        shown = ", ".join(f"{k} {v:.4g}" for k, v in record["eval"].items() if not k.endswith("_std"))
        assert self.best is not None
        best = f"best {self.best.metric} {self.best.value:.4g} at step {self.best.step}"
        features = f", {self.extractor} features" if self.extractor != "auto" else ""  # l1, psnr, ssim alone: none
        split = f", {self.split_note}" if self.split_note else ""
        return f"step {record['step']}: {shown} ({best}; {record['eval_seconds']:.0f} s{features}{split})"


def _translation_split(data: str) -> tuple[str, str, str]:
    """(split, note, layout): the test split if the data has one, else the whole data, else train (or the first)."""
    from zoo.data_formats import WHOLE
    from zoo.translation_data import translation_splits

    present = translation_splits(data)
    if "test" in present:
        return "test", "", present["test"]
    if not present:
        raise ZooError(f"eval_every: {data} holds no translation data to evaluate on")
    chosen = next((s for s in (WHOLE, "train") if s in present), next(iter(present)))
    what = "all of the data" if chosen == WHOLE else f"its {chosen} split"
    return chosen, f"evaluated on {what}: the data has no test split", present[chosen]
