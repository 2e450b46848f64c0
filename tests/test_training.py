"""The shared trainer: resumable to the bit, atomic checkpoints, NaN stops, clear bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import zoo
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.training.settings import resolve_settings
from zoo.training.trainer import CHECKPOINT, Trainer
from zoo.weights import load_tensors

TINY = {
    "batch_size": "8",
    "model.width": "4",
    "model.z_dim": "8",
    "log_every": "1",
    "sample_every": "2",
    "checkpoint_every": "2",
}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    rng = np.random.default_rng(0)
    np.savez(path, images=rng.integers(0, 256, size=(48, 32, 32, 3), dtype=np.uint8), labels=np.arange(48) % 10)
    return path


def _trainer(family: str, data: Path, out: Path, steps: int, **extra: str) -> Trainer:
    settings = resolve_settings(get_registry().architecture(family), None, {**TINY, **extra})
    settings.steps = steps
    out.mkdir(exist_ok=True)
    return Trainer(get_registry().architecture(family), settings, str(data), out, device="cpu", quiet=True)


def test_killed_and_resumed_run_equals_uninterrupted_run(tiny_data, tmp_path):
    _trainer("dcgan", tiny_data, tmp_path / "straight", 4).run()
    _trainer("dcgan", tiny_data, tmp_path / "split", 2).run()
    resumed = _trainer("dcgan", tiny_data, tmp_path / "split", 4)
    resumed.resume()
    assert resumed.step == 2
    resumed.run()
    straight = load_tensors(tmp_path / "straight" / CHECKPOINT)
    split = load_tensors(tmp_path / "split" / CHECKPOINT)
    assert straight.keys() == split.keys()
    for key in straight:
        if key != "rng.torch":
            assert torch.equal(straight[key], split[key]), key
    steps = [json.loads(line)["step"] for line in (tmp_path / "split" / "progress.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]


def test_crash_during_checkpoint_write_keeps_previous_checkpoint(tiny_data, tmp_path, monkeypatch):
    trainer = _trainer("dcgan", tiny_data, tmp_path / "run", 2)
    trainer.run()
    before = (tmp_path / "run" / CHECKPOINT).read_bytes()
    real_write = Path.write_bytes

    def crash(self: Path, data: bytes) -> int:  # the disk fills up half way through a weights file
        if self.name.endswith(".safetensors.tmp") or ".safetensors." in self.name:
            real_write(self, data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", crash)
    trainer.settings.steps = 4
    with pytest.raises(OSError):
        trainer.run()
    assert (tmp_path / "run" / CHECKPOINT).read_bytes() == before
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]
    monkeypatch.undo()
    again = _trainer("dcgan", tiny_data, tmp_path / "run", 4)
    again.resume()
    assert again.step == 2


def test_non_finite_loss_stops_with_a_clear_message(tiny_data, tmp_path, monkeypatch):
    trainer = _trainer("dcgan", tiny_data, tmp_path / "run", 2)
    trainer.run()
    saved = (tmp_path / "run" / CHECKPOINT).read_bytes()
    trainer.settings.steps = 4
    monkeypatch.setattr(trainer.loss, "g_loss", lambda logits: logits.sum() * float("nan"))
    with pytest.raises(ZooError, match="non-finite at step 3.*last good checkpoint"):
        trainer.run()
    assert (tmp_path / "run" / CHECKPOINT).read_bytes() == saved


@pytest.mark.parametrize("regulariser", ["gp", "r1"])
def test_regularisers_and_diffaugment_train(tiny_data, tmp_path, regulariser):
    trainer = _trainer(
        "dcgan",
        tiny_data,
        tmp_path / "run",
        2,
        regulariser=regulariser,
        reg_weight="10",
        diffaug="color,translation,cutout",
    )
    trainer.run()
    record = json.loads((tmp_path / "run" / "progress.jsonl").read_text().splitlines()[-1])
    assert record[regulariser] > 0
    assert zoo.load(str(tmp_path / "run")).sample(2).shape == (2, 32, 32, 3)


@pytest.mark.slow
def test_cli_train_writes_run_that_loads(zoo_cli, tiny_data, tmp_path):
    sets = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]
    result = zoo_cli("train", "dcgan", "--data", str(tiny_data), "--out", "run", "--steps", "2", "--quiet", *sets)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    assert {"checkpoint.safetensors", "model.safetensors", "train_config.json", "progress.jsonl", "loss.png"} <= {
        p.name for p in run.iterdir()
    }
    assert (run / "samples" / "step-000002.png").is_file()
    recorded = json.loads((run / "train_config.json").read_text())
    assert recorded["family"] == "dcgan" and recorded["command"].startswith("zoo train dcgan --data")
    resumed = zoo_cli("train", "dcgan", "--data", str(tiny_data), "--out", "run", "--steps", "3", "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((run / "progress.jsonl").read_text().splitlines()[-1])["step"] == 3


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--data", "missing.npz"], "does not exist"),
        (["--data", "empty_dir"], "contains no image files"),
        (["--data", "not_images.npz"], "is not a readable .npz"),
        (["--data", "DATA", "--set", "colour=red"], "unknown --set key 'colour': valid keys are"),
        (["--data", "DATA", "--set", "model.depth=3"], "model keys are model.channels"),
        (["--data", "DATA", "--set", "lr_g=fast"], "lr_g must be a valid number, got 'fast'"),
        (["--data", "DATA", "--set", "steps=0"], "steps must be greater than or equal to 1, got 0"),
        (["--data", "DATA", "--resume"], "holds no checkpoint to resume"),
        (["--data", "DATA", "--recipe", "ffhq1024"], "has no recipe 'ffhq1024'"),
    ],
)
def test_bad_training_input(zoo_cli, clean_error, tiny_data, tmp_path, args, fragment):
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "not_images.npz").write_text("this is not an npz file")
    args = [str(tiny_data) if a == "DATA" else a for a in args]
    clean_error(zoo_cli("train", "dcgan", "--out", "run", *args), fragment)
    assert not (tmp_path / "run" / CHECKPOINT).exists()


def test_resuming_a_run_of_another_family_is_refused(tiny_data, tmp_path):
    _trainer("dcgan", tiny_data, tmp_path / "run", 1).run()
    from zoo.checkpoint import load_training_state  # noqa: F401 - the error comes before any load

    other = _trainer("dcgan", tiny_data, tmp_path / "run", 2)
    other.arch = type(other.arch)(name="other-gan", task=other.arch.task, generator=other.arch.generator)
    with pytest.raises(ZooError, match="is a dcgan run; it cannot be resumed as other-gan"):
        other.resume()


def test_images_of_another_resolution_are_resized(tmp_path):
    path = tmp_path / "big.npz"
    np.savez(path, images=np.full((16, 64, 64, 3), 200, dtype=np.uint8))
    from zoo.training.data import load_training_data

    with pytest.warns(UserWarning, match=r"resizing \(64, 64\) images to 32x32"):
        data = load_training_data(str(path), 32, conditional=False)
    assert data.images.shape == (16, 3, 32, 32) and int(data.images.float().mean()) == 200


@pytest.mark.slow
def test_two_process_ddp_keeps_ranks_identical(tiny_data, tmp_path, torchrun):
    torchrun(str(Path(__file__).with_name("ddp_worker.py")), str(tiny_data), str(tmp_path))
    rank0, rank1 = load_tensors(tmp_path / "rank0.safetensors"), load_tensors(tmp_path / "rank1.safetensors")
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    initial = load_tensors(tmp_path / "initial.safetensors")
    assert any(not torch.equal(initial[k], rank0[k]) for k in initial), "weights did not change"
    assert (tmp_path / "run" / CHECKPOINT).is_file()


@pytest.mark.slow
def test_torchrun_dash_m_zoo_train(tiny_data, tmp_path, torchrun):
    """Two ranks, data in memory and streamed by each rank's DataLoader workers: the same weights."""
    sets = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]
    weights = {}
    for loading in ("memory", "stream"):
        run = str(tmp_path / loading)
        proc = torchrun(
            "-m", "zoo", "train", "dcgan", "--data", str(tiny_data), "--out", run, "--steps", "2", "--quiet",
            *sets, "--set", f"data_loading={loading}",
        )  # fmt: skip
        assert proc.stdout.count("trained dcgan to step 2") == 1, "rank 0 alone reports and writes"
        records = [json.loads(line) for line in (tmp_path / loading / "progress.jsonl").read_text().splitlines()]
        assert [r["step"] for r in records] == [1, 2]
        assert zoo.load(run).sample(1).shape == (1, 32, 32, 3)
        weights[loading] = load_tensors(tmp_path / loading / "checkpoint.safetensors")
    assert weights["memory"].keys() == weights["stream"].keys()
    assert all(torch.equal(weights["memory"][key], weights["stream"][key]) for key in weights["memory"])


