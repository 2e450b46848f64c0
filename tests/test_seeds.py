"""A user's seed names hashed streams: sample's latents never repeat a model's initial weights."""

from __future__ import annotations

import torch
import zoo
from zoo.latent import seed_latents
from zoo.seeds import init_seed, latent_generator


def _max_cosine(rows: torch.Tensor, weight: torch.Tensor) -> float:
    normalise = torch.nn.functional.normalize
    return float((normalise(rows, dim=1) @ normalise(weight, dim=1).T).abs().max())


def test_a_model_built_after_torch_manual_seed_does_not_hold_that_seeds_latents():
    """Outside training scripts call torch.manual_seed(seed) and then build: sample(seed) must not meet it.

    With latents drawn from manual_seed(seed), a StyleGAN's first mapping layer held seed 0's first latents
    as rows (cosine 1.0) and its seed-0 grid was its worst.
    """
    for seed in (0, 1, 1234):
        torch.manual_seed(seed)
        handle = zoo.build("stylegan-lite", z_dim=32, w_dim=32, width=4, resolution=32, with_discriminator=False)
        first = next(p for p in handle.generator.parameters() if p.dim() == 2 and p.shape[1] == 32).detach()
        latents = seed_latents(handle.generator, range(seed, seed + first.shape[0]))
        drawn_as_sample = handle.generator.sample_latents(first.shape[0], latent_generator(seed))
        assert _max_cosine(latents, first) < 0.9, f"seed {seed}: seed_latents meet the initial weights"
        assert _max_cosine(drawn_as_sample, first) < 0.9, f"seed {seed}: sample's latents meet the initial weights"


def test_the_streams_are_apart_from_each_other_and_fixed_per_seed():
    draw = lambda generator: torch.randn(256, generator=generator)  # noqa: E731
    assert torch.equal(draw(latent_generator(7)), draw(latent_generator(7)))
    assert not torch.equal(draw(latent_generator(7)), draw(latent_generator(8)))
    plain = draw(torch.Generator().manual_seed(7))
    weights = draw(torch.Generator().manual_seed(init_seed(7)))
    latents = draw(latent_generator(7))
    for a, b in ((plain, latents), (weights, latents), (plain, weights)):
        assert abs(float(torch.nn.functional.cosine_similarity(a, b, dim=0))) < 0.3


def test_sample_draws_its_latents_from_the_seeds_stream():
    torch.manual_seed(0)
    handle = zoo.build("dcgan", resolution=32, with_discriminator=False).eval()
    expected = handle.generator.sample_latents(3, latent_generator(5))
    with torch.no_grad():
        images = handle.sample(3, seed=5, output="tensor")
        assert torch.allclose(images, handle.generator(expected, None).float(), atol=1e-5)
