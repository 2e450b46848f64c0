"""Registers the built-in evaluation metrics exactly as a third-party plugin would."""

from __future__ import annotations

from collections.abc import Callable

from zoo.hookspecs import hookimpl
from zoo.specs import ComponentSpec

_METRICS = {
    "fid": ("zoo.metrics.frechet:FID", "Fréchet Inception Distance (Heusel et al. 2017)"),
    "kid": ("zoo.metrics.kid:KID", "Kernel Inception Distance, unbiased cubic-kernel MMD² (Bińkowski et al. 2018)"),
    "is": ("zoo.metrics.inception_score:InceptionScore", "Inception Score, 10 splits (Salimans et al. 2016)"),
    "pr": (
        "zoo.metrics.precision_recall:PrecisionRecall",
        "improved precision and recall, k=3 (Kynkäänniemi et al. 2019)",
    ),
}


@hookimpl
def register_metrics(register: Callable[[ComponentSpec], None]) -> None:
    for name, (builder, description) in _METRICS.items():
        register(ComponentSpec(name=name, builder=builder, description=description))