@pytest.mark.parametrize(("family", "separate"), [("dcgan", True), ("wgan-gp", False)])
def test_a_batch_norm_discriminator_sees_real_and_fake_in_separate_batches(tiny_data, tmp_path, family, separate):
    """One mixed batch lets a BN critic tell real from fake by batch statistics it never sees in the G step:
    DCGAN at 64 px then had both losses near 0 by step 100 and learnt nothing."""
    trainer = _trainer(family, tiny_data, tmp_path / family, 1)
    assert trainer.separate_d_batches is separate
    sizes: list[int] = []
    trainer.D.register_forward_pre_hook(lambda module, args: sizes.append(args[0].shape[0]))
    trainer.run()
    batch = trainer.settings.batch_size
    d_step = [batch, batch] if separate else [2 * batch]
    assert sizes[: len(d_step)] == d_step, sizes


def test_a_short_run_says_its_ema_has_not_caught_up_and_a_long_one_does_not():
    from zoo.training.settings import TrainSettings
    from zoo.training.trainer import ema_lag_note

    note = ema_lag_note(TrainSettings(ema_decay=0.999), 500)
    assert note and "holds 61% of its step-0 weights at step 500" in note and "ema_decay=0.99" in note
    assert ema_lag_note(TrainSettings(ema_decay=0.999), 5000) is None
    assert ema_lag_note(TrainSettings(ema_decay=0.999, ema_start=4900), 5000) is not None
    assert ema_lag_note(TrainSettings(ema_decay=0.0), 2) is None


def test_initial_weights_are_drawn_apart_from_the_latents_users_sample(tiny_data, tmp_path):
    """sample(seed=0) once drew its latents from the numbers a seed-0 run had initialised its weights with.

    StyleGAN's first mapping layer then held seed 0's first latents as its rows (cosine 1.0), and its seed-0
    samples came out broken; the initial weights now come from their own stream.
    """
    settings = {"model.z_dim": "32", "model.w_dim": "32", "model.width": "4", "model.resolution": "32"}
    trainer = _trainer("stylegan-lite", tiny_data, tmp_path / "run", 1, **settings)
    first = next(p for p in trainer.G.parameters() if p.dim() == 2 and p.shape[1] == 32).detach()
    for seed in (0, 1, 1234):
        latents = trainer.G.sample_latents(first.shape[0], torch.Generator().manual_seed(seed))
        cosine = torch.nn.functional.normalize(latents, dim=1) @ torch.nn.functional.normalize(first, dim=1).T
        assert cosine.abs().max() < 0.9, f"seed {seed}'s latents are rows of the initial weights"
