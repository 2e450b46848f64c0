"""benchmarks/bench_train.py: a timed call spans a lazy regulariser's period; its reference loop pays the penalty."""

from __future__ import annotations

import pytest
import torch
from script_modules import load_script
from zoo.losses import GradientPenalty, R1Penalty
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


@pytest.mark.parametrize(
    ("family", "regulariser", "steps", "penalties"),
    [("wgan-gp", GradientPenalty, 2, 2 * 5), ("stylegan-lite", R1Penalty, 3, 1), ("dcgan", None, 2, 0)],
)
def test_the_plain_loop_adds_the_recipes_penalty_as_often_as_the_recipe_does(
    monkeypatch, family, regulariser, steps, penalties
):
    """WGAN-GP penalises every critic update, StyleGAN's lazy R1 every 16th step, DCGAN nothing."""
    bench = _bench_train()
    calls = []
    for penalty_class in (GradientPenalty, R1Penalty):
        original = penalty_class.penalty

        def counted(self, inputs, logits, original=original, penalty_class=penalty_class):
            calls.append(penalty_class)
            assert inputs.requires_grad  # the penalty differentiates D with respect to its inputs
            return original(self, inputs, logits)

        monkeypatch.setattr(penalty_class, "penalty", counted)
    tiny = get_registry().architecture(family).tiny_config
    step = bench.plain_loop(family, **tiny)
    for _ in range(steps):
        step()
    assert calls == [regulariser] * penalties


def _critic() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8 * 8 * 8, 1)
    )


def test_flop_count_matches_torchs_counter_and_follows_a_penalty_double_backward():
    """The benchmarks' count equals FlopCounterMode's, and also runs through a penalty (where that one raised)."""
    from torch.utils.flop_counter import FlopCounterMode

    flop_count = load_script("benchmarks/_machine.py").flop_count
    critic, images = _critic(), torch.randn(4, 3, 8, 8)

    def plain_step() -> None:
        critic(images).sum().backward()

    def penalised_step() -> None:
        inputs = images.clone().requires_grad_(True)  # a leaf, as a penalty's interpolates are
        (grad,) = torch.autograd.grad(critic(inputs).sum(), inputs, create_graph=True)
        (critic(images).sum() + grad.pow(2).sum()).backward()

    with FlopCounterMode(display=False) as torch_counter:
        plain_step()
    assert flop_count(plain_step) == torch_counter.get_total_flops() > 0
    assert flop_count(penalised_step) > 2 * torch_counter.get_total_flops()
