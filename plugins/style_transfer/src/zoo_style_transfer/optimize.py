"""Optimisation-based style transfer (Gatys, Ecker & Bethge 2016, CVPR): descend on the pixels themselves."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from zoo.errors import ZooError

from zoo_style_transfer.loss_weights import LossWeights
from zoo_style_transfer.losses import PerceptualLoss

OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise")


@dataclass
class OptimizeSettings:
    """Gatys et al. used L-BFGS from white noise; starting from the content image converges much sooner."""

    steps: int = 300
    optimizer: str | None = None  # None: the feature network's (FeatureNet.default_optimizer)
    lr: float | None = None  # L-BFGS 1.0 (it line-searches), Adam 0.02 on [0, 1] pixels
    init: str = "content"
    weights: LossWeights = field(default_factory=LossWeights)
    seed: int = 0

    def check(self) -> None:
        if self.steps < 1:
            raise ZooError(f"steps must be at least 1, got {self.steps}")
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise ZooError(f"unknown optimizer {self.optimizer!r}: choose {' or '.join(OPTIMIZERS)}")
        if self.init not in INITS:
            raise ZooError(f"unknown init {self.init!r}: choose {' or '.join(INITS)}")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise ZooError(f"the learning rate must be a finite number > 0, got {self.lr}")
        self.weights.check()


def optimize(
    content: torch.Tensor,
    loss: PerceptualLoss,
    settings: OptimizeSettings,
    progress: bool = True,
    on_step: Callable[[int, int], None] | None = None,
) -> tuple[torch.Tensor, list[float]]:
    """The stylised (1, 3, H, W) image in [0, 1] and its total loss at the start and after each step.

    The last figure is the loss of the returned image itself: L-BFGS evaluates line-search trials
    that it may not keep, and the result is clipped to [0, 1], so neither trial nor unclipped loss is reported.
    ``on_step(done, total)`` hears each finished step (an app's progress bar).
    """
    from tqdm import tqdm

    settings.check()
    method = settings.optimizer or loss.features.default_optimizer
    targets = loss.content_targets(content)
    if settings.init == "content":
        start = content.clone(memory_format=torch.contiguous_format)  # L-BFGS views the gradient flat
    else:
        start = torch.rand(content.shape, generator=torch.Generator().manual_seed(settings.seed)).to(content.device)
    image = start.requires_grad_(True)
    if method == "lbfgs":
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            [image],
            lr=settings.lr or 1.0,
            max_iter=1,
            history_size=50,
            line_search_fn="strong_wolfe",
            tolerance_grad=0.0,
            tolerance_change=0.0,  # the step count decides when to stop, not the loss scale
        )
    else:
        opt = torch.optim.Adam([image], lr=settings.lr or 0.02)
    history: list[float] = []
    first: dict[str, torch.Tensor] = {}  # the terms at the image the step starts from (not a line-search trial)

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        terms = loss(image, targets)
        terms["total"].backward()
        if not first:
            first.update({name: term.detach() for name, term in terms.items()})
        return terms["total"]

    bar = tqdm(range(settings.steps), desc="optimising", unit="step", disable=not progress, dynamic_ncols=True)
    for _ in bar:
        first.clear()
        opt.step(closure)  # both optimisers evaluate the closure first at the current image
        history.append(_finite(float(first["total"])))
        if method == "adam":
            with torch.no_grad():
                image.clamp_(0, 1)  # projected Adam; L-BFGS is clipped once at the end (a projection
                # between its steps breaks its curvature pairs and can stall it on an ascent direction)
        bar.set_postfix({name: f"{float(term):.3g}" for name, term in first.items() if name != "total"}, refresh=False)
        if on_step is not None:
            on_step(len(history), settings.steps)
    result = image.detach().clamp(0, 1)
    with torch.no_grad():
        history.append(_finite(float(loss(result, targets)["total"])))
    return result, history


def _finite(value: float) -> float:
    """The loss, or a ZooError saying how to keep it from diverging."""
    if not math.isfinite(value):
        raise ZooError("the loss diverged (not finite): lower --style-weight or --lr, or use --optimizer adam")
    return value
