"""Test helpers for plugin authors, also loaded as a pytest plugin (entry point ``pytest11: zoo``).

    from zoo.testing import check_plugin
    def test_conformance():
        check_plugin("my_plugin")          # every architecture it registers: tiny build,
                                           # forward/backward, safetensors round trip, no torch at import

Tests see the same CPU everywhere: unless ``ZOO_NATIVE_BF16`` is set, this plugin sets it to ``0``
for the session, so the default inference and training path is float32 on every machine and figures
compared in tests do not change with the CPU. ``zoo_fake_cpu({"amx_bf16": True})`` fakes the CPU's
features for one test, to test hardware-dependent behaviour both ways.

Fixtures: ``zoo_isolated_registry`` (no entry points loaded; pass plugin objects explicitly),
``zoo_registered_plugin`` (the installed plugins plus one more, for one test) and ``zoo_local_hub``
(a real Hub-compatible server on loopback to publish a ``zoo push`` folder to and pull it back;
needs olah). Importing this module does not import torch.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zoo.hardware import NATIVE_BF16_ENV
from zoo.registry import Registry, build_registry, get_registry, use_registry


def pytest_configure(config: pytest.Config) -> None:
    """Pin the CPU's bf16 answer for the session (float32 path) unless the caller chose one with ZOO_NATIVE_BF16."""
    os.environ.setdefault(NATIVE_BF16_ENV, "0")


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


def check_architecture(name: str, train: bool = True) -> None:
    """Build ``name`` at its tiny config, run forward and backward, round-trip its weights; with ``train``,
    also two steps of the zoo's trainer on data of the declared shape (pairs or two domains for translators)."""
    import torch

    from zoo.api import build, load
    from zoo.interfaces import TASK_IMAGE_TO_IMAGE, Discriminator, Generator
    from zoo.weights import save_weights

    arch = get_registry().architecture(name)
    _check_recipes(name, arch)
    torch.manual_seed(0)
    handle = build(name, **arch.tiny_config)
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
        _check_task(name, arch.task, generator)
        _check_channels(name, arch)
        if discriminator is not None and train:
            _check_training(name, arch)
    else:
        _check_image_to_image(name, generator)
        # The shared trainer's contract: a family with its own trainer uses its discriminator as it likes.
        if discriminator is not None and arch.trainer is None:
            _check_translation_critic(name, generator, discriminator)
            _check_translation_recipes(name, arch, generator, discriminator)
            if train:
                _check_translation_training(name, arch, generator)
    generator.eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.safetensors"
        save_weights(path, generator.state_dict(), family=name, config=handle.config)
        loaded = load(str(path)).generator.state_dict()
    for key, value in generator.state_dict().items():
        assert torch.equal(loaded[key], value), f"{name}: {key} changed in the safetensors round trip"


def _check_recipes(name: str, arch: object) -> None:
    """Every recipe the shared trainer runs holds only settings it knows, each within its range."""
    from zoo.errors import ZooError
    from zoo.training.settings import resolve_settings

    if arch.trainer is not None:
        return  # the family's own trainer reads its own options
    for recipe in list(arch.recipes) or [None]:  # None: the trainer's defaults, for a family with no recipe
        try:
            resolve_settings(arch, recipe, {})
        except ZooError as exc:
            raise AssertionError(f"{name}: recipe {recipe or 'default'!r} cannot train: {exc}") from None


def _check_task(name: str, task: str, generator: object) -> None:
    """A class-conditional spec needs a generator that takes labels and uses them; an unconditional one, none."""
    import torch

    from zoo.interfaces import TASK_CONDITIONAL

    conditional = task == TASK_CONDITIONAL
    assert bool(generator.num_classes) == conditional, (
        f"{name}: the spec's task is {task!r} but its generator has num_classes={generator.num_classes}: "
        f"{'set num_classes in default_config and tiny_config' if conditional else 'declare the conditional task'}"
    )
    if conditional:
        z = generator.sample_latents(2, torch.Generator().manual_seed(0))
        with torch.no_grad():
            a = generator.eval()(z, torch.zeros(2, dtype=torch.long))
            b = generator(z, torch.full((2,), generator.num_classes - 1, dtype=torch.long))
        generator.train()
        assert not torch.equal(a, b), f"{name}: class-conditional, but its generator's images ignore the labels"


def _check_channels(name: str, arch: object) -> None:
    """A family with a ``channels`` option must work with grayscale (1) as the trainer and sampler use it."""
    from zoo.api import build

    if "channels" not in arch.default_config:
        return
    handle = build(name, **{**arch.tiny_config, "channels": 1})
    labels = [0, 0] if handle.generator.num_classes else None
    images = handle.eval().sample(2, seed=0, labels=labels)
    size = handle.generator.resolution
    assert images.shape == (2, size, size, 1), f"{name}: a 1-channel model samples {tuple(images.shape)}"


