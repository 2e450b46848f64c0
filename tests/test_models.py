"""Conformance of every registered architecture (timm's tests/test_models.py is the model),
through the same ``zoo.testing`` checks plugin authors run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import zoo
from zoo.registry import get_registry
from zoo.testing import check_architecture, check_no_torch_import

ARCHITECTURES = sorted(get_registry().architectures)
TRAINABLE = sorted(name for name, arch in get_registry().architectures.items() if arch.discriminator)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_architecture_conforms(name):
    check_architecture(name, train=False)  # the plugins' conformance tests also train


@pytest.mark.parametrize(
    "module", sorted({info.module.split(":")[0] for info in get_registry().plugins if info.distribution != "zoo-core"})
)
def test_plugin_top_level_module_does_not_import_torch(module):
    check_no_torch_import(module)


@pytest.mark.parametrize("name", TRAINABLE)
@pytest.mark.slow
def test_family_trains_two_steps_with_its_own_recipe(name, tmp_path):
    """Every family's recipe (loss, regulariser, n_critic, betas; L1, cycle, pool) runs through its shared trainer."""
    arch = get_registry().architectures[name]
    size = arch.tiny_config.get("resolution", 32)
    rng = np.random.default_rng(0)
    overrides = {f"model.{k}": v for k, v in arch.tiny_config.items()} | {"batch_size": 4, "steps": 2}
    if arch.task == "image-to-image":
        generator = zoo.build(name, **arch.tiny_config).generator
        a = rng.integers(0, 256, (8, size, size, generator.in_channels), dtype=np.uint8)
        b = rng.integers(0, 256, (8, size, size, generator.channels), dtype=np.uint8)
        two_way = len(generator.directions) == 2
        np.savez(tmp_path / "d.npz", **({"trainA": a, "trainB": b} if two_way else {"A": a, "B": b}))
    else:
        images = rng.integers(0, 256, (16, size, size, 3), dtype=np.uint8)
        np.savez(tmp_path / "d.npz", images=images, labels=np.arange(16) % 3)
    zoo.train(name, tmp_path / "d.npz", tmp_path / "run", settings=overrides, device="cpu", quiet=True, say=print)
    handle = zoo.load(str(tmp_path / "run"))
    if arch.task == "image-to-image":
        in_channels = handle.translator()[2][0]
        assert handle.translate(torch.rand(2, in_channels, size, size)).shape[-2:] == (size, size)
        return
    labels = [0, 1] if handle.generator.num_classes else None
    assert handle.sample(2, labels=labels).shape == (2, size, size, 3)
