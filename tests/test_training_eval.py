"""Evaluation during training: values beside the losses, the best checkpoint kept, bitwise resume unchanged,
and quality against training time (#32): the run's clock across legs, its plot and table on the pushed card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zoo
from PIL import Image
from zoo.cards import NOT_EVALUATED
from zoo.errors import ZooError
from zoo.hub.publish import plan_push, write_folder
from zoo.registry import get_registry
from zoo.training.evaluation import BEST_RECORD, BEST_WEIGHTS
from zoo.training.plots import QUALITY_PLOT
from zoo.training.settings import CHECKPOINT, resolve_settings
from zoo.training.timeline import evaluations, logged_seconds, read_progress
from zoo.training.trainer import PROGRESS, Trainer
from zoo.weights import load_tensors, read_metadata

TINY = {"batch_size": "8", "model.width": "4", "model.z_dim": "8", "log_every": "1", "sample_every": "3",
        "checkpoint_every": "3", "ema_decay": "0.5"}  # fmt: skip
EVAL = {"eval_every": "2", "eval_metrics": "kid,pr", "eval_n": "24", "eval_extractor": "squeezenet1_1-imagenet"}


@pytest.fixture(autouse=True)
def private_zoo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "zoo-home"))
    return tmp_path / "zoo-home"


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    rng = np.random.default_rng(1)
    np.savez(path, images=rng.integers(0, 256, size=(48, 32, 32, 3), dtype=np.uint8))
    return path


def _train(data: Path, out: Path, steps: int, until: int | None = None, resume: bool = False, **extra: str) -> Path:
    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(arch, None, {**TINY, **extra})
    settings.steps = steps
    out.mkdir(exist_ok=True)
    trainer = Trainer(arch, settings, str(data), out, device="cpu", quiet=True, command="zoo train dcgan (test)")
    if resume:
        trainer.resume()
    return trainer.run(until=until)


def _contents(path: Path) -> tuple[dict, dict]:
    """Every tensor's bytes and the metadata (safetensors writes metadata keys in no fixed order)."""
    tensors = {k: v.numpy().tobytes() for k, v in load_tensors(path).items()}
    return tensors, read_metadata(path)


def _evals(run: Path) -> list[dict]:
    return [r for r in map(json.loads, (run / PROGRESS).read_text().splitlines()) if "eval" in r]


def test_evaluations_are_logged_plotted_and_the_best_is_kept(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    _train(tiny_data, run, 6, **EVAL)
    evals = _evals(run)
    assert [r["step"] for r in evals] == [2, 4, 6]
    assert all({"kid", "kid_std", "precision", "recall"} <= set(r["eval"]) for r in evals)
    best = json.loads((run / BEST_RECORD).read_text())
    kids = {r["step"]: r["eval"]["kid"] for r in evals}
    assert best["metric"] == "kid" and best["step"] == min(kids, key=kids.get) and best["value"] == min(kids.values())
    assert best["protocol"]["extractor"] == "squeezenet1_1-imagenet"
    again = zoo.evaluate(zoo.load(str(run / BEST_WEIGHTS)), tiny_data, ["kid"], n=24,
                         extractor="squeezenet1_1-imagenet", progress=False)  # fmt: skip
    assert again.values["kid"] == pytest.approx(best["value"], abs=1e-6), "best.safetensors holds the best step"
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("step 4: kid")]
    assert lines and "best kid" in lines[0] and "squeezenet1_1-imagenet features" in lines[0]
    assert Image.open(run / "loss.png").size == (640, 360 + 3 * 180), "a panel per metric under the losses"


@pytest.mark.slow
def test_evaluation_leaves_the_weights_alone_and_a_resumed_run_equals_a_straight_one(tiny_data, tmp_path):
    straight, plain, split = tmp_path / "straight", tmp_path / "plain", tmp_path / "split"
    _train(tiny_data, straight, 6, **EVAL)
    _train(tiny_data, plain, 6)
    _train(tiny_data, split, 6, until=4, **EVAL)
    assert [r["step"] for r in _evals(split)] == [2, 4]
    _train(tiny_data, split, 6, resume=True, **EVAL)
    model = _contents(straight / "model.safetensors")
    assert _contents(plain / "model.safetensors") == model, "evaluating must not change training"
    assert _contents(split / "model.safetensors") == model, "resume stays bit-identical"
    assert _contents(split / BEST_WEIGHTS) == _contents(straight / BEST_WEIGHTS)
    untimed = [[{**r, "eval_seconds": 0, "hours": 0} for r in _evals(run)] for run in (straight, split)]
    assert untimed[0] == untimed[1], "the same values at the same steps"


