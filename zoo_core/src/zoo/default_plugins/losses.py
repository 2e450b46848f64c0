"""Registers the built-in adversarial losses and regularisers exactly as a third-party plugin would."""

from __future__ import annotations

from collections.abc import Callable

from zoo.hookspecs import hookimpl
from zoo.specs import ComponentSpec

_LOSSES = {
    "bce": ("NonSaturatingLoss", "non-saturating binary cross-entropy (Goodfellow et al. 2014)"),
    "hinge": ("HingeLoss", "hinge loss (Lim & Ye 2017)"),
    "wasserstein": ("WassersteinLoss", "Wasserstein critic loss (Arjovsky et al. 2017)"),
    "lsgan": ("LeastSquaresLoss", "least-squares loss (Mao et al. 2017)"),
    "gp": ("GradientPenalty", "regulariser: WGAN-GP gradient penalty (Gulrajani et al. 2017)"),
    "r1": ("R1Penalty", "regulariser: R1 penalty on real images (Mescheder et al. 2018)"),
}


@hookimpl
def register_losses(register: Callable[[ComponentSpec], None]) -> None:
    for name, (cls, description) in _LOSSES.items():
        register(ComponentSpec(name=name, builder=f"zoo.losses:{cls}", description=description))
