"""Quality against training time (#32): every log record carries the run's wall-clock, split runs keep one clock,
evaluations become a plot and a table, and `zoo push` puts both on the card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from zoo.cards import NOT_EVALUATED
from zoo.hub.publish import plan_push, write_folder
from zoo.registry import get_registry
from zoo.training.plots import QUALITY_PLOT, plot_quality
from zoo.training.settings import CHECKPOINT, resolve_settings
from zoo.training.timeline import PROGRESS, evaluations, logged_seconds, quality_metric, read_progress
from zoo.training.trainer import Trainer

TINY = {"batch_size": "8", "model.width": "4", "model.z_dim": "8", "log_every": "1", "sample_every": "3",
        "checkpoint_every": "3", "ema_decay": "0.5"}  # fmt: skip
EVAL = {"eval_every": "2", "eval_metrics": "kid", "eval_n": "24", "eval_extractor": "squeezenet1_1-imagenet"}


@pytest.fixture(autouse=True)
def private_zoo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "zoo-home"))


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    np.savez(path, images=np.random.default_rng(1).integers(0, 256, size=(48, 32, 32, 3), dtype=np.uint8))
    return path


def _train(data: Path, out: Path, steps: int, until: int | None = None, resume: bool = False, **extra: str) -> None:
    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(arch, None, {**TINY, **extra})
    settings.steps = steps
    out.mkdir(exist_ok=True)
    trainer = Trainer(arch, settings, str(data), out, device="cpu", quiet=True, command="zoo train dcgan (test)")
    if resume:
        trainer.resume()
    trainer.run(until=until)


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


def test_logs_written_before_the_clock_are_timed_from_their_rates():
    legacy = [{"step": 10, "img_per_s": 20.0}, {"step": 20, "img_per_s": 40.0}, {"step": 20, "eval": {"fid": 9.0}}]
    assert logged_seconds(legacy, images_per_step=8) == pytest.approx(10 * 8 / 20 + 10 * 8 / 40)
    later = [*legacy, {"step": 30, "img_per_s": 40.0, "hours": 1.0}, {"step": 40, "img_per_s": 40.0, "hours": 1.5}]
    assert logged_seconds(later, images_per_step=8) == pytest.approx(1.5 * 3600)


def test_a_two_way_model_shows_both_fids_and_a_one_way_model_its_fid_or_first_metric():
    assert quality_metric([{"step": 1, "hours": 0.1, "fid_a2b": 5.0, "fid_b2a": 6.0, "kid_a2b": 1.0}]) == [
        "fid_a2b",
        "fid_b2a",
    ]
    assert quality_metric([{"step": 1, "hours": 0.1, "kid": 2.0, "kid_std": 0.1, "precision": 0.5}]) == ["kid"]
    rows = evaluations([{"step": 5, "loss": 1.0, "hours": 0.5}, {"step": 5, "eval": {"fid": 3.0}}])
    assert rows == [{"step": 5, "hours": 0.5, "fid": 3.0}], "an evaluation takes the time of the step it evaluated"


def test_the_plot_needs_two_evaluations_and_then_draws_step_and_hours_side_by_side(tmp_path):
    one = [{"step": 2, "eval": {"fid": 10.0}, "hours": 0.1}]
    assert not plot_quality(tmp_path / "one.png", one)
    assert not (tmp_path / "one.png").exists()
    two = [*one, {"step": 4, "eval": {"fid": 8.0}, "hours": 0.3}]
    assert plot_quality(tmp_path / "two.png", two, size=(200, 120))
    assert Image.open(tmp_path / "two.png").size == (400, 120)


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


def test_evaluations_of_a_log_older_than_its_clock_are_timed_from_the_rates_and_marked():
    legacy = [{"step": 10, "img_per_s": 20.0}, {"step": 10, "eval": {"fid": 9.0}}, {"step": 20, "img_per_s": 40.0}]
    legacy.append({"step": 20, "eval": {"fid": 7.0}})
    assert [row["hours"] for row in evaluations(legacy)] == [None, None], "no batch size: no clock to give"
    rows = evaluations(legacy, images_per_step=8)
    assert [row["hours"] * 3600 for row in rows] == pytest.approx([4.0, 6.0])
    assert all(row["hours_estimated"] for row in rows)
    from zoo.hub.publish import quality_section

    section = quality_section(rows, None)
    assert "estimated from the logged images/s" in section and "| 20 | ≈0.00 | 7 |" in section