def _check_training(name: str, arch: object) -> None:
    """Two steps of ``zoo train`` on random data of the declared shape (grayscale too, where configurable)."""
    import numpy as np

    from zoo.training.settings import resolve_settings
    from zoo.training.trainer import Trainer

    channel_counts = (3, 1) if "channels" in arch.default_config else (arch.tiny_config.get("channels", 3),)
    for channels in channel_counts:
        config = {**arch.default_config, **arch.tiny_config, "channels": channels}
        size = config["resolution"]
        with tempfile.TemporaryDirectory() as tmp:
            rng = np.random.default_rng(0)
            shape = (8, size, size) if channels == 1 else (8, size, size, 3)
            classes = config.get("num_classes") or 0
            labels = np.arange(8) % max(classes, 1)
            np.savez(Path(tmp) / "data.npz", images=rng.integers(0, 256, shape, dtype=np.uint8), labels=labels)
            overrides = {f"model.{k}": json.dumps(v) for k, v in config.items() if k in arch.default_config}
            overrides |= {"batch_size": "4", "steps": "2", "log_every": "1", "sample_every": "2"}
            settings = resolve_settings(arch, None, overrides)
            trainer = Trainer(arch, settings, str(Path(tmp) / "data.npz"), Path(tmp) / "run", device="cpu", quiet=True)
            try:
                trainer.run()
            except Exception as exc:  # noqa: BLE001 - the author needs the cause, not a traceback of ours
                raise AssertionError(f"{name}: 2 training steps on {channels}-channel data failed: {exc}") from exc
            assert (Path(tmp) / "run" / "model.safetensors").is_file(), f"{name}: training exported no weights"


def _check_image_to_image(name: str, generator: object) -> None:
    """In every direction: images in [0, 1] at the trained size come back with the declared channels, the same
    size and range, depend on the input, and gradients reach every weight of that direction's network."""
    import torch

    from zoo.interfaces import translation_route

    directions = tuple(getattr(generator, "directions", None) or ("a2b",))
    for direction in directions:
        network, (in_channels, out_channels) = translation_route(generator, direction)
        side = generator.resolution
        x = torch.rand(2, in_channels, side, side, generator=torch.Generator().manual_seed(0))
        images = network(x)
        where = f"{name} ({direction})" if len(directions) > 1 else name
        expected = (2, out_channels, side, side)
        assert tuple(images.shape) == expected, (
            f"{where}: image-to-image output shape {tuple(images.shape)} != {expected} (in_channels={in_channels}, "
            f"channels={out_channels})"
        )
        assert images.min() >= 0 and images.max() <= 1, f"{where}: image-to-image output must lie in [0, 1]"
        other = network(torch.rand(2, in_channels, side, side, generator=torch.Generator().manual_seed(1)))
        assert not torch.allclose(images, other), f"{where}: the output does not depend on the input image"
        images.mean().backward()
        missing = [n for n, p in network.named_parameters() if p.requires_grad and p.grad is None]
        assert not missing, f"{where}: no gradient reaches {missing[:3]}"


def _directions(model: object) -> tuple[str, ...]:
    """The directions a translator or its discriminator declares (one-way: a2b)."""
    return tuple(getattr(model, "directions", None) or ("a2b",))


