"""Evaluation during training (``--set eval_every=N``) and the best checkpoint by a chosen metric.

Every N steps the exported EMA generator (``model.safetensors``, batch norm re-estimated, exactly
what ``zoo push`` would publish) is evaluated with ``zoo.evaluate`` against the training data, whose
real features come from the statistics cache after the first time. When the chosen metric improves,
the weights are copied to ``best.safetensors`` and ``best.json`` says which step and values they
had, as StudioGAN keeps its best-FID checkpoint. Evaluation only reads the exported file and seeds
its own random draws, and every training step re-seeds from (seed, step, rank), so a run with
evaluation trains the same weights as one without, and a resumed run the same as an uninterrupted one.
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
# Result keys each built-in metric reports; the first is the default for best_metric.
RESULT_KEYS = {
    "fid": ("fid",), "kid": ("kid", "kid_std"), "is": ("is", "is_std"), "pr": ("precision", "recall"),
    "dc": ("coverage", "density"), "ifid": ("ifid",), "ppl": ("ppl",), "ppl-face": ("ppl-face",),
}  # fmt: skip
HIGHER_IS_BETTER = frozenset({"is", "precision", "recall", "density", "coverage"})


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
        return value > self.value if self.metric in HIGHER_IS_BETTER else value < self.value


class TrainingEvaluator:
    """Runs the chosen metrics on a run's exported generator and keeps its best checkpoint."""

    def __init__(
        self, out: Path, data: str, metrics: str, n: int, extractor: str, best_metric: str, quiet: bool
    ) -> None:
        from zoo.metrics.evaluate import parse_metrics
        from zoo.metrics.extractors import extractor_names, resolve_extractor

        if not Path(data).exists():
            raise ZooError(f"eval_every needs --data as a file or folder the metrics can read, not {data!r}")
        self.metrics = parse_metrics(metrics)
        if extractor != "auto" and extractor not in extractor_names():
            names = ", ".join(extractor_names())
            raise ZooError(f"unknown eval_extractor {extractor!r}: choose auto or one of {names}")
        self.extractor, _ = resolve_extractor(extractor, progress=not quiet)  # once: auto may probe the network
        known = [key for name in self.metrics for key in RESULT_KEYS.get(name, ())]
        self.best_metric = best_metric or (known[0] if known else "")
        if not self.best_metric:
            raise ZooError(f"set best_metric to one of the values {', '.join(self.metrics)} report")
        if best_metric and all(name in RESULT_KEYS for name in self.metrics) and best_metric not in known:
            asked, reported = ",".join(self.metrics), ", ".join(known)
            raise ZooError(f"best_metric={best_metric!r} is not reported by {asked}: choose {reported}")
        self.out, self.data, self.n, self.quiet = out, data, n, quiet
        self.best: Best | None = None

    def restore(self, step: int) -> None:
        """On resume: keep the best record if it was made at or before the resumed step, else drop it."""
        record = self.out / BEST_RECORD
        if not record.is_file():
            return
        saved = json.loads(record.read_text())
        if saved.get("metric") == self.best_metric and int(saved.get("step", step + 1)) <= step:
            self.best = Best(saved["metric"], float(saved["value"]), int(saved["step"]), saved.get("values", {}))
        else:  # from a longer run than the checkpoint, or for another metric: it no longer describes this run
            record.unlink()
            (self.out / BEST_WEIGHTS).unlink(missing_ok=True)

    def evaluate(self, step: int) -> dict[str, Any]:
        """Evaluate the exported generator of ``step``; keep it as best if it improved; return the log record."""
        from zoo.api import load
        from zoo.metrics.evaluate import evaluate

        weights = self.out / "model.safetensors"
        started = time.perf_counter()
        handle = load(str(weights))
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
        return f"step {record['step']}: {shown} ({best}; {record['eval_seconds']:.0f} s, {self.extractor} features)"
