"""benchmarks/bench_train.py times and counts whole lazy-regulariser periods, so its step is the average step."""

from __future__ import annotations

from script_modules import load_script
from zoo.registry import get_registry
from zoo.training.settings import resolve_settings


def _bench_train():
    """The benchmark script as a module (it imports its sibling ``_machine``)."""
    return load_script("benchmarks/bench_train.py")


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