def _check_translation_critic(name: str, generator: object, discriminator: object) -> None:
    """The discriminator's contract with the translation trainer, in every direction: an ImageToImageDiscriminator
    with the generator's directions whose critic takes that direction's outputs in [-1, 1] (and the input image, if
    conditional), returns logits (N, ...) and passes gradients back to the generator."""
    import torch

    from zoo.interfaces import ImageToImageDiscriminator, translation_route

    assert isinstance(discriminator, ImageToImageDiscriminator), (
        f"{name}: the discriminator {type(discriminator).__name__} must subclass "
        "zoo.interfaces.ImageToImageDiscriminator (forward(x, condition=None) -> logits (N, ...))"
    )
    directions = _directions(generator)
    assert directions in (("a2b",), ("a2b", "b2a")), (
        f"{name}: the generator's directions {directions} must be ('a2b',) or ('a2b', 'b2a')"
    )
    judged = _directions(discriminator)
    fix = (
        "and a critic(direction) returning one critic per direction"
        if len(directions) == 2
        else "(a one-way model's critic is the discriminator itself)"
    )
    assert judged == directions, (
        f"{name}: the generator translates {' and '.join(directions)} but the discriminator judges "
        f"{' and '.join(judged)}: give the discriminator directions = {directions!r} {fix}"
    )
    conditional = bool(discriminator.conditional)
    assert not (conditional and len(directions) == 2), (
        f"{name}: a two-way model's critics are unconditional (CycleGAN's; the trainer gives them no input image): "
        "set conditional = False on the discriminator"
    )
    side = generator.resolution
    for direction in directions:
        where = f"{name} ({direction})" if len(directions) > 1 else name
        network, (in_channels, out_channels) = translation_route(generator, direction)
        generator.zero_grad(set_to_none=True)
        discriminator.zero_grad(set_to_none=True)
        x = torch.rand(2, in_channels, side, side, generator=torch.Generator().manual_seed(2))
        outputs, condition = network(x) * 2 - 1, (x * 2 - 1 if conditional else None)
        critic = discriminator.critic(direction)
        given = f"(N=2, {out_channels}, {side}, {side}) outputs in [-1, 1]" + (" and the input image" * conditional)
        try:
            logits = critic(outputs) if condition is None else critic(outputs, condition)
        except Exception as exc:  # noqa: BLE001 - the author needs the cause in one line, not our traceback
            problem = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise AssertionError(f"{where}: the discriminator's critic fails on {given}: {problem}") from exc
        shape = tuple(getattr(logits, "shape", ()))
        assert isinstance(logits, torch.Tensor) and logits.dim() >= 1 and shape[0] == 2, (
            f"{where}: the discriminator must return logits with the batch first, (N,) or a patch map (N, 1, h, w); "
            f"given {given} it returned {shape if isinstance(logits, torch.Tensor) else type(logits).__name__}"
        )
        assert logits.is_floating_point() and torch.isfinite(logits).all(), f"{where}: the logits must be finite floats"
        if conditional:
            with torch.no_grad():
                other = critic(outputs.detach(), torch.rand_like(condition) * 2 - 1)
            assert not torch.allclose(logits.detach(), other), (
                f"{name}: the discriminator is conditional but its logits ignore the condition (the input image): "
                "use it, or set conditional = False"
            )
        logits.float().mean().backward()
        missing = [n for n, p in network.named_parameters() if p.requires_grad and p.grad is None]
        assert not missing, (
            f"{where}: no gradient reaches the generator's {missing[:3]} through the discriminator: do not detach "
            "or wrap in no_grad the images the critic is given"
        )
        idle = [n for n, p in critic.named_parameters() if p.requires_grad and p.grad is None]
        assert not idle, f"{where}: the critic's weights {idle[:3]} get no gradient from its logits: remove or use them"


def _check_translation_recipes(name: str, arch: object, generator: object, discriminator: object) -> None:
    """Every recipe's terms suit this model, as the translation trainer checks them (cycle terms need two ways …)."""
    from zoo.errors import ZooError
    from zoo.interfaces import translation_route
    from zoo.training.settings import resolve_settings
    from zoo.training.translation_trainer import check_translation_settings

    built = translation_route(generator, "a2b")[1]  # channels the recipe's model config does not set
    for recipe in list(arch.recipes) or [None]:
        settings = resolve_settings(arch, recipe, {})
        channels = (settings.model.get("in_channels", built[0]), settings.model.get("channels", built[1]))
        try:
            check_translation_settings(name, settings, generator, discriminator, channels)
        except ZooError as exc:
            raise AssertionError(f"{name}: recipe {recipe or 'default'!r} cannot train: {exc}") from None


def _check_translation_training(name: str, arch: object, generator: object) -> None:
    """Two steps of ``zoo.train`` (the same trainer choice and key checks as ``zoo train``) on tiny random pairs, or
    two unpaired domains for a two-way model; then the run loads and translates in every direction."""
    import numpy as np
    import torch

    from zoo.api import load
    from zoo.interfaces import translation_route
    from zoo.training.job import train as zoo_train

    directions = _directions(generator)
    side = generator.resolution
    in_channels, out_channels = translation_route(generator, "a2b")[1]
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (8, side, side, in_channels), dtype=np.uint8)
    b = rng.integers(0, 256, (8, side, side, out_channels), dtype=np.uint8)
    two_way = len(directions) == 2
    kind = "two-domain (trainA, trainB)" if two_way else "paired (A, B)"
    settings = {f"model.{k}": v for k, v in arch.tiny_config.items() if k in arch.default_config}
    settings |= {"batch_size": 4, "log_every": 1, "sample_every": 2}
    with tempfile.TemporaryDirectory() as tmp:
        data, run = Path(tmp) / "data.npz", Path(tmp) / "run"
        np.savez(data, **({"trainA": a, "trainB": b} if two_way else {"A": a, "B": b}))
        try:
            zoo_train(name, data, run, settings=settings, steps=2, device="cpu", quiet=True, say=lambda _: None)
        except Exception as exc:  # noqa: BLE001 - the author needs the cause in one line, not our traceback
            problem = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise AssertionError(f"{name}: 2 steps of zoo.train on tiny {kind} data failed: {problem}") from exc
        handle = load(str(run))
        for direction in directions:
            _, _, (cin, cout) = handle.translator(direction)
            images = handle.translate(torch.rand(2, cin, side, side), direction=direction)
            expected = (2, cout, side, side)
            assert tuple(images.shape) == expected, (
                f"{name}: the trained run translates {direction} into {tuple(images.shape)}, not {expected}"
            )


