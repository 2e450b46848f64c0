"""Latent-space walks and style mixing, generic over generators (the logic behind ModelHandle's methods).

Style-based generators (``zoo.interfaces.StyleGenerator``) are walked linearly in W, where
StyleGAN showed interpolation to be smooth (Karras et al. 2019, §4); any other generator is walked
along a great circle in z (slerp, White 2016, arXiv:1609.04468), which keeps Gaussian latents at
a typical norm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from zoo.errors import ZooError
from zoo.interfaces import Generator, StyleGenerator
from zoo.seeds import latent_generator

MAX_IMAGES = 100_000
MAX_MIX_CELLS = 1024
"""A style-mixing figure is for looking at: 32×32 cells at most (200×200 ran minutes without a word)."""


def check_truncation(truncation: float | None) -> None:
    """Truncation ψ must lie in (0, 1]: 1 is untruncated, towards 0 the average image."""
    if truncation is not None and not (isinstance(truncation, (int, float)) and 0 < truncation <= 1):
        raise ZooError(f"truncation must be in (0, 1], got {truncation}")


def check_seeds(seeds: Sequence[int], what: str) -> list[int]:
    """A non-empty list of non-negative integer seeds."""
    seeds = list(seeds)
    if not seeds:
        raise ZooError(f"{what} is empty: give at least one seed")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise ZooError(f"{what}: seed {seed!r} is not an integer from 0 to 2**63 - 1")
    return seeds


def seed_latents(generator: Generator, seeds: Sequence[int]) -> torch.Tensor:
    """One latent per seed, drawn exactly as ``ModelHandle.sample(1, seed=s)`` draws it."""
    return torch.cat([generator.sample_latents(1, latent_generator(s)) for s in seeds])


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows of ``a`` and ``b`` (shape (D,)) at fractions ``t`` (shape (T,))."""
    a64, b64, t64 = a.double(), b.double(), t.double()[:, None]
    cos = torch.dot(a64, b64) / (a64.norm() * b64.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1, 1))
    if omega.abs() < 1e-6:  # (anti)parallel within float precision: a straight line is the same path
        return torch.lerp(a64, b64, t64).to(a.dtype)
    mixed = (torch.sin((1 - t64) * omega) * a64 + torch.sin(t64 * omega) * b64) / torch.sin(omega)
    return mixed.to(a.dtype)


def _batched(render: Callable[[slice], torch.Tensor], n: int, batch_size: int, output: str) -> torch.Tensor:
    """Render ``n`` images in batches and convert them to the requested output."""
    from zoo.images import to_uint8

    chunks = []
    for start in range(0, n, batch_size):
        images = render(slice(start, start + batch_size))
        chunks.append(to_uint8(images) if output == "uint8" else images.float().cpu())
    return torch.cat(chunks)


def interpolate(
    generator: Generator,
    seed_a: int,
    seed_b: int,
    steps: int,
    y: torch.Tensor | None,
    truncation: float | None,
    output: str,
    batch_size: int = 64,
) -> torch.Tensor:
    """``steps`` images from seed_a's to seed_b's, both ends included (see ModelHandle.interpolate).

    ``y``: one class label (shape (1,)) for the whole walk of a conditional generator, else None.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_IMAGES:
        raise ZooError(f"steps must be an integer from 2 to {MAX_IMAGES} (both ends are included), got {steps}")
    check_seeds([seed_a, seed_b], "seeds")
    check_truncation(truncation)
    if truncation is not None and not hasattr(generator, "truncated"):
        raise ZooError(f"{type(generator).__name__} does not support truncation: leave it out")
    param = next(generator.parameters())
    device, dtype = param.device, param.dtype
    z = seed_latents(generator, [seed_a, seed_b])
    y = y.to(device) if y is not None else None
    t = torch.linspace(0, 1, steps)
    generator.eval()
    with torch.no_grad():
        if isinstance(generator, StyleGenerator):
            w = generator.mapping(z.to(device=device, dtype=dtype), y.expand(2) if y is not None else None)
            if truncation is not None:
                w = generator.truncate(w, truncation)
            path = torch.lerp(w[0], w[1], t.to(device=device, dtype=w.dtype)[:, None])
            return _batched(lambda s: generator.synthesis(generator.broadcast(path[s])), steps, batch_size, output)
        path = slerp(z[0], z[1], t)

        def render(s: slice) -> torch.Tensor:
            zb = path[s].to(device=device, dtype=dtype)
            yb = y.expand(zb.shape[0]) if y is not None else None
            return generator.truncated(zb, yb, truncation) if truncation is not None else generator(zb, yb)

        return _batched(render, steps, batch_size, output)


def check_layers(generator: StyleGenerator, layers: Sequence[int]) -> list[int]:
    """Sorted, unique style-input indices, each in 0..num_ws-1."""
    layers = list(layers)
    last = generator.num_ws - 1
    if not layers:
        raise ZooError(f"no layers given: choose style inputs in 0..{last} (0 is the coarsest)")
    for index in layers:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= last:
            count = generator.num_ws
            raise ZooError(
                f"layer {index!r} is out of range: this model has {count} style inputs, choose from 0..{last}"
            )
    return sorted(set(layers))


def style_mix(
    generator: Generator,
    name: str,
    seeds_a: Sequence[int],
    seeds_b: Sequence[int],
    layers: Sequence[int],
    truncation: float | None,
    output: str,
    batch_size: int = 64,
) -> torch.Tensor:
    """The (len(a), len(b)) grid of mixes (see ModelHandle.style_mix)."""
    if not isinstance(generator, StyleGenerator):
        raise ZooError(f"{name} is not a style-based generator, so it cannot mix styles: use a StyleGAN family")
    seeds_a, seeds_b = check_seeds(seeds_a, "seeds_a"), check_seeds(seeds_b, "seeds_b")
    if len(seeds_a) * len(seeds_b) > MAX_MIX_CELLS:
        raise ZooError(
            f"{len(seeds_a)}×{len(seeds_b)} mixes are too many for one figure: at most {MAX_MIX_CELLS} cells"
        )
    chosen = check_layers(generator, layers)
    check_truncation(truncation)
    param = next(generator.parameters())
    rows, cols = len(seeds_a), len(seeds_b)
    generator.eval()
    with torch.no_grad():
        w = generator.mapping(seed_latents(generator, [*seeds_a, *seeds_b]).to(param.device, param.dtype))
        if truncation is not None:
            w = generator.truncate(w, truncation)
        w_a, w_b = w[:rows], w[rows:]
        ws = generator.broadcast(w_a).unsqueeze(1).repeat(1, cols, 1, 1)  # (rows, cols, num_ws, w_dim)
        ws[:, :, chosen] = w_b[None, :, None, :]
        ws = ws.flatten(0, 1)
        images = _batched(lambda s: generator.synthesis(ws[s]), rows * cols, batch_size, output)
    return images.unflatten(0, (rows, cols))
