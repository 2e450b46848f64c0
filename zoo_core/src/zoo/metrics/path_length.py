"""Perceptual path length (Karras, Laine & Aila 2019, "A style-based generator architecture for
generative adversarial networks", §4.2 and appendix).

PPL measures how smoothly images change along paths in the intermediate latent space W: for pairs
of latents it compares the images at w0 and at a point ε along the line to w1,

    d = D(G(lerp(w0, w1, t)), G(lerp(w0, w1, t + ε))) / ε²,

with ε = 1e-4 and t = 0 ("end points", the sampling the issue and the paper's W-space "end" figures
use). Distances below the 1st and above the 99th percentile are dropped before averaging, as in
the authors' code. Lower is smoother.

The paper's D is LPIPS (Zhang et al. 2018) on VGG16 features with learned per-channel weights.
Neither is available offline here, so D is the LPIPS form on the bundled ImageNet SqueezeNet-1.1
(the seven taps of LPIPS's own 'squeeze' variant: relu1, fire3, fire5, fire6, fire7, fire8, fire9)
with unit channel weights (LPIPS's uncalibrated baseline): per tap, features are unit-normalised
over channels, squared differences are summed over channels and averaged over space, and the taps
are summed. Images are compared at their own size (LPIPS was trained on 64x64 patches): smaller
ones are upsampled to 64 px, larger ones area-downsampled to at most 256 px as the paper does.
Every value is labelled with this protocol; it compares only with PPLs measured the same way.
``ppl-face`` first takes the paper's FFHQ crop (rows 3/8 to 7/8, columns 2/8 to 6/8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from zoo.errors import ZooError
from zoo.interfaces import Metric, StyleGenerator
from zoo.seeds import latent_generator

EPSILON = 1e-4
TAPS = (1, 4, 7, 9, 10, 11, 12)  # indices into SqueezeNet11.features: LPIPS 'squeeze' slice ends
MIN_SIZE, MAX_SIZE = 64, 256


def face_crop(images: torch.Tensor) -> torch.Tensor:
    """The paper's FFHQ crop, which keeps the face and drops the background."""
    c = images.shape[2] // 8
    return images[:, :, c * 3 : c * 7, c * 2 : c * 6]


