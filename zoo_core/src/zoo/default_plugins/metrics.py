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
    "dc": ("zoo.metrics.density_coverage:DensityCoverage", "density and coverage, k=5 (Naeem et al. 2020)"),
    "ifid": (
        "zoo.metrics.intra_class:IntraClassFID",
        "intra-class FID: FID per class and its mean, for class-conditional models (Miyato & Koyama 2018)",
    ),
    "ppl": (
        "zoo.metrics.path_length:PerceptualPathLength",
        "perceptual path length in W, end points, eps 1e-4, for style generators (Karras et al. 2019)",
    ),
    "ppl-face": (
        "zoo.metrics.path_length:FacePerceptualPathLength",
        "perceptual path length on the paper's FFHQ face crop, for style generators of faces",
    ),
}


@hookimpl
def register_metrics(register: Callable[[ComponentSpec], None]) -> None:
    for name, (builder, description) in _METRICS.items():
        register(ComponentSpec(name=name, builder=builder, description=description))
