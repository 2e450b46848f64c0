"""Quality against training time (#32): the clock read from a run's log, the rows and plot made of its evaluations.

The runs themselves (the clock across a resume, the card that zoo push writes) are tested in test_training_eval.py.
"""

from __future__ import annotations

import pytest
from PIL import Image
from zoo.training.plots import plot_quality
from zoo.training.timeline import evaluations, logged_seconds, quality_metric


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
