"""DCGAN-32 training steps at batch 64: the zoo trainer's settings against a plain fp32 eager loop, interleaved.

    python benchmarks/bench_train_dcgan.py [--rounds 7] [--threads 1] [--bf16] [--compile]

The reference is the textbook loop (the PyTorch DCGAN example of Radford et al.'s model): fp32, NCHW, one
generator forward whose fakes serve D's and G's updates, no EMA. Against it, the trainer's step
with its defaults (G's update reuses the critic's fakes, channels-last, bf16 only where native)
and with ``reuse_fakes=false`` (fresh latents for G's update, the trainer before that setting);
``--bf16`` adds forced bf16 autocast (slow where bf16 is emulated), ``--compile`` torch.compile.
Settings run round by round (A B C A B C …) at a fixed thread count; FLOPs per step come from
FlopCounterMode, so each setting is also quoted as a fraction of the matmul peaks of the same run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
import zoo
from _machine import flop_count, interleaved, machine_line, speed_rows
from bench_train import build_trainer

PLAIN = "plain fp32 eager loop (reference)"  # first: the ratios are to it


def plain_loop(batch: int) -> Callable[[], None]:
    """One step of the textbook loop on a fixed real batch."""
    from zoo.losses import NonSaturatingLoss

    torch.manual_seed(0)
    handle = zoo.build("dcgan")
    G, D = handle.generator.train(), handle.discriminator.train()
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    loss = NonSaturatingLoss()
    real = torch.rand(batch, 3, 32, 32) * 2 - 1

    def step() -> None:
        fake = G(torch.randn(batch, 100))
        d_loss = loss.d_loss(D(real), D(fake.detach()))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = loss.g_loss(D(fake))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()

    return step


def trainer_step(batch: int, compile_: bool = False, **overrides: str) -> tuple[str, Callable[[], object]]:
    """(how the trainer chose its precision, one ``zoo train dcgan`` step) with ``--set`` overrides."""
    trainer, batches = build_trainer("dcgan", batch_size=str(batch), **overrides)
    if compile_:
        trainer.G_train, trainer.D_train = torch.compile(trainer.G), torch.compile(trainer.D)
    return trainer.precision_note, lambda: trainer.train_step(batches)


def settings_to_time(batch: int, bf16: bool, compile_: bool) -> dict[str, Callable[[], object]]:
    """The reference loop first, then each trainer setting, named for the table."""
    note, default = trainer_step(batch)
    runs = {PLAIN: plain_loop(batch), f"zoo trainer, defaults ({note})": default}
    runs["zoo trainer, reuse_fakes=false (two G forwards)"] = trainer_step(batch, reuse_fakes="false")[1]
    if bf16:
        runs["zoo trainer, bf16 autocast forced"] = trainer_step(batch, bf16="true")[1]
    if compile_:
        runs["zoo trainer, defaults + torch.compile"] = trainer_step(batch, compile_=True)[1]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bf16", action="store_true", help="also force bf16 autocast (slow without native bf16)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to warm up)")
    args, _ = parser.parse_known_args()  # nox -s bench passes its arguments to every script
    header, peaks = machine_line(args.threads)
    runs = settings_to_time(args.batch, args.bf16, args.compile)
    flops = {name: flop_count(run) for name, run in runs.items()}
    times = interleaved(runs, args.rounds)
    print(f"{header}\nDCGAN-32 training, batch {args.batch}, {args.rounds} interleaved rounds\n")
    print("| setting | steps/s, median (min–max) | × plain loop | % of bf16 peak | % of fp32 peak |")
    print("|---|---|---|---|---|")
    for row in speed_rows(times, flops, peaks, items=1, digits=2):
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