def check_plugin_api(module: str) -> None:
    """The plugin must be built for this zoo's hook API (``ZOO_PLUGIN_API`` in its top-level module)."""
    from zoo.hookspecs import PLUGIN_API

    declared = getattr(importlib.import_module(module), "ZOO_PLUGIN_API", None)
    assert declared == PLUGIN_API, (
        f"{module}: ZOO_PLUGIN_API is {declared!r}, this zoo's plugin API is {PLUGIN_API}: "
        f"declare ZOO_PLUGIN_API = {PLUGIN_API} and follow docs/plugin-api.md"
    )


def check_plugin(module: str) -> None:
    """Run every conformance check on each architecture the plugin ``module`` registers."""
    check_no_torch_import(module)
    check_plugin_api(module)
    installed = module in _modules_by_distribution().values()
    with contextlib.nullcontext() if installed else registered_plugin(importlib.import_module(module)):
        providers = _modules_by_distribution()
        names = [a.name for a in get_registry().architectures.values() if providers.get(a.plugin) == module]
        errors = [e for info in get_registry().plugins if info.module.split(":")[0] == module for e in info.errors]
        assert not errors, f"{module}: {'; '.join(errors)}"
        assert names, f"{module} registers no architecture: call register(ArchitectureSpec(...)) in its hook"
        for name in names:
            check_architecture(name)


def cli_commands() -> dict[str, object]:
    """Every ``zoo`` command by its path ('sample', 'cache list', 'train style-transfer'), plugins' included.

    Walks click's own tree and adds the training commands families bring (``ArchitectureSpec.trainer``),
    so tests over the CLI cover a new command or option without being told about it.
    """
    import click

    from zoo.cli import make_cli
    from zoo.specs import import_object

    def walk(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
        ctx = click.Context(group, info_name="zoo")
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                yield from walk(command, f"{prefix}{name} ")
            elif command is not None:
                yield f"{prefix}{name}", command

    commands: dict[str, object] = dict(walk(make_cli()))
    for arch in get_registry().architectures.values():
        if arch.trainer:
            commands[f"train {arch.name}"] = import_object(arch.trainer, arch.plugin)
    return commands


def _modules_by_distribution() -> dict[str, str]:
    """Which top-level module each registered plugin distribution was loaded from."""
    return {info.distribution: info.module.split(":")[0] for info in get_registry().plugins}


@pytest.fixture
def zoo_fake_cpu(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, bool]], None]:
    """``zoo_fake_cpu({"amx_bf16": True})``: this test's CPU reports exactly these features (ZOO_NATIVE_BF16 unset)."""

    def fake(features: dict[str, bool]) -> None:
        import torch

        monkeypatch.delenv(NATIVE_BF16_ENV, raising=False)
        monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: dict(features))

    return fake


@pytest.fixture
def zoo_isolated_registry() -> Iterator[Callable[..., contextlib.AbstractContextManager[Registry]]]:
    """``with zoo_isolated_registry(my_plugin) as registry:`` — no installed plugin is loaded."""
    yield isolated_registry


@pytest.fixture
def zoo_registered_plugin() -> Iterator[Callable[[object], contextlib.AbstractContextManager[Registry]]]:
    """``with zoo_registered_plugin(my_plugin):`` — the installed plugins plus this one."""
    yield registered_plugin


@pytest.fixture(scope="session")
def zoo_local_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A Hub-compatible server on loopback (olah, offline) for publishing round trips: see ``zoo.hub.local``.

    ``zoo_local_hub.publish(folder, "me/my-gan")`` commits a ``zoo push --out`` folder and returns the
    commit; ``zoo_local_hub.env(tmp_path)`` is the environment for a ``zoo pull hf-hub:me/my-gan`` subprocess.
    """
    pytest.importorskip("olah", reason="the local Hub needs olah: pip install olah")
    from zoo.hub.local import local_hub

    with local_hub(tmp_path_factory.mktemp("zoo-local-hub")) as hub:
        yield hub
