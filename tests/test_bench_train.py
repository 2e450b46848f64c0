"""benchmarks/bench_train.py times and counts whole lazy-regulariser periods, so its step is the average step."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from zoo.registry import get_registry
from zoo.training.settings import resolve_settings

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _bench_train():
    """The benchmark script as a module (it imports its sibling ``_machine``)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("bench_train", BENCHMARKS / "bench_train.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def test_a_lazy_regulariser_makes_every_timed_call_one_whole_period():
    bench = _bench_train()
    for family in bench.FAMILIES:
        settings = resolve_settings(get_registry().architecture(family), None, {})
        lazy = settings.regulariser and settings.reg_weight > 0 and settings.reg_every > 1
        assert bench.regulariser_period(settings) == (settings.reg_every if lazy else 1), family
    assert bench.regulariser_period(bench._recipe("stylegan-lite")) > 1  # StyleGAN's R1 runs once in 16 steps


def test_a_repeated_call_runs_the_step_that_many_times():
    calls = []
    bench = _bench_train()
    bench.repeated(lambda: calls.append(1), 16)()
    assert len(calls) == 16
