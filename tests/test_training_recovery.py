"""Going on after trouble: diverged runs resume with lower rates, stale or cut-off files, wrong settings."""

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
from zoo.training.trainer import CHECKPOINT, PROGRESS, RUN_CONFIG, Trainer

TINY = {"batch_size": "8", "model.width": "4", "model.z_dim": "8", "log_every": "1", "sample_every": "2"}
TINY_ARGS = [arg for key, value in {**TINY, "checkpoint_every": "2"}.items() for arg in ("--set", f"{key}={value}")]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    rng = np.random.default_rng(1)
    np.savez(path, images=rng.integers(0, 256, size=(32, 32, 32, 3), dtype=np.uint8))
    return path


def _trainer(data: Path, out: Path, steps: int, **extra: str) -> Trainer:
    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(arch, None, {**TINY, "checkpoint_every": "2", **extra})
    settings.steps = steps
    out.mkdir(exist_ok=True)
    return Trainer(arch, settings, str(data), out, device="cpu", quiet=True, command="zoo train dcgan (test)")


def _cli_train(zoo_cli, data: Path, *args: str):
    return zoo_cli("train", "dcgan", "--data", str(data), "--out", "run", "--quiet", *args)


@pytest.mark.slow
def test_a_diverged_run_resumes_with_lower_rates_and_records_how(zoo_cli, tiny_data, tmp_path):
    first = _cli_train(zoo_cli, tiny_data, "--steps", "2", *TINY_ARGS)
    assert first.returncode == 0, first.stderr
    resumed = _cli_train(zoo_cli, tiny_data, "--steps", "3", "--resume", "--set", "lr_g=1e-5", "--set", "lr_d=2e-5")
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads((tmp_path / "run" / RUN_CONFIG).read_text())
    assert record["command"].startswith("zoo train dcgan --data")
    assert "--resume" not in record["command"], "the first command is kept"
    assert [r["step"] for r in record["resumed"]] == [2] and "lr_g=1e-5" in record["resumed"][0]["command"]
    assert record["settings"]["lr_g"] == 1e-5 and record["settings"]["lr_d"] == 2e-5
    from zoo.hub.publish import _run_fields

    fields, _ = _run_fields(tmp_path / "run")
    first, _, resume = fields["train_command"].partition("; from step 2: ")
    assert first == record["command"].replace(str(tiny_data), tiny_data.name), "local paths are not published"
    assert "lr_g=1e-5" in resume


def test_resumed_optimisers_take_the_new_rates(tiny_data, tmp_path):
    _trainer(tiny_data, tmp_path / "run", 2).run()
    again = _trainer(tiny_data, tmp_path / "run", 3, lr_g="1e-5")
    again.resume()
    assert [g["lr"] for g in again.opt_g.param_groups] == [1e-5]
    assert [g["lr"] for g in again.opt_d.param_groups] == [again.settings.lr_d]


def test_resume_refuses_settings_that_decide_the_data_and_noise(zoo_cli, clean_error, tiny_data, tmp_path):
    assert _cli_train(zoo_cli, tiny_data, "--steps", "2", *TINY_ARGS).returncode == 0
    clean_error(
        _cli_train(zoo_cli, tiny_data, "--resume", "--set", "batch_size=4"),
        "--set batch_size cannot change in a resumed run: only lr_g, lr_d",
    )


@pytest.mark.slow
def test_the_first_command_plus_resume_is_accepted(zoo_cli, tiny_data, tmp_path):
    """The trainer advises 'the same command plus --resume': settings repeated at their value are no change."""
    first = ["--steps", "3", "--until", "2", *TINY_ARGS]
    assert _cli_train(zoo_cli, tiny_data, *first).returncode == 0
    resumed = _cli_train(zoo_cli, tiny_data, *first[:2], *TINY_ARGS, "--resume")
    assert resumed.returncode == 0, resumed.stderr


