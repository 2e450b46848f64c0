"""The random streams a user's seed selects: latents for ``sample`` and a run's initial weights, kept apart.

A seed names a stream, not torch's global state: both streams are derived from a hash of the seed, so no two
uses of one seed share numbers, and neither shares numbers with ``torch.manual_seed(seed)``, which most
training scripts call before building their model.
"""

from __future__ import annotations

import hashlib

import torch


def _derived(purpose: str, seed: int) -> int:
    """A 63-bit seed for ``purpose`` (torch takes it; a user's own seed is unlikely to meet it)."""
    digest = hashlib.sha256(f"gan-zoo {purpose} {seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def init_seed(seed: int) -> int:
    """The seed of a run's initial weights: a stream apart from every latent seed a user passes to ``sample``.

    Seeded with ``seed`` itself, a model drew its first weights from the numbers ``sample(seed=0)`` once drew
    its latents from: a StyleGAN mapping layer's first rows were seed 0's first latents exactly (cosine
    1.0), and with the mapping's 0.01 learning rate they stayed close, so the seed-0 latents mapped twice as
    far from the average w as others and drew broken faces.
    """
    return _derived("initial weights", seed)


def latent_generator(seed: int) -> torch.Generator:
    """The generator ``sample(seed=…)``, seed lists, path lengths and the bf16 probe draw latents from.

    Hashed rather than ``manual_seed(seed)``: a model initialised after ``torch.manual_seed(seed)`` (as most
    training scripts do, the zoo's before its own fix included) otherwise holds that seed's first latents
    as rows of its weights, and draws its worst images for exactly the seed every example uses.
    """
    return torch.Generator().manual_seed(_derived("latents", seed))