def fit_size(images: torch.Tensor) -> torch.Tensor:
    """Upsample below 64 px (bilinear) and area-downsample above 256 px by an integer factor."""
    size = images.shape[-1]
    if size < MIN_SIZE:
        return F.interpolate(images, size=(MIN_SIZE, MIN_SIZE), mode="bilinear", align_corners=False)
    if size > MAX_SIZE:
        return F.avg_pool2d(images, size // MAX_SIZE)
    return images


class SqueezeLPIPS(torch.nn.Module):
    """LPIPS-form distance with unit channel weights on ImageNet SqueezeNet-1.1 taps."""

    def __init__(self) -> None:
        from zoo.backbones.squeezenet import load_squeezenet

        super().__init__()
        self.network = load_squeezenet()

    def taps(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Unit-normalised features at each tap for images in [-1, 1] (N, 3, H, W)."""
        x = self.network.preprocess((images + 1) / 2)
        out = []
        for index, layer in enumerate(self.network.features[: TAPS[-1] + 1]):
            x = layer(x)
            if index in TAPS:
                out.append(x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10))
        return out

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Distance (N,) between image batches a and b in [-1, 1]."""
        total = torch.zeros(len(a), dtype=a.dtype, device=a.device)
        for fa, fb in zip(self.taps(a), self.taps(b), strict=True):
            total = total + (fa - fb).pow(2).sum(dim=1).mean(dim=(1, 2))
        return total


def filtered_mean(distances: np.ndarray) -> float:
    """Mean of the distances between the 1st ('lower') and 99th ('higher') percentiles, as the authors' code."""
    lo = np.percentile(distances, 1, method="lower")
    hi = np.percentile(distances, 99, method="higher")
    return float(distances[(distances >= lo) & (distances <= hi)].mean())


@torch.no_grad()
def path_distances(
    generator: StyleGenerator,
    n: int,
    *,
    seed: int = 0,
    batch_size: int = 32,
    epsilon: float = EPSILON,
    crop: bool = False,
    distance: torch.nn.Module | None = None,
    progress: Any = None,
) -> np.ndarray:
    """n scaled distances D(G(w0), G(lerp(w0, w1, ε))) / ε² in float32 (labels balanced for conditional models)."""
    if not isinstance(generator, StyleGenerator):
        raise ZooError(f"ppl needs a style generator (mapping and synthesis), got {type(generator).__name__}")
    distance = distance if distance is not None else SqueezeLPIPS()
    device = next(generator.parameters()).device
    distance = distance.to(device)
    # Every pair's latents are drawn up front, so the pairs do not depend on the batch size.
    pairs = generator.sample_latents(2 * n, latent_generator(seed)).view(n, 2, -1)
    classes = generator.num_classes
    out = []
    for start in range(0, n, batch_size):
        count = min(batch_size, n - start)
        z = pairs[start : start + count].transpose(0, 1).reshape(2 * count, -1)
        z = z.to(device=device, dtype=torch.float32)
        y = None
        if classes:
            y = (torch.arange(start, start + count) % classes).repeat(2).to(device)
        w0, w1 = generator.mapping(z, y).float().chunk(2)
        ws = torch.cat([w0, w0.lerp(w1, epsilon)])
        images = generator.synthesis(generator.broadcast(ws)).float()
        if crop:
            images = face_crop(images)
        images = fit_size(images)
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        a, b = images.chunk(2)
        out.append((distance(a, b) / epsilon**2).cpu().numpy())
        if progress is not None:
            progress.update(count)
    return np.concatenate(out)


class PerceptualPathLength(Metric):
    """PPL in W, end points, ε = 1e-4, over generated pairs; the generator drives it, not images."""

    name = "ppl"
    label = "PPL"
    needs_generator: ClassVar[bool] = True
    crop: ClassVar[bool] = False

    def __init__(self, *, epsilon: float = EPSILON) -> None:
        self.epsilon = epsilon
        self.reset()

    def reset(self) -> None:
        self._distances: list[np.ndarray] = []
        self._count = 0

    def update(self, images: torch.Tensor, *, real: bool) -> None:
        """Images are not used: PPL renders its own pairs (see ``measure``)."""

    def check(self, generator: torch.nn.Module) -> None:
        """Refuse a generator PPL cannot walk before any work is done."""
        if not isinstance(generator, StyleGenerator):
            raise ZooError(
                f"{self.name} walks the W space of style generators (mapping and synthesis); "
                f"{type(generator).__name__} has none: drop {self.name}"
            )

    def measure(
        self, generator: StyleGenerator, n: int, *, seed: int = 0, batch_size: int = 32, progress: Any = None
    ) -> None:
        """Render n latent pairs and keep their scaled distances."""
        self.check(generator)
        if generator.training:
            raise ZooError(f"{self.name} needs the generator in eval mode (call .eval())")
        self._distances.append(
            path_distances(
                generator, n, seed=seed, batch_size=batch_size, epsilon=self.epsilon, crop=self.crop, progress=progress
            )
        )
        self._count += n

    def compute(self) -> Mapping[str, float]:
        """{'ppl': filtered mean}."""
        if not self._distances:
            raise ZooError("ppl has no measurements: call measure(generator, n) first")
        return {self.name: filtered_mean(np.concatenate(self._distances))}

    def protocol(self) -> dict[str, Any]:
        return {
            self.name: (
                f"W space, end points (t=0), eps={self.epsilon:g}, {self._count} pairs, 1st-99th percentile mean; "
                "distance: LPIPS form with unit channel weights on SqueezeNet-1.1 ImageNet taps "
                "(not the paper's VGG16 LPIPS), images at their size (64-256 px)"
                + ("; paper's FFHQ face crop" if self.crop else "; no crop")
            )
        }


class FacePerceptualPathLength(PerceptualPathLength):
    """PPL on the paper's FFHQ face crop (for face models)."""

    name = "ppl-face"
    crop = True
