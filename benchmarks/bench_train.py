"""Every family's training step: the zoo trainer against a plain fp32 loop of the same model and loss, interleaved.

    python benchmarks/bench_train.py [--families dcgan,sagan] [--rounds 5] [--threads 1]

For each family, at its default recipe's batch size and n_critic, three settings run round by round
(A B C A B C …) at a fixed thread count:

- the reference: a plain fp32 eager loop of the family's own generator, discriminator and recipe loss
  (n_critic critic updates on fresh latents, then one generator update; no EMA or augmentation). The loss
  includes the recipe's gradient penalty, in its textbook form (its own forward on the penalised images,
  every ``reg_every`` steps): WGAN-GP's objective is the Wasserstein loss *plus* the penalty (Gulrajani et al.
  2017, eq. 3), and a loop without it skips the double backward, about half of a plain WGAN-GP step;
- the trainer in float32 (``--set bf16=false``): the same recipe as ``zoo train``, regularisers included;
- the trainer with its defaults: bf16 autocast and channels-last where the CPU has native bf16.

Each is quoted as steps/s, as a multiple of the reference, and as a fraction of the bf16 and fp32
matmul peaks measured in the same run (FLOPs per step by FlopCounterMode's formulas, a penalty's
double backward included). Where the recipe's regulariser is lazy (StyleGAN's R1 every 16 steps),
every timed call and every FLOP count spans one whole period of steps, so the figures are the average
step, regularised steps included. DCGAN's own table, with its older settings, is ``bench_train_dcgan.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import zoo
from _machine import flop_count, interleaved, machine_line, speed_rows
from zoo.hardware import keep_freed_memory

if TYPE_CHECKING:
    from zoo.training.settings import TrainSettings

FAMILIES = ("dcgan", "wgan-gp", "sagan", "biggan-lite", "stylegan-lite")
PLAIN = "plain fp32 eager loop, same model and loss, penalty included (reference)"


def _recipe(family: str) -> TrainSettings:
    """The family's default recipe as the trainer resolves it."""
    from zoo.registry import get_registry
    from zoo.training.settings import resolve_settings

    return resolve_settings(get_registry().architecture(family), None, {})


def plain_loop(family: str, **config: object) -> Callable[[], None]:
    """One step of the textbook loop for ``family``: n_critic D updates (penalty included), one G update, fp32, NCHW."""
    from zoo.registry import get_registry
    from zoo.specs import import_object

    settings = _recipe(family)
    torch.manual_seed(0)
    handle = zoo.build(family, **config)
    G, D = handle.generator.train(), handle.discriminator.train()
    loss = import_object(get_registry().losses[settings.loss].builder)()
    penalty = import_object(get_registry().losses[settings.regulariser].builder)() if settings.regulariser else None
    steps = 0
    opt_g = torch.optim.Adam(G.parameters(), settings.lr_g, betas=tuple(settings.betas_g))
    opt_d = torch.optim.Adam(D.parameters(), settings.lr_d, betas=tuple(settings.betas_d))
    batch, side = settings.batch_size, G.resolution
    real = torch.rand(batch, G.channels, side, side) * 2 - 1
    labels = torch.randint(0, G.num_classes, (batch,)) if G.num_classes else None

    def step() -> None:
        nonlocal steps
        for _ in range(settings.n_critic):
            fake = G(G.sample_latents(batch, torch.default_generator), labels).detach()
            d_loss = loss.d_loss(D(real, labels), D(fake, labels))
            if penalty is not None and steps % settings.reg_every == 0:
                inputs = penalty.inputs(real.clone().requires_grad_(True), fake)
                d_loss = d_loss + settings.reg_weight * settings.reg_every * penalty.penalty(inputs, D(inputs, labels))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        g_loss = loss.g_loss(D(G(G.sample_latents(batch, torch.default_generator), labels), labels))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        steps += 1

    return step


def build_trainer(family: str, **overrides: str) -> tuple[object, object]:
    """(a ``zoo train FAMILY`` Trainer with ``--set`` overrides, in-memory random batches for it)."""
    from zoo.registry import get_registry
    from zoo.training.data import BatchSchedule, ImageData
    from zoo.training.settings import resolve_settings
    from zoo.training.streaming import MemoryBatches
    from zoo.training.trainer import Trainer

    arch = get_registry().architecture(family)
    settings = resolve_settings(arch, None, dict(overrides))
    out = Path(tempfile.mkdtemp(prefix="zoo-bench-"))
    trainer = Trainer(arch, settings, "bench", out, device="cpu", quiet=True)
    side, channels, classes = trainer.G.resolution, trainer.G.channels, trainer.G.num_classes
    n = 4 * settings.batch_size * settings.n_critic
    images = torch.randint(0, 256, (n, channels, side, side), dtype=torch.uint8)
    labels = torch.randint(0, classes, (n,)) if classes else None
    schedule = BatchSchedule(n, settings.batch_size, 0, 0, 1)
    return trainer, MemoryBatches(ImageData(images=images, labels=labels), schedule, "bench")


def trainer_step(family: str, **overrides: str) -> tuple[str, Callable[[], object]]:
    """(how the trainer chose its precision, one ``zoo train FAMILY`` step) with ``--set`` overrides."""
    trainer, batches = build_trainer(family, **overrides)
    return trainer.precision_note, lambda: trainer.train_step(batches)


def regulariser_period(settings: TrainSettings) -> int:
    """Steps over which the recipe's lazy regulariser runs once (1 where it runs every step or not at all).

    The settings check ties ``regulariser`` and a positive ``reg_weight`` together, so the name alone says.
    """
    return settings.reg_every if settings.regulariser else 1


def repeated(run: Callable[[], object], times: int) -> Callable[[], None]:
    """``run`` called ``times`` times per call: a timed call then spans a whole regulariser period."""

    def calls() -> None:
        for _ in range(times):
            run()

    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args, _ = parser.parse_known_args()  # nox -s bench passes its arguments to every script
    header, peaks = machine_line(args.threads)
    print(header)
    keep_freed_memory()  # as zoo train does (its effect alone: bench_freed_memory.py)
    for family in args.families.split(","):
        settings = _recipe(family)
        note, default = trainer_step(family)
        period = regulariser_period(settings)
        runs = {
            PLAIN: plain_loop(family),
            "zoo trainer, float32 (bf16=false)": trainer_step(family, bf16="false")[1],
            f"zoo trainer, defaults ({note})": default,
        }
        runs = {name: repeated(run, period) for name, run in runs.items()}
        flops = {name: flop_count(run) for name, run in runs.items()}
        times = interleaved(runs, args.rounds)
        spans = f", every timed call {period} steps (one lazy regulariser period)" if period > 1 else ""
        print(f"\n{family}: batch {settings.batch_size}, n_critic {settings.n_critic}, {args.rounds} rounds{spans}\n")
        print("| setting | steps/s, median (min–max) | × plain loop | % of bf16 peak | % of fp32 peak |")
        print("|---|---|---|---|---|")
        for row in speed_rows(times, flops, peaks, items=period, digits=3):
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