@pytest.mark.slow
def test_the_first_command_with_its_recipe_plus_resume_is_accepted(zoo_cli, clean_error, tiny_data, tmp_path):
    first = ["--recipe", "default", "--steps", "3", "--until", "2", *TINY_ARGS]
    assert _cli_train(zoo_cli, tiny_data, *first).returncode == 0
    resumed = _cli_train(zoo_cli, tiny_data, *first[:4], "--resume")
    assert resumed.returncode == 0, resumed.stderr
    clean_error(_cli_train(zoo_cli, tiny_data, "--recipe", "other", "--resume"), "keeps its recipe (default)")


def test_non_finite_weights_are_never_checkpointed(tiny_data, tmp_path, monkeypatch):
    trainer = _trainer(tiny_data, tmp_path / "run", 2)
    trainer.run()
    saved = (tmp_path / "run" / CHECKPOINT).read_bytes()
    trainer.settings.steps = 4
    real_update = trainer._update_ema

    def poisoned_update():
        real_update()
        if trainer.step == 3:  # the EMA of step 4, a checkpoint step: it feeds no loss, so the losses stay finite
            with torch.no_grad():
                next(trainer.G_ema.parameters()).fill_(float("nan"))

    monkeypatch.setattr(trainer, "_update_ema", poisoned_update)
    with pytest.raises(ZooError, match="generator_ema weights became non-finite at step 4.*--resume --set lr_g"):
        trainer.run()
    assert (tmp_path / "run" / CHECKPOINT).read_bytes() == saved


def test_divergence_before_the_first_checkpoint_says_start_again(tiny_data, tmp_path, monkeypatch):
    trainer = _trainer(tiny_data, tmp_path / "run", 4)
    monkeypatch.setattr(trainer.loss, "g_loss", lambda logits: logits.sum() * float("nan"))
    with pytest.raises(ZooError, match="non-finite at step 1 .*before the first checkpoint: start again"):
        trainer.run()


def test_sampling_more_often_than_logging_works(tiny_data, tmp_path):
    _trainer(tiny_data, tmp_path / "run", 2, log_every="50", sample_every="1").run()
    assert (tmp_path / "run" / "samples" / "step-000001.png").is_file()


def test_a_fresh_run_drops_a_stale_log_and_cut_off_lines_do_not_block_resume(tiny_data, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / PROGRESS).write_text('{"step": 7, "d_loss": 1.0}\n')
    (run / ".checkpoint.safetensors.abc123.tmp").write_bytes(b"half a checkpoint")
    _trainer(tiny_data, run, 2).run()
    assert [json.loads(line)["step"] for line in (run / PROGRESS).read_text().splitlines()] == [1, 2]
    assert not list(run.glob(".*.tmp"))
    with open(run / PROGRESS, "a") as handle:
        handle.write('{"step": 3, "d_lo')  # killed mid-line
    again = _trainer(tiny_data, run, 3)
    again.resume()
    again.run()
    assert [json.loads(line)["step"] for line in (run / PROGRESS).read_text().splitlines()] == [1, 2, 3]


@pytest.mark.slow
def test_linear_decay_reaches_zero_and_resumes_to_the_bit(tiny_data, tmp_path):
    straight = _trainer(tiny_data, tmp_path / "straight", 4, lr_decay="linear")
    straight.run()
    assert straight.opt_g.param_groups[0]["lr"] == pytest.approx(straight.settings.lr_g * 0.25)  # set for step 4
    killed = _trainer(tiny_data, tmp_path / "split", 4, lr_decay="linear")  # the schedule runs to step 4 …
    save = killed.save

    def save_then_die() -> None:
        save()
        if killed.step == 2:
            raise KeyboardInterrupt  # … but the process dies after the checkpoint of step 2

    killed.save = save_then_die
    with pytest.raises(KeyboardInterrupt):
        killed.run()
    split = _trainer(tiny_data, tmp_path / "split", 4, lr_decay="linear")
    split.resume()
    split.run()
    for name, module in straight._modules().items():
        for (key, a), b in zip(module.state_dict().items(), split._modules()[name].state_dict().values(), strict=True):
            assert torch.equal(a, b), f"{name}.{key}"


