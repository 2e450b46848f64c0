"""Default sampling and training paths against plain float32 eager, as fractions of this CPU's matmul peaks.

    python benchmarks/bench_sample.py [--batch 64] [--rounds 7] [--threads 1]

For every bundled generator: plain fp32 eager (contiguous layout, no_grad; the reference) and the
default path ``model.sample()`` takes here (``zoo.inference``: channels-last, spectral norm cached,
bf16 only where native and within tolerance), timed round by round (A B A B …) at a fixed thread
count. FLOPs per batch come from torch's FlopCounterMode, so each path's FLOP/s is also given as a
fraction of the bf16 and fp32 matmul peaks measured in the same run. Then the trainer (``zoo train
dcgan``'s step, default settings) against a plain fp32 DCGAN loop on the same batch. Prints a
Markdown table for the README.

    python benchmarks/bench_sample.py --models stylegan-lite-celeba64 --compile

``--compile`` adds the default path under ``torch.compile`` (inductor; needs a C++ compiler), timed
after its first call, which is reported apart: it fuses the elementwise passes eager runs one by one.
"""

from __future__ import annotations

import argparse
import copy
import os
import time
from collections.abc import Callable

import torch
import zoo
from _machine import flop_count, interleaved, machine_line, speed_rows
from zoo.inference import InferencePlan, fast_inference, plan_for
from zoo.registry import get_registry
from zoo.specs import bundled_path

THREAD_MODELS = ("dcgan-cifar10-32", "stylegan-lite-emoji64")


def _generators() -> list[str]:
    registry = get_registry()
    return sorted(
        name
        for name, spec in registry.checkpoints.items()
        if bundled_path(spec) is not None and registry.architecture(spec.family).task != "image-to-image"
    )


def _sampling(name: str, batch: int, compile_: bool = False) -> dict[str, Callable[[], object]]:
    handle = zoo.load(name, dtype="float32")
    plain = handle.generator.eval()
    fast = copy.deepcopy(plain)
    plan = plan_for(fast, bf16_record=handle.bf16_accuracy)  # as model.sample() plans: the card's bf16 record
    z = plain.sample_latents(batch, torch.Generator().manual_seed(0))
    y = torch.arange(batch) % plain.num_classes if plain.num_classes else None

    def reference() -> object:
        with torch.no_grad():
            return plain(z, y)

    def default() -> object:
        with fast_inference(fast, plan):
            return fast(z, y)

    settings = {"plain fp32 eager": reference, f"default ({plan.describe()})": default}
    if compile_:
        settings["default + torch.compile"] = _compiled(fast, plan, z, y, default)
    return settings


def _compiled(
    fast: torch.nn.Module,
    plan: InferencePlan,
    z: torch.Tensor,
    y: torch.Tensor | None,
    eager: Callable[[], object],
) -> Callable[[], object]:
    """The default path under torch.compile; its first call (the compilation) is timed and printed here.

    FlopCounterMode cannot see inside compiled code, so the FLOPs are counted on ``eager``, the same arithmetic.
    """
    network = torch.compile(fast)

    def run() -> object:
        with fast_inference(fast, plan):
            return network(z, y)

    start = time.perf_counter()
    run()
    print(f"torch.compile: the first call (compilation included) took {time.perf_counter() - start:.1f} s")
    run.counted_as = eager  # type: ignore[attr-defined]
    return run


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
    """zoo's trainer step (dcgan, default settings) and the plain fp32 loop of bench_train_dcgan.py."""
    from bench_train_dcgan import plain_loop, trainer_step

    note, step = trainer_step(batch)
    return {"plain fp32 loop": plain_loop(batch), f"zoo train dcgan step ({note})": step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", nargs="*", help="bundled generators to time (default: all, plus the trainer)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of the default path")
    args = parser.parse_args()
    header, peaks = machine_line(args.threads)
    print(f"{header}\nbatch {args.batch}, {args.rounds} interleaved rounds\n")
    print("| model | path | images/s, median (min–max) | × plain fp32 | % of bf16 peak | % of fp32 peak |")
    print("|---|---|---|---|---|---|")
    names = args.models or _generators()
    groups = [(name, _sampling(name, args.batch, args.compile)) for name in names]
    if not args.models:
        groups.append(("trainer (dcgan, 32 px)", _training(args.batch)))
    cores = os.cpu_count() or 1
    if cores > 1 and not args.models:
        groups += [(f"{name}, threads", _threads(name, args.batch, cores)) for name in THREAD_MODELS]
    for model, settings in groups:
        flops = {path: flop_count(getattr(run, "counted_as", run)) for path, run in settings.items()}
        times = interleaved(settings, args.rounds)
        for row in speed_rows(times, flops, peaks, items=args.batch, digits=0):
            print(f"| {model} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
