"""BigGAN-lite's defining pieces: shared embedding, hierarchical latent, truncation, 64 px, bf16."""

from __future__ import annotations

import math

import pytest
import torch
import zoo
from torch import nn
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo_biggan_lite.model import truncate_latents

TINY = dict(get_registry().architecture("biggan-lite").tiny_config)


def _tiny(**overrides):
    torch.manual_seed(0)
    return zoo.build("biggan-lite", **{**TINY, **overrides})


def _block_conditions(generator, z, y) -> list[torch.Tensor]:
    """The conditioning vector each block's first conditional batch norm receives."""
    seen: list[torch.Tensor] = []
    hooks = [
        block.bn1.register_forward_pre_hook(lambda module, args: seen.append(args[1].detach()))
        for block in generator.blocks
    ]
    try:
        generator(z, y)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def test_one_shared_embedding_feeds_every_block_with_its_own_z_chunk():
    generator = _tiny().generator
    embeddings = [m for m in generator.modules() if isinstance(m, nn.Embedding)]
    assert embeddings == [generator.shared]
    z, y = torch.randn(4, generator.z_dim), torch.tensor([0, 1, 2, 0])
    conditions = _block_conditions(generator, z, y)
    assert len(conditions) == len(generator.blocks) == 3
    shared_dim = generator.shared.embedding_dim
    chunks = z.split(generator.chunk, dim=1)
    for index, cond in enumerate(conditions):
        assert torch.equal(cond[:, :shared_dim], generator.shared(y).detach())
        assert torch.equal(cond[:, shared_dim:], chunks[index + 1])  # chunk 0 feeds the linear layer
    assert not torch.equal(conditions[0][:, shared_dim:], conditions[1][:, shared_dim:])


def test_changing_one_z_chunk_changes_only_what_reads_it():
    generator = _tiny().generator.eval()
    z, y = torch.randn(2, generator.z_dim), torch.tensor([0, 1])
    bumped = z.clone()
    bumped[:, 2 * generator.chunk : 3 * generator.chunk] += 1.0  # the second block's chunk
    before, after = _block_conditions(generator, z, y), _block_conditions(generator, bumped, y)
    assert torch.equal(before[0], after[0]) and torch.equal(before[2], after[2])
    assert not torch.equal(before[1], after[1])
    assert not torch.allclose(generator(z, y), generator(bumped, y))


def test_z_dim_must_split_into_equal_chunks():
    with pytest.raises(ZooError, match="equal chunks"):
        zoo.build("biggan-lite", **{**TINY, "z_dim": 10})


def test_truncated_latents_are_a_scaled_truncated_normal_within_two_truncations():
    z = torch.randn(200_000, generator=torch.Generator().manual_seed(0))
    # Variance of N(0, 1) truncated to [-2, 2]: 1 - 2·2·φ(2) / (2Φ(2) - 1).
    phi = math.exp(-2) / math.sqrt(2 * math.pi)
    unit = 1 - 4 * phi / math.erf(2 / math.sqrt(2))
    for truncation in (1.0, 0.5, 0.04):
        out = truncate_latents(z, truncation)
        assert out.abs().max() <= 2 * truncation
        assert out.var().item() == pytest.approx(truncation**2 * unit, rel=0.02)
    inside = z.abs() < 1.0
    assert (truncate_latents(z, 1.0)[inside] - z[inside]).abs().max() < 0.1  # barely moves the bulk
    assert torch.equal(truncate_latents(z, 0.5), truncate_latents(z.clone(), 0.5))
    order = z[:1000].argsort()
    assert torch.equal(truncate_latents(z[:1000], 0.5)[order].argsort(), torch.arange(1000))  # monotone


def test_truncation_is_reproducible_and_smaller_truncation_lowers_variety():
    handle = _tiny().eval()
    first = handle.sample(16, seed=3, labels=[1], truncation=0.5, output="tensor")
    assert torch.equal(first, handle.sample(16, seed=3, labels=[1], truncation=0.5, output="tensor"))
    in_batches = handle.sample(16, seed=3, labels=[1], truncation=0.5, output="tensor", batch_size=5)
    torch.testing.assert_close(first, in_batches)  # same latents; only float summation order may differ
    assert not torch.equal(first, handle.sample(16, seed=4, labels=[1], truncation=0.5, output="tensor"))
    spread = {
        t: handle.sample(16, seed=0, labels=[1], truncation=t, output="tensor").var(dim=0).mean() for t in (1, 0.1)
    }
    assert spread[0.1] < spread[1]


@pytest.mark.parametrize("truncation", [0, -0.5, 1.5])
def test_truncation_outside_zero_one_is_refused(truncation):
    with pytest.raises(ZooError, match="truncation must be in"):
        _tiny().sample(1, labels=[0], truncation=truncation)


def test_64px_recipe_builds_and_places_attention_at_32():
    arch = get_registry().architecture("biggan-lite")
    config = {**TINY, **arch.recipes["64"]["model"], "width": 8, "z_dim": 10}
    handle = _tiny(**config)
    generator, discriminator = handle.generator, handle.discriminator
    y = torch.tensor([0, 2])
    images = generator(torch.randn(2, 10), y)
    assert images.shape == (2, 3, 64, 64)
    assert discriminator(images, y).shape == (2,)
    assert len(generator.blocks) == 4 and generator.attention_after == 2  # block outputs 8, 16, 32, 64
    with pytest.raises(ZooError, match="choose one of"):
        zoo.build("biggan-lite", **{**config, "attention": 12})


def test_bf16_autocast_and_bf16_weights_match_fp32():
    handle = _tiny().eval()
    z, y = torch.randn(4, TINY["z_dim"]), torch.tensor([0, 1, 2, 0])
    with torch.no_grad():
        reference = handle.generator(z, y)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            mixed = handle.generator(z, y).float()
    assert torch.isfinite(mixed).all()
    assert (mixed - reference).abs().max() < 0.1
    images = handle.to(dtype="bfloat16").sample(4, labels=[2], truncation=0.7, output="tensor")
    assert images.shape == (4, 3, 32, 32) and torch.isfinite(images).all()
