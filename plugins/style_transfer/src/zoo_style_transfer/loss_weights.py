"""How much each perceptual loss term counts: plain numbers, torch-free.

Below both the feature networks (each knows the balance that suits its activations) and the losses that
apply the weights, so neither of those imports the other for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from zoo.errors import ZooError


@dataclass(frozen=True)
class LossWeights:
    """How much each term counts; None takes the feature network's default (``FeatureNet.default_weights``).

    The balance depends on the backbone's activation scale: content 1, style 1e5, tv 1e-5 for
    ImageNet VGG19 on [0, 1] images; the bundled SqueezeNet (Caffe, 0–255 input) has its own.
    """

    content: float | None = None
    style: float | None = None
    tv: float | None = None

    def resolved(self, defaults: LossWeights) -> LossWeights:
        """These weights with every unset one taken from ``defaults``, checked."""
        weights = LossWeights(
            *(getattr(defaults, name) if getattr(self, name) is None else getattr(self, name) for name in _TERMS)
        )
        weights.check()
        return weights

    def check(self) -> None:
        """Negative weights would reward the opposite of what each term measures."""
        for name in _TERMS:
            value = getattr(self, name)
            if value is not None and not (value >= 0 and value < float("inf")):
                raise ZooError(f"the {name} weight must be a finite number >= 0, got {value}")
        if self.content == 0 and self.style == 0:
            raise ZooError("the content and style weights are both 0: nothing to optimise")


_TERMS = ("content", "style", "tv")
VGG_WEIGHTS = LossWeights(1.0, 1e5, 1e-5)
