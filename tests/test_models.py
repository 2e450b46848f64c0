"""Conformance of every registered architecture (timm's tests/test_models.py is the model):
builds tiny, runs forward and backward, round-trips its weights, keeps torch out of listing."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import zoo
from zoo.interfaces import TASK_IMAGE_TO_IMAGE, Discriminator, Generator
from zoo.registry import get_registry
from zoo.weights import apply_state, load_tensors, save_weights

ARCHITECTURES = sorted(get_registry().architectures)


def _tiny(name: str):
    arch = get_registry().architectures[name]
    return zoo.build(name, **arch.tiny_config)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_builds_tiny_and_runs_forward_and_backward(name):
    torch.manual_seed(0)
    handle = _tiny(name)
    generator, discriminator = handle.generator, handle.discriminator
    assert isinstance(generator, Generator)
    if generator.task == TASK_IMAGE_TO_IMAGE:
        pytest.skip("image-to-image families are covered by their own plugin tests")
    z = generator.sample_latents(2, torch.Generator().manual_seed(0))
    y = torch.zeros(2, dtype=torch.long) if generator.num_classes else None
    images = generator(z, y)
    size = generator.resolution
    assert images.shape == (2, generator.channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    if discriminator is not None:
        assert isinstance(discriminator, Discriminator)
        logits = discriminator(images, y)
        assert logits.shape == (2,)
        logits.mean().backward()
        assert all(p.grad is not None for p in generator.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_weights_round_trip_through_safetensors(name, tmp_path):
    handle = _tiny(name)
    generator = handle.generator.eval()
    path = tmp_path / "g.safetensors"
    save_weights(path, generator.state_dict(), family=name, config=handle.config)
    loaded = zoo.load(str(path))
    for key, value in generator.state_dict().items():
        torch.testing.assert_close(loaded.generator.state_dict()[key], value, rtol=0, atol=0)
    fresh = zoo.build(name, with_discriminator=False, **handle.config).generator
    apply_state(fresh, load_tensors(path), str(path))


@pytest.mark.parametrize("plugin", sorted({spec.plugin for spec in get_registry().architectures.values()}))
def test_plugin_top_level_module_does_not_import_torch(plugin):
    module = next(info.module for info in get_registry().plugins if info.distribution == plugin)
    code = f"import sys, {module.split(':')[0]}; assert 'torch' not in sys.modules, 'imports torch'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


TRAINABLE = sorted(name for name, arch in get_registry().architectures.items() if arch.discriminator)


@pytest.mark.parametrize("name", TRAINABLE)
def test_family_trains_two_steps_with_its_own_recipe(name, tmp_path):
    """Every family's recipe (loss, regulariser, n_critic, betas) runs through the shared trainer."""
    import numpy as np

    from zoo.training.settings import resolve_settings
    from zoo.training.trainer import Trainer

    arch = get_registry().architectures[name]
    size = arch.tiny_config.get("resolution", 32)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", images=rng.integers(0, 256, (16, size, size, 3), dtype=np.uint8), labels=np.arange(16) % 3)
    overrides = {f"model.{k}": str(v) for k, v in arch.tiny_config.items()} | {"batch_size": "4", "steps": "2"}
    settings = resolve_settings(arch, None, overrides)
    Trainer(arch, settings, str(tmp_path / "d.npz"), tmp_path / "run", device="cpu", quiet=True).run()
    handle = zoo.load(str(tmp_path / "run"))
    labels = [0, 1] if handle.generator.num_classes else None
    assert handle.sample(2, labels=labels).shape == (2, size, size, 3)
