"""BigGAN's orthogonal regularisation (Brock et al. 2018, §3.1) and the trainer's ``ortho_weight``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from zoo.errors import ZooError
from zoo.losses import orthogonal_regularisation
from zoo.registry import get_registry
from zoo.training.data import BatchSchedule, ImageData
from zoo.training.settings import resolve_settings
from zoo.training.streaming import MemoryBatches
from zoo.training.trainer import Trainer


def test_penalty_is_zero_for_orthogonal_filters_and_positive_otherwise():
    layer = nn.Linear(16, 8, bias=False)
    nn.init.orthogonal_(layer.weight)  # 8 orthonormal rows
    assert orthogonal_regularisation(layer).item() == pytest.approx(0.0, abs=1e-10)
    with torch.no_grad():
        layer.weight.mul_(3.0)  # norms do not matter, only overlaps between filters
    assert orthogonal_regularisation(layer).item() == pytest.approx(0.0, abs=1e-8)
    with torch.no_grad():
        layer.weight[1] = layer.weight[0]
    assert orthogonal_regularisation(layer).item() > 1.0


def test_penalty_matches_the_formula_reads_conv_weights_under_spectral_norm_and_skips_embeddings():
    torch.manual_seed(0)
    conv = nn.utils.parametrizations.spectral_norm(nn.Conv2d(3, 4, 3))
    model = nn.ModuleDict({"conv": conv, "table": nn.Embedding(5, 4)})
    w = conv.parametrizations.weight.original.detach().flatten(1)
    gram = w @ w.T
    expected = ((gram * (1 - torch.eye(4))) ** 2).sum()
    assert orthogonal_regularisation(model).item() == pytest.approx(expected.item(), rel=1e-5)
    penalty = orthogonal_regularisation(model)
    penalty.backward()
    assert conv.parametrizations.weight.original.grad is not None
    assert model["table"].weight.grad is None


def _one_step(data: ImageData, ortho: str) -> tuple[Trainer, dict[str, float]]:
    """One train_step of a tiny DCGAN, seeded identically apart from ``ortho_weight``."""
    arch = get_registry().architecture("dcgan")
    overrides = {"model.width": "4", "model.z_dim": "8", "batch_size": "4", "ortho_weight": ortho}
    trainer = Trainer(arch, resolve_settings(arch, None, overrides), "unused", Path("unused"), device="cpu", quiet=True)
    return trainer, trainer.train_step(MemoryBatches(data, BatchSchedule(len(data), 4, seed=0), "test"))


def test_ortho_weight_changes_only_the_generator_update():
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    data = ImageData(images, None)
    (plain, plain_stats), (regularised, stats) = _one_step(data, "0"), _one_step(data, "10.0")
    for a, b in zip(plain.D.parameters(), regularised.D.parameters(), strict=True):
        assert torch.equal(a, b)  # the D step comes first and does not see the setting
    changed = [not torch.equal(a, b) for a, b in zip(plain.G.parameters(), regularised.G.parameters(), strict=True)]
    assert any(changed)
    assert "ortho" not in plain_stats and stats["ortho"] > 0
    assert stats["g_loss"] == plain_stats["g_loss"]  # the logged G loss stays the adversarial term


def test_negative_ortho_weight_is_refused():
    with pytest.raises(ZooError, match="ortho_weight must be greater than or equal to 0"):
        resolve_settings(get_registry().architecture("dcgan"), None, {"ortho_weight": "-1"})
