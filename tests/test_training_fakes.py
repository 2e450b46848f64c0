"""One generator forward per step: G's update reuses the fakes of the last critic update (reuse_fakes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from zoo.registry import get_registry
from zoo.training.settings import RUN_CONFIG, resolve_settings, saved_settings
from zoo.training.trainer import CHECKPOINT, Trainer
from zoo.weights import load_tensors

TINY = {"batch_size": "8", "model.width": "4", "model.z_dim": "8", "log_every": "1", "checkpoint_every": "2"}
TINY_ARGS = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    rng = np.random.default_rng(2)
    np.savez(path, images=rng.integers(0, 256, size=(32, 32, 32, 3), dtype=np.uint8))
    return path


def _trainer(family: str, data: Path, out: Path, steps: int, **extra: str) -> Trainer:
    arch = get_registry().architecture(family)
    settings = resolve_settings(arch, None, {**TINY, **extra})
    settings.steps = steps
    out.mkdir(exist_ok=True)
    return Trainer(arch, settings, str(data), out, device="cpu", quiet=True)


def _generator_calls(trainer: Trainer) -> list[bool]:
    """Whether autograd was recording, for each forward of the trained G (not the EMA copy)."""
    calls: list[bool] = []
    trainer.G.register_forward_pre_hook(lambda module, args: calls.append(torch.is_grad_enabled()))
    return calls


@pytest.mark.parametrize("family", ["dcgan", "wgan-gp"])
@pytest.mark.parametrize("reuse", [True, False])
def test_a_step_runs_the_generator_once_per_critic_update(tiny_data, tmp_path, family, reuse):
    trainer = _trainer(family, tiny_data, tmp_path / "run", 2, reuse_fakes=str(reuse).lower())
    calls = _generator_calls(trainer)
    trainer.run()
    n_critic = trainer.settings.n_critic
    assert n_critic == (5 if family == "wgan-gp" else 1), "the family's recipe"
    if reuse:  # the last critic update keeps G's graph and G's update reuses it
        per_step = [False] * (n_critic - 1) + [True]
    else:  # every critic update draws under no_grad, G's update draws again with a graph
        per_step = [False] * n_critic + [True]
    assert calls == per_step * 2


def test_the_generator_update_sees_the_fakes_the_critic_saw(tiny_data, tmp_path):
    """DCGAN's D gets real and fake batches separately: fake in, then G's update's fake in."""
    inputs = {}
    for reuse in (True, False):
        trainer = _trainer("dcgan", tiny_data, tmp_path / str(reuse), 1, reuse_fakes=str(reuse).lower())
        seen: list[torch.Tensor] = []
        trainer.D.register_forward_pre_hook(lambda module, args, seen=seen: seen.append(args[0].detach().clone()))
        trainer.run()
        inputs[reuse] = seen[:3]  # real, fake for D's update, fake for G's update
    shown, used = inputs[True][1], inputs[True][2]
    assert torch.equal(shown, used.float())
    assert not torch.equal(inputs[False][1], inputs[False][2].float()), "fresh latents otherwise"
    assert torch.equal(inputs[True][1], inputs[False][1]), "the same stream up to G's update"


@pytest.mark.slow
def test_reusing_fakes_resumes_to_the_bit(tiny_data, tmp_path):
    _trainer("wgan-gp", tiny_data, tmp_path / "straight", 2).run()
    _trainer("wgan-gp", tiny_data, tmp_path / "split", 2).run(until=1)  # its rates decay linearly over 2 steps
    resumed = _trainer("wgan-gp", tiny_data, tmp_path / "split", 2)
    resumed.resume()
    assert resumed.step == 1
    resumed.run()
    straight, split = load_tensors(tmp_path / "straight" / CHECKPOINT), load_tensors(tmp_path / "split" / CHECKPOINT)
    assert all(torch.equal(straight[key], split[key]) for key in straight if key != "rng.torch")


def test_a_run_recorded_before_the_setting_resumes_with_fresh_fakes(zoo_here, tiny_data, tmp_path):
    """Its weights came from two generator forwards per step; resuming must not switch to one."""
    common = ["train", "dcgan", "--data", str(tiny_data), "--quiet", *TINY_ARGS]
    code, _, err = zoo_here(*common, "--out", str(tmp_path / "old"), "--steps", "4", "--until", "2",
                            "--set", "reuse_fakes=false")  # fmt: skip
    assert code == 0, err
    record_path = tmp_path / "old" / RUN_CONFIG
    record = json.loads(record_path.read_text())
    del record["settings"]["reuse_fakes"]  # as an older zoo-core wrote it
    record_path.write_text(json.dumps(record))
    assert saved_settings(record["settings"]).reuse_fakes is False
    code, _, err = zoo_here("train", "dcgan", "--data", str(tiny_data), "--out", str(tmp_path / "old"), "--resume",
                            "--quiet")  # fmt: skip
    assert code == 0, err
    code, _, err = zoo_here(*common, "--out", str(tmp_path / "straight"), "--steps", "4", "--set", "reuse_fakes=false")
    assert code == 0, err
    old, straight = load_tensors(tmp_path / "old" / CHECKPOINT), load_tensors(tmp_path / "straight" / CHECKPOINT)
    assert all(torch.equal(old[key], straight[key]) for key in straight if key != "rng.torch")


def test_reuse_fakes_cannot_change_in_a_resumed_run(zoo_cli, clean_error, tiny_data, tmp_path):
    first = zoo_cli("train", "dcgan", "--data", str(tiny_data), "--out", "run", "--quiet", "--steps", "2", *TINY_ARGS)
    assert first.returncode == 0, first.stderr
    again = zoo_cli("train", "dcgan", "--data", str(tiny_data), "--out", "run", "--resume", "--steps", "3",
                    "--set", "reuse_fakes=false")  # fmt: skip
    clean_error(again, "reuse_fakes cannot change in a resumed run")


def test_every_family_reuses_fakes_by_default():
    registry = get_registry()
    trainable = [registry.architecture(family) for family in registry.architectures]
    trainable = [arch for arch in trainable if arch.recipes]
    assert len(trainable) >= 5, "dcgan, wgan-gp, sagan, biggan-lite, stylegan-lite"
    for arch in trainable:
        assert resolve_settings(arch, None, {}).reuse_fakes is True, arch.name
