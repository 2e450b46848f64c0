"""Default sampling and training paths against plain float32 eager, as fractions of this CPU's matmul peaks.

    python benchmarks/bench_sample.py [--batch 64] [--rounds 7] [--threads 1]

For every bundled generator: plain fp32 eager (contiguous layout, no_grad; the reference) and the
default path ``model.sample()`` takes here (``zoo.inference``: channels-last, spectral norm cached,
bf16 only where native and within tolerance), timed round by round (A B A B …) at a fixed thread
count. FLOPs per batch come from torch's FlopCounterMode, so each path's FLOP/s is also given as a
fraction of the bf16 and fp32 matmul peaks measured in the same run. Then the trainer (``zoo train
dcgan``'s step, default settings) against a plain fp32 DCGAN loop on the same batch. Prints a
Markdown table for the README.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
from collections.abc import Callable

import torch
import zoo
from _machine import interleaved, matmul_peak
from torch.utils.flop_counter import FlopCounterMode
from zoo.api import bundled_path
from zoo.hardware import cpu_bf16_flags
from zoo.inference import fast_inference, plan_for
from zoo.registry import get_registry

THREAD_MODELS = ("dcgan-cifar10-32", "stylegan-lite-emoji64")


def _generators() -> list[str]:
    registry = get_registry()
    return sorted(
        name
        for name, spec in registry.checkpoints.items()
        if bundled_path(spec) is not None and registry.architecture(spec.family).task != "image-to-image"
    )


def _flops(run: Callable[[], object]) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        run()
    return counter.get_total_flops()


def _sampling(name: str, batch: int) -> dict[str, Callable[[], object]]:
    plain = zoo.load(name, dtype="float32").generator.eval()
    fast = copy.deepcopy(plain)
    plan = plan_for(fast)
    z = plain.sample_latents(batch, torch.Generator().manual_seed(0))
    y = torch.arange(batch) % plain.num_classes if plain.num_classes else None

    def reference() -> object:
        with torch.no_grad():
            return plain(z, y)

    def default() -> object:
        with fast_inference(fast, plan):
            return fast(z, y)

    return {"plain fp32 eager": reference, f"default ({plan.describe()})": default}


def _threads(name: str, batch: int, threads: int) -> dict[str, Callable[[], object]]:
    """The default path at 1 and at ``threads`` threads, interleaved (is more threads faster here?)."""
    default = list(_sampling(name, batch).values())[1]

    def at(count: int) -> Callable[[], object]:
        def run() -> object:
            previous = torch.get_num_threads()
            torch.set_num_threads(count)
            try:
                return default()
            finally:
                torch.set_num_threads(previous)

        return run

    return {"default, 1 thread": at(1), f"default, {threads} threads": at(threads)}


def _training(batch: int) -> dict[str, Callable[[], object]]:
    """zoo's trainer step (dcgan, default settings) and a plain fp32 loop that reuses its fake batch."""
    from zoo.losses import NonSaturatingLoss
    from zoo.training.data import BatchSchedule, ImageData
    from zoo.training.settings import resolve_settings
    from zoo.training.streaming import MemoryBatches
    from zoo.training.trainer import Trainer

    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(arch, None, {"batch_size": str(batch)})
    trainer = Trainer(arch, settings, "bench", _tmp_dir(), device="cpu", quiet=True)
    images = torch.randint(0, 256, (4 * batch, 3, 32, 32), dtype=torch.uint8)
    data = ImageData(images=images, labels=None)
    batches = MemoryBatches(data, BatchSchedule(len(images), batch, 0, 0, 1), "benchmark")
    torch.manual_seed(0)
    G, D = zoo.build("dcgan").generator.train(), zoo.build("dcgan").discriminator.train()
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    loss = NonSaturatingLoss()
    real = images[:batch].float() / 127.5 - 1

    def plain() -> None:
        fake = G(torch.randn(batch, 100))
        d_loss = loss.d_loss(D(real), D(fake.detach()))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = loss.g_loss(D(fake))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()

    step = f"zoo train dcgan step ({trainer.precision_note})"
    return {"plain fp32 loop": plain, step: lambda: trainer.train_step(batches)}


def _tmp_dir():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="zoo-bench-"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    peaks = {"bf16": matmul_peak(torch.bfloat16), "fp32": matmul_peak(torch.float32)}
    flags = ", ".join(cpu_bf16_flags()) or "none (bf16 emulated)"
    print(f"batch {args.batch}, {args.rounds} interleaved rounds, torch threads {torch.get_num_threads()}; "
          f"matmul peak bf16 {peaks['bf16'] / 1e9:.1f} GFLOP/s, fp32 {peaks['fp32'] / 1e9:.1f} GFLOP/s; "
          f"native bf16 flags: {flags}\n")  # fmt: skip
    print("| model | path | images/s, median (min–max) | × plain fp32 | % of bf16 peak | % of fp32 peak |")
    print("|---|---|---|---|---|---|")
    groups = [(name, _sampling(name, args.batch)) for name in _generators()]
    groups.append(("trainer (dcgan, 32 px)", _training(args.batch)))
    cores = os.cpu_count() or 1
    if cores > 1:
        groups += [(f"{name}, threads", _threads(name, args.batch, cores)) for name in THREAD_MODELS]
    for model, settings in groups:
        flops = {path: _flops(run) for path, run in settings.items()}
        times = interleaved(settings, args.rounds)
        reference = statistics.median(next(iter(times.values())))
        for path, ts in times.items():
            median = statistics.median(ts)
            rate = f"{args.batch / median:.0f} ({args.batch / max(ts):.0f}–{args.batch / min(ts):.0f})"
            achieved = flops[path] / median
            print(f"| {model} | {path} | {rate} | {reference / median:.2f} | "
                  f"{100 * achieved / peaks['bf16']:.0f} % | {100 * achieved / peaks['fp32']:.0f} % |")  # fmt: skip


if __name__ == "__main__":
    main()
