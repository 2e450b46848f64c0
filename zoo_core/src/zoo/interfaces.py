"""The contracts every plugin implements: generators, discriminators, losses, metrics.

This module imports torch; the registry and CLI listing code never import it.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import ClassVar

import torch
from torch import nn

TASK_UNCONDITIONAL = "unconditional-image-generation"
TASK_CONDITIONAL = "class-conditional-image-generation"
TASK_IMAGE_TO_IMAGE = "image-to-image"
TASKS = (TASK_UNCONDITIONAL, TASK_CONDITIONAL, TASK_IMAGE_TO_IMAGE)
DIRECTIONS = ("a2b", "b2a")
"""The directions a translator may declare: A -> B, and for two-way models (CycleGAN) B -> A too."""


class Generator(nn.Module):
    """Maps latents (and optional class labels) to images in [-1, 1], shape (N, C, H, W)."""

    task: ClassVar[str] = TASK_UNCONDITIONAL

    def __init__(self, *, z_dim: int, resolution: int, channels: int = 3, num_classes: int = 0) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.resolution = resolution
        self.channels = channels
        self.num_classes = num_classes

    @abc.abstractmethod
    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return images in [-1, 1] for latents ``z`` of shape (N, z_dim)."""

    def sample_latents(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Draw the latents ``forward`` expects; override for non-Gaussian priors."""
        return torch.randn(n, self.z_dim, generator=generator)


class StyleGenerator(Generator):
    """A style-based generator (Karras et al. 2019): z -> w by ``mapping``, then one w per layer into ``synthesis``.

    The core uses this protocol generically: truncation in W, interpolation in W and style
    mixing (``ModelHandle.interpolate`` / ``style_mix``) work for any subclass.
    Subclasses set ``num_ws`` and ``w_dim`` and register a ``w_avg`` buffer of shape (w_dim,).
    Like StyleGAN's, the output layer may be linear: in training mode ``forward`` and ``synthesis``
    may return values outside [-1, 1] for D to see; in eval mode they return images in [-1, 1].
    """

    num_ws: int  # how many w vectors synthesis takes, one per style input, coarse (0) to fine
    w_dim: int
    w_avg: torch.Tensor  # the mean w, tracked during training; the centre of truncation

    @abc.abstractmethod
    def mapping(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Map latents (N, z_dim) to intermediate latents w of shape (N, w_dim)."""

    @abc.abstractmethod
    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        """Render images in [-1, 1] from per-layer latents ws of shape (N, num_ws, w_dim)."""

    def truncate(self, w: torch.Tensor, truncation: float) -> torch.Tensor:
        """Pull w towards ``w_avg`` (the truncation trick in W): w_avg + ψ·(w − w_avg)."""
        return self.w_avg.to(w.dtype).lerp(w, truncation)

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """One w (N, w_dim) repeated for every style input: (N, num_ws, w_dim)."""
        return w.unsqueeze(1).expand(-1, self.num_ws, -1)

    def truncated(self, z: torch.Tensor, y: torch.Tensor | None, truncation: float) -> torch.Tensor:
        """Images for ``z`` with every layer's w truncated by ψ = ``truncation`` (1 = untruncated)."""
        return self.synthesis(self.broadcast(self.truncate(self.mapping(z, y), truncation)))


class Discriminator(nn.Module):
    """Scores images: ``forward(x, y=None)`` returns raw logits of shape (N,)."""

    def __init__(self, *, resolution: int, channels: int = 3, num_classes: int = 0) -> None:
        super().__init__()
        self.resolution = resolution
        self.channels = channels
        self.num_classes = num_classes

    @abc.abstractmethod
    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return one logit per image."""


class ImageToImageGenerator(Generator):
    """Maps images to images: ``forward(x)`` takes (N, in_channels, H, W) and returns (N, channels, H, W), floats
    in [0, 1], same H and W.

    [0, 1] rather than the GANs' [-1, 1] because these networks eat user photos; ``resolution`` is
    the size it was trained at, but ``forward`` must accept any H and W its strides allow. Input and
    output channels are separate (greyscale -> colour: ``in_channels=1, channels=3``). A two-way model
    (CycleGAN: A -> B and B -> A) sets ``directions = ("a2b", "b2a")`` and overrides ``translator``.
    """

    task: ClassVar[str] = TASK_IMAGE_TO_IMAGE
    directions: ClassVar[tuple[str, ...]] = ("a2b",)
    """The ways the model translates; the first is the default of ``zoo translate`` and ``handle.translate``."""

    def __init__(self, *, resolution: int = 256, channels: int = 3, in_channels: int | None = None) -> None:
        super().__init__(z_dim=0, resolution=resolution, channels=channels)
        self.in_channels = channels if in_channels is None else in_channels

    @abc.abstractmethod
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """Return the translated images in [0, 1]."""

    def translator(self, direction: str) -> nn.Module:
        """The network whose ``forward(x)`` translates in ``direction`` (a one-way model is its own)."""
        if direction != self.directions[0]:
            raise ValueError(f"{type(self).__name__} translates only {self.directions[0]}, not {direction}")
        return self

    def channels_for(self, direction: str) -> tuple[int, int]:
        """(input, output) channels in ``direction``: the reverse of a two-way model swaps them."""
        forward = (self.in_channels, self.channels)
        return forward if direction == self.directions[0] else forward[::-1]

    def sample_latents(self, n: int, generator: torch.Generator) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} is image-to-image: it takes images, not latents")


class ImageToImageDiscriminator(Discriminator):
    """Judges translations: ``forward(x, condition=None)`` returns raw logits of shape (N, ...), a patch map allowed.

    Pix2Pix's PatchGAN (Isola et al. 2017) scores overlapping patches, so the logits may keep spatial
    axes; the losses average them. A ``conditional`` discriminator sees the input image beside the
    output (``condition``, (N, in_channels, H, W)), as Pix2Pix's does; an unconditional one ignores it.
    A two-way model (CycleGAN, Zhu et al. 2017) holds one critic per direction, each judging that
    direction's outputs (D_B judges a2b's), and returns it from ``critic(direction)``. Images reach the
    discriminator in [-1, 1], as in the papers, even though the generator's outputs are in [0, 1].
    """

    conditional: ClassVar[bool] = False
    directions: ClassVar[tuple[str, ...]] = ("a2b",)

    def __init__(self, *, resolution: int = 256, channels: int = 3, in_channels: int | None = None) -> None:
        super().__init__(resolution=resolution, channels=channels)
        self.in_channels = channels if in_channels is None else in_channels

    @abc.abstractmethod
    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        """Return logits (N, ...) for outputs ``x``; a conditional critic also reads ``condition``."""

    def critic(self, direction: str) -> nn.Module:
        """The network judging ``direction``'s outputs (a one-way model's is itself).

        It is called as ``critic(x)``, or ``critic(x, condition)`` when the discriminator is conditional.
        """
        if direction != self.directions[0]:
            raise ValueError(f"{type(self).__name__} judges only {self.directions[0]}, not {direction}")
        return self


def translation_route(generator: nn.Module, direction: str) -> tuple[nn.Module, tuple[int, int]]:
    """The network that translates ``generator``'s images in ``direction`` and its (input, output) channels.

    A generator that only declares the task (no ``translator``) is its own network, with ``in_channels``
    (default: ``channels``) in and ``channels`` out.
    """
    if isinstance(generator, ImageToImageGenerator) or hasattr(generator, "translator"):
        return generator.translator(direction), generator.channels_for(direction)
    return generator, (getattr(generator, "in_channels", generator.channels), generator.channels)


class Loss(abc.ABC):
    """An adversarial objective: what D minimises and what G minimises, on raw logits."""

    name: ClassVar[str] = ""

    @abc.abstractmethod
    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """Discriminator (critic) loss, a scalar."""

    @abc.abstractmethod
    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Generator loss, a scalar."""


class Metric(abc.ABC):
    """Accumulates features of real and generated images, then reports named numbers."""

    name: ClassVar[str] = ""

    @abc.abstractmethod
    def update(self, images: torch.Tensor, *, real: bool) -> None:
        """Add a batch of uint8 images (N, C, H, W) to the real or the fake side."""

    @abc.abstractmethod
    def compute(self) -> Mapping[str, float]:
        """Return the metric's values, e.g. ``{"fid": 12.3}``."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget everything accumulated so the metric can be reused."""


class Regulariser(abc.ABC):
    """A penalty on the discriminator's input gradients, added to the D loss with a weight."""

    name: ClassVar[str] = ""

    @abc.abstractmethod
    def inputs(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The images whose gradients are penalised (returning ``real`` itself reuses its logits)."""

    @abc.abstractmethod
    def penalty(self, inputs: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """The penalty for ``logits = D(inputs)``, built with ``create_graph=True``."""
