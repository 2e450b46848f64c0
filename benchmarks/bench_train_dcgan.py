"""DCGAN-32 training steps per second at batch 64: the zoo trainer against a plain fp32 eager loop.

Same networks, same batch, one process: the plain loop is the reference, then the trainer's
step with each setting (fp32, bf16 autocast, channels-last, torch.compile). Prints ratios.
Run: python benchmarks/bench_train_dcgan.py [--steps 20] [--compile]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from zoo.registry import get_registry
from zoo.training.data import BatchSchedule, load_training_data
from zoo.training.settings import resolve_settings
from zoo.training.streaming import MemoryBatches
from zoo.training.trainer import Trainer

BATCH = 64


def _plain_loop_rate(steps: int) -> float:
    """Steps/s of the textbook loop: fp32, NCHW, two D forwards, no EMA."""
    from zoo_dcgan.model import Discriminator, Generator

    torch.manual_seed(0)
    G, D = Generator(), Discriminator()
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.rand(BATCH, 3, 32, 32) * 2 - 1
    ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)

    def step() -> None:
        fake = G(torch.randn(BATCH, 100))
        loss_d = F.binary_cross_entropy_with_logits(D(real), ones) + F.binary_cross_entropy_with_logits(
            D(fake.detach()), zeros
        )
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.binary_cross_entropy_with_logits(D(fake), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    return _rate(step, steps)


def _rate(step, steps: int) -> float:
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - start)


def _trainer_rate(data_path: Path, steps: int, bf16: bool, channels_last: bool, compile_: bool) -> float:
    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(
        arch, None, {"batch_size": str(BATCH), "bf16": str(bf16).lower(), "channels_last": str(channels_last).lower()}
    )
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(arch, settings, str(data_path), Path(out), device="cpu", quiet=True)
        if compile_:
            trainer.G_train, trainer.D_train = torch.compile(trainer.G), torch.compile(trainer.D)
        data = load_training_data(str(data_path), 32, conditional=False)
        schedule = BatchSchedule(len(data), BATCH, 0)
        return _rate(lambda: trainer.train_step(MemoryBatches(data, schedule, "benchmark")), steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to warm up)")
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "bench.npz"
        np.savez(data_path, images=np.random.default_rng(0).integers(0, 256, (1024, 32, 32, 3), dtype=np.uint8))
        reference = _plain_loop_rate(args.steps)
        print(f"DCGAN-32, batch {BATCH}, {torch.get_num_threads()} threads, {args.steps} timed steps")
        print(f"  plain fp32 eager loop (reference)      {reference:6.2f} steps/s   1.00x")
        variants = [
            ("zoo trainer fp32", False, False, False),
            ("zoo trainer bf16", True, False, False),
            ("zoo trainer bf16 + channels_last", True, True, False),
        ]
        if args.compile:
            variants.append(("zoo trainer bf16 + channels_last + compile", True, True, True))
        for name, bf16, cl, comp in variants:
            rate = _trainer_rate(data_path, args.steps, bf16, cl, comp)
            print(f"  {name:<40} {rate:6.2f} steps/s   {rate / reference:4.2f}x")


if __name__ == "__main__":
    main()