def test_a_resume_evaluates_the_step_a_kill_left_unevaluated(tiny_data, tmp_path):
    run = tmp_path / "run"
    _train(tiny_data, run, 6, until=4, **EVAL)
    log = run / PROGRESS
    kept = [line for line in log.read_text().splitlines() if '"eval"' not in line or '"step": 2,' in line]
    log.write_text("".join(line + "\n" for line in kept))
    _train(tiny_data, run, 6, resume=True, **EVAL)
    assert [r["step"] for r in _evals(run)] == [2, 4, 6]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"eval_metrics": "fid,bogus"}, "unknown metric(s) 'bogus'"),
        ({"best_metric": "recall"}, "best_metric 'recall' is not reported by eval_metrics=kid: choose kid, kid_std"),
        ({"eval_extractor": "nope"}, "unknown eval_extractor 'nope'"),
        ({"eval_n": "1"}, "eval_n must be greater than or equal to 2"),
    ],
)
def test_bad_evaluation_settings_are_refused_before_training(tiny_data, tmp_path, extra, fragment):
    with pytest.raises(ZooError) as error:
        _train(tiny_data, tmp_path / "run", 2, **{**EVAL, "eval_metrics": "kid", **extra})
    assert fragment in str(error.value)
    assert not (tmp_path / "run" / PROGRESS).exists()


def test_every_record_carries_the_runs_hours_and_a_resumed_leg_continues_the_clock(tiny_data, tmp_path):
    run = tmp_path / "run"
    _train(tiny_data, run, 6, until=3, **EVAL)
    first_leg = read_progress(run)
    assert all("hours" in r for r in first_leg)
    clock_at_stop = logged_seconds(first_leg, 8)
    assert clock_at_stop > 0
    _train(tiny_data, run, 6, resume=True, **EVAL)
    records = read_progress(run)
    hours = [r["hours"] for r in records]
    assert hours == sorted(hours), "the clock never runs backwards across legs"
    second_leg = [r for r in records if r["step"] > 3]
    assert second_leg[0]["hours"] * 3600 >= clock_at_stop, "a resume starts from the first leg's time, not zero"
    assert [r["step"] for r in evaluations(records)] == [2, 4, 6]


def test_the_checkpoint_holds_no_clock_so_a_split_run_is_the_same_bytes(tiny_data, tmp_path):
    _train(tiny_data, tmp_path / "straight", 4)
    _train(tiny_data, tmp_path / "split", 4, until=2)
    _train(tiny_data, tmp_path / "split", 4, resume=True)
    assert (tmp_path / "straight" / CHECKPOINT).read_bytes() == (tmp_path / "split" / CHECKPOINT).read_bytes()


def test_push_puts_the_quality_table_and_plot_on_the_card(tiny_data, tmp_path):
    run = tmp_path / "run"
    _train(tiny_data, run, 6, **EVAL)
    assert (run / QUALITY_PLOT).is_file()
    plan = plan_push(str(run), "org/tiny", overrides={"license": "mit", "metrics": NOT_EVALUATED})
    files = write_folder(plan, tmp_path / "hub")
    assert QUALITY_PLOT in files and (tmp_path / "hub" / QUALITY_PLOT).is_file()
    card = (tmp_path / "hub" / "README.md").read_text()
    section = card.split("## Quality against training time", 1)[1]
    kids = [r["eval"]["kid"] for r in map(json.loads, (run / PROGRESS).read_text().splitlines()) if "eval" in r]
    assert [f"| {step} |" in section for step in (2, 4, 6)] == [True] * 3
    assert f"{kids[-1]:.4g}" in section
    assert f"]({QUALITY_PLOT})" in section


def test_a_run_that_never_evaluated_gets_no_quality_section(tiny_data, tmp_path):
    run = tmp_path / "run"
    _train(tiny_data, run, 2)
    plan = plan_push(str(run), "org/tiny", overrides={"license": "mit", "metrics": NOT_EVALUATED})
    files = write_folder(plan, tmp_path / "hub")
    assert QUALITY_PLOT not in files
    assert "Quality against training time" not in (tmp_path / "hub" / "README.md").read_text()
