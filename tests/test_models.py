"""Conformance of every registered architecture (timm's tests/test_models.py is the model),
through the same ``zoo.testing`` checks plugin authors run."""

from __future__ import annotations

import numpy as np
import pytest
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
    """Every family's recipe (loss, regulariser, n_critic, betas) runs through the shared trainer."""
    from zoo.training.settings import resolve_settings
    from zoo.training.trainer import Trainer

    arch = get_registry().architectures[name]
    size = arch.tiny_config.get("resolution", 32)
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "d.npz", images=rng.integers(0, 256, (16, size, size, 3), dtype=np.uint8), labels=np.arange(16) % 3
    )
    overrides = {f"model.{k}": str(v) for k, v in arch.tiny_config.items()} | {"batch_size": "4", "steps": "2"}
    settings = resolve_settings(arch, None, overrides)
    Trainer(arch, settings, str(tmp_path / "d.npz"), tmp_path / "run", device="cpu", quiet=True).run()
    handle = zoo.load(str(tmp_path / "run"))
    labels = [0, 1] if handle.generator.num_classes else None
    assert handle.sample(2, labels=labels).shape == (2, size, size, 3)