@pytest.mark.parametrize(
    ("sets", "fragment"),
    [
        (["--set", "loss=gp"], "loss='gp' is not a Loss: choose one of bce, hinge"),
        (["--set", "regulariser=bce", "--set", "reg_weight=1"], "regulariser='bce' is not a Regulariser: choose one"),
        (["--set", "regulariser=r1"], "regulariser 'r1' needs a positive reg_weight"),
        (["--set", "reg_weight=5"], "reg_weight=5.0 has no regulariser"),
        (["--set", "lr_decay=cosine"], "lr_decay must be '' or 'linear', got 'cosine'"),
        (["--device", "banana"], "unknown device 'banana'"),
    ],
)
def test_wrong_training_settings_are_one_line_errors(zoo_cli, clean_error, tiny_data, tmp_path, sets, fragment):
    clean_error(_cli_train(zoo_cli, tiny_data, "--steps", "1", *TINY_ARGS, *sets), fragment)
    assert not (tmp_path / "run").exists(), "a failed run leaves no directory behind"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_on_a_machine_without_it_is_a_one_line_error(zoo_cli, clean_error, tiny_data):
    clean_error(_cli_train(zoo_cli, tiny_data, "--steps", "1", "--device", "cuda"), "is not available on this machine")


def test_resuming_with_the_wrong_family_names_the_right_one(zoo_cli, clean_error, tiny_data, tmp_path):
    assert _cli_train(zoo_cli, tiny_data, "--steps", "2", *TINY_ARGS).returncode == 0
    result = zoo_cli("train", "stylegan-lite", "--data", str(tiny_data), "--out", "run", "--resume", "--quiet")
    clean_error(result, "run is a dcgan run; resume it with zoo train dcgan")


def test_a_bare_run_directory_name_loads(tiny_data, tmp_path, monkeypatch):
    _trainer(tiny_data, tmp_path / "myrun", 2).run()
    monkeypatch.chdir(tmp_path)
    assert zoo.load("myrun").sample(2, seed=0).shape == (2, 32, 32, 3)
    (tmp_path / "dcgan").mkdir()  # a folder named like a registered model does not shadow it
    assert zoo.load("dcgan").checkpoint.name == "dcgan-cifar10-32"


def test_eval_writes_metrics_json_only_into_the_run_it_evaluated(tiny_data, tmp_path, monkeypatch):
    """A run folder named like a registered checkpoint must not get that checkpoint's evaluation."""
    from zoo.metrics.job import run_dir, written_paths

    _trainer(tiny_data, tmp_path / "myrun", 2).run()
    _trainer(tiny_data, tmp_path / "dcgan-cifar10-32", 2).run()  # a run named like the bundled checkpoint
    monkeypatch.chdir(tmp_path)
    assert run_dir("myrun") == Path("myrun")
    assert run_dir("dcgan-cifar10-32") is None, "zoo.load('dcgan-cifar10-32') loads the registered checkpoint"
    assert run_dir("./dcgan-cifar10-32") == Path("./dcgan-cifar10-32"), "a path, not a name: the run itself"
    assert written_paths("dcgan-cifar10-32", None) == []


def test_a_checkpointed_steps_grid_is_written_before_its_checkpoint(tiny_data, tmp_path, monkeypatch):
    """A kill between the step's checkpoint and its grid used to lose that grid for good (resume goes past it)."""
    trainer = _trainer(tiny_data, tmp_path / "run", 4)
    seen: list[tuple[int, bool]] = []
    real_save = Trainer.save

    def save(self: Trainer) -> None:
        seen.append((self.step, (self.out / "samples" / f"step-{self.step:06d}.png").is_file()))
        real_save(self)

    monkeypatch.setattr(Trainer, "save", save)
    trainer.run()
    assert seen == [(2, True), (4, True)]
