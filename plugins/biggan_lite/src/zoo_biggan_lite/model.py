"""BigGAN-lite networks: BigGAN (Brock, Donahue & Simonyan 2018, arXiv:1809.11096) at 32 or 64 px.

What follows Brock et al. (their §3, Appendix B and the authors' BigGAN-PyTorch layouts for
32 and 64 px): a class embedding *shared* by every generator block; a hierarchical latent, z split
into one chunk for the initial linear layer and one chunk per residual up-block ("skip-z"); each
block's conditional batch norm gets concat(shared_embedding(y), z_chunk) through spectrally
normalised linear gain/bias projections (gain = 1 + projection, so it starts around 1);
BN-ReLU-up-conv-BN-ReLU-conv residual blocks; one self-attention block (Zhang et al. 2018) in
each network; spectral norm on every layer of both networks; a BN-ReLU-conv-tanh output; a
discriminator of residual down-blocks with ReLU, global sum pooling and a projection term
⟨embed(y), h⟩ (Miyato & Koyama 2018); and the truncation trick (:func:`truncate_latents`).

What "lite" changes: the resolution (32 or 64 px instead of 128-512) and the channel width,
which is ``width`` times the paper's per-resolution multipliers (BigGAN uses width 64 at
32 px, 96 at 128 px; the zoo defaults to 32 so a CPU can train it). Weights keep PyTorch's
default initialisation instead of the paper's orthogonal / N(0, 0.02) initialisation, because
spectral norm rescales every layer anyway and re-initialising under the SN parametrisation
would leave its power-iteration vectors stale.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from zoo.interfaces import TASK_CONDITIONAL, TASK_UNCONDITIONAL
from zoo.interfaces import Discriminator as BaseDiscriminator
from zoo.interfaces import Generator as BaseGenerator
from zoo.layers import DiscriminatorBlock, GeneratorBlock, SelfAttention, conv3x3, maybe_sn, projection_logits

# Channel multipliers of width per resolution, as in BigGAN-PyTorch's arch[32] / arch[64]:
# generator: 4×4 base, then each up-block's output; discriminator: each block's output and
# whether it halves the resolution.
G_MULTIPLIERS = {32: (4, 4, 4, 4), 64: (16, 16, 8, 4, 2)}
D_LAYOUT = {
    32: ((4, True), (4, True), (4, False), (4, False)),
    64: ((1, True), (2, True), (4, True), (8, True), (16, False)),
}


def _check_resolution(resolution: int) -> None:
    if resolution not in G_MULTIPLIERS:
        raise ValueError(f"BigGAN-lite supports resolution 32 or 64, not {resolution}")


TRUNCATION_BOUND = 2.0  # |z| beyond this is resampled, as in the authors' released BigGAN samplers


def truncate_latents(z: torch.Tensor, truncation: float, bound: float = TRUNCATION_BOUND) -> torch.Tensor:
    """The truncation trick (Brock et al. 2018, §3.1): ``truncation`` × N(0, 1) truncated to [-bound, bound].

    Following the authors' released samplers (TF-Hub BigGAN: truncation × truncnorm(-2, 2)), entries
    with |z| > 2 are redrawn inside the range and the result is scaled by ``truncation`` in (0, 1]:
    1 is (almost) untruncated, towards 0 every image tends to its class's "average" image, and all
    entries lie within ±2·truncation. Instead of rejection sampling this uses the inverse-CDF
    sampler of the same truncated normal, z' = Φ⁻¹(Φ(-b) + Φ(z)(1 - 2Φ(-b))): the same distribution,
    but a deterministic, monotone function of the seeded z, so a seed gives the same images at a
    given truncation and keeps its look across truncations.
    """
    if not 0 < truncation:
        raise ValueError(f"truncation must be positive, got {truncation}")
    z64 = z.detach().to(torch.float64)
    low = torch.special.ndtr(torch.tensor(-float(bound), dtype=torch.float64))
    mapped = torch.special.ndtri(low + torch.special.ndtr(z64) * (1 - 2 * low)).clamp(-bound, bound)
    return (truncation * mapped).to(device=z.device, dtype=z.dtype)


def _attention_index(resolutions: list[int], attention: int, where: str) -> int:
    """Index of the block after which self-attention sits (-1 for none)."""
    if attention == 0:
        return -1
    if attention not in resolutions:
        raise ValueError(f"attention={attention} is not a {where} resolution: choose one of {sorted(set(resolutions))}")
    return resolutions.index(attention)


class Generator(BaseGenerator):
    """(z, class) -> images in [-1, 1] through the shared embedding and the hierarchical latent."""

    def __init__(
        self,
        resolution: int = 32,
        z_dim: int = 128,
        width: int = 32,
        channels: int = 3,
        num_classes: int = 10,
        shared_dim: int = 128,
        attention: int = 16,
    ) -> None:
        super().__init__(z_dim=z_dim, resolution=resolution, channels=channels, num_classes=num_classes)
        _check_resolution(resolution)
        self.task = TASK_CONDITIONAL if num_classes else TASK_UNCONDITIONAL
        widths = [width * m for m in G_MULTIPLIERS[resolution]]
        stages = len(widths) - 1
        if z_dim % (stages + 1):
            raise ValueError(f"z_dim {z_dim} must split into {stages + 1} equal chunks (hierarchical latent)")
        self.chunk = z_dim // (stages + 1)
        self.base = widths[0]
        # One embedding for all blocks (BigGAN's "shared embedding"); each block projects it itself.
        self.shared = nn.Embedding(num_classes, shared_dim) if num_classes else None
        cond_dim = self.chunk + (shared_dim if num_classes else 0)
        self.linear = maybe_sn(nn.Linear(self.chunk, 4 * 4 * widths[0]), True)
        self.blocks = nn.ModuleList(
            GeneratorBlock(widths[i], widths[i + 1], cond_dim=cond_dim, sn=True) for i in range(stages)
        )
        self.attention_after = _attention_index([8 * 2**i for i in range(stages)], attention, "generator")
        self.attention = SelfAttention(widths[self.attention_after + 1], sn=True) if attention else None
        self.bn = nn.BatchNorm2d(widths[-1])
        self.to_rgb = conv3x3(widths[-1], channels, sn=True)

    def conditions(self, z: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Split z: the first chunk for the linear layer, then concat(shared(y), chunk) per block."""
        chunks = torch.split(z, self.chunk, dim=1)
        if self.shared is None:
            return chunks[0], list(chunks[1:])
        if y is None:
            raise ValueError("a class-conditional generator needs labels y")
        embedded = self.shared(y).to(z.dtype)
        return chunks[0], [torch.cat([embedded, chunk], dim=1) for chunk in chunks[1:]]

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        first, conds = self.conditions(z, y)
        h = self.linear(first).view(z.shape[0], self.base, 4, 4)
        for index, (block, cond) in enumerate(zip(self.blocks, conds, strict=True)):
            h = block(h, cond)
            if index == self.attention_after:
                h = self.attention(h)
        return torch.tanh(self.to_rgb(F.relu(self.bn(h))))

    def truncated(self, z: torch.Tensor, y: torch.Tensor | None, truncation: float) -> torch.Tensor:
        """Images from truncated latents (:func:`truncate_latents`): less variety, higher fidelity."""
        return self(truncate_latents(z, truncation), y)


class Discriminator(BaseDiscriminator):
    """(images, class) -> logits: residual down-blocks, sum pooling, linear plus projection."""

    def __init__(
        self, resolution: int = 32, width: int = 32, channels: int = 3, num_classes: int = 10, attention: int = 16
    ) -> None:
        super().__init__(resolution=resolution, channels=channels, num_classes=num_classes)
        _check_resolution(resolution)
        layout, blocks, cin, size, resolutions = D_LAYOUT[resolution], [], channels, resolution, []
        for index, (multiplier, down) in enumerate(layout):
            blocks.append(DiscriminatorBlock(cin, width * multiplier, downsample=down, first=index == 0, sn=True))
            cin, size = width * multiplier, size // 2 if down else size
            resolutions.append(size)
        where = _attention_index(resolutions, attention, "discriminator")
        if where >= 0:
            blocks.insert(where + 1, SelfAttention(width * layout[where][0], sn=True))
        self.blocks = nn.Sequential(*blocks)
        self.linear = maybe_sn(nn.Linear(cin, 1), True)
        self.embed = maybe_sn(nn.Embedding(num_classes, cin), True) if num_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))
        return projection_logits(h, self.linear, self.embed, y)
