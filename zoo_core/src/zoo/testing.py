"""Test helpers for plugin authors, also loaded as a pytest plugin (entry point ``pytest11: zoo``).

    from zoo.testing import check_plugin
    def test_conformance():
        check_plugin("my_plugin")          # every architecture it registers: tiny build,
                                           # forward/backward, safetensors round trip, no torch at import

Fixtures: ``zoo_isolated_registry`` (no entry points loaded; pass plugin objects explicitly) and
``zoo_registered_plugin`` (the installed plugins plus one more, for one test). Importing this
module does not import torch.
"""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zoo.registry import Registry, build_registry, get_registry, use_registry


@contextlib.contextmanager
def isolated_registry(*plugins: object, autoload: bool = False) -> Iterator[Registry]:
    """A registry holding only the core's defaults and ``plugins`` (plus installed ones if ``autoload``)."""
    extra = [(getattr(p, "__name__", f"plugin{i}").replace(".", "-"), p) for i, p in enumerate(plugins)]
    with use_registry(build_registry(autoload=autoload, extra=extra)) as registry:
        yield registry


@contextlib.contextmanager
def registered_plugin(plugin: object) -> Iterator[Registry]:
    """The installed plugins plus ``plugin``, for the duration of the block."""
    with isolated_registry(plugin, autoload=True) as registry:
        yield registry


def check_no_torch_import(module: str) -> None:
    """Importing the plugin's top-level module must not import torch (listing stays fast)."""
    code = f"import sys, {module}; sys.exit('imports torch' if 'torch' in sys.modules else 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, f"{module}: {proc.stderr.strip() or proc.stdout.strip()}"


def check_architecture(name: str) -> None:
    """Build ``name`` at its tiny config, run forward and backward, round-trip its weights."""
    import torch

    import zoo
    from zoo.interfaces import TASK_IMAGE_TO_IMAGE, Discriminator, Generator
    from zoo.weights import save_weights

    arch = get_registry().architecture(name)
    torch.manual_seed(0)
    handle = zoo.build(name, **arch.tiny_config)
    generator, discriminator = handle.generator, handle.discriminator
    assert isinstance(generator, Generator), f"{name}: the generator must subclass zoo.interfaces.Generator"
    if generator.task != TASK_IMAGE_TO_IMAGE:
        z = generator.sample_latents(2, torch.Generator().manual_seed(0))
        y = torch.zeros(2, dtype=torch.long) if generator.num_classes else None
        images = generator(z, y)
        size = generator.resolution
        assert images.shape == (2, generator.channels, size, size), f"{name}: output shape {tuple(images.shape)}"
        # What users get (eval mode) must lie in [-1, 1]; in training mode a generator may hand D its
        # raw output (StyleGAN's linear output layer, whose overshoot D has to see).
        with torch.no_grad():
            shown = generator.eval()(z, y)
        generator.train()
        assert shown.min() >= -1 and shown.max() <= 1, f"{name}: images must lie in [-1, 1] (in eval mode)"
        if discriminator is not None:
            assert isinstance(discriminator, Discriminator), (
                f"{name}: the discriminator must subclass zoo.interfaces.Discriminator"
            )
            logits = discriminator(images, y)
            assert logits.shape == (2,), f"{name}: discriminator must return (N,) logits, got {tuple(logits.shape)}"
            logits.mean().backward()
            missing = [n for n, p in generator.named_parameters() if p.requires_grad and p.grad is None]
            assert not missing, f"{name}: no gradient reaches {missing[:3]}"
    else:
        _check_image_to_image(name, generator)
    generator.eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.safetensors"
        save_weights(path, generator.state_dict(), family=name, config=handle.config)
        loaded = zoo.load(str(path)).generator.state_dict()
    for key, value in generator.state_dict().items():
        assert torch.equal(loaded[key], value), f"{name}: {key} changed in the safetensors round trip"


def _check_image_to_image(name: str, generator: object) -> None:
    """Images in [0, 1] of an odd size come back with the same shape and range, and gradients reach every weight."""
    import torch

    x = torch.rand(2, generator.channels, 27, 34, generator=torch.Generator().manual_seed(0))
    images = generator(x)
    assert images.shape == x.shape, (
        f"{name}: image-to-image output shape {tuple(images.shape)} != input {tuple(x.shape)}"
    )
    assert images.min() >= 0 and images.max() <= 1, f"{name}: image-to-image output must lie in [0, 1]"
    images.mean().backward()
    missing = [n for n, p in generator.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"{name}: no gradient reaches {missing[:3]}"


def check_plugin(module: str) -> None:
    """Run every conformance check on each architecture the plugin ``module`` registers."""
    check_no_torch_import(module)
    installed = module in _modules_by_distribution().values()
    with contextlib.nullcontext() if installed else registered_plugin(importlib.import_module(module)):
        providers = _modules_by_distribution()
        names = [a.name for a in get_registry().architectures.values() if providers.get(a.plugin) == module]
        assert names, f"{module} registers no architecture"
        for name in names:
            check_architecture(name)


def _modules_by_distribution() -> dict[str, str]:
    """Which top-level module each registered plugin distribution was loaded from."""
    return {info.distribution: info.module.split(":")[0] for info in get_registry().plugins}


@pytest.fixture
def zoo_isolated_registry() -> Iterator[Callable[..., contextlib.AbstractContextManager[Registry]]]:
    """``with zoo_isolated_registry(my_plugin) as registry:`` — no installed plugin is loaded."""
    yield isolated_registry


@pytest.fixture
def zoo_registered_plugin() -> Iterator[Callable[[object], contextlib.AbstractContextManager[Registry]]]:
    """``with zoo_registered_plugin(my_plugin):`` — the installed plugins plus this one."""
    yield registered_plugin
