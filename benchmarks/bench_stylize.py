"""Fast style networks at 512x512: images/s of fp32 eager against the zoo's default path, and % of the CPU's peak.

The bundled ``style-transfer-candy`` network (every classic style has the same layout and cost).
Settings, interleaved round by round (benchmarks/_machine.py): fp32 eager (the reference), the
path ``zoo stylize`` takes by default here (``zoo.inference.plan_for``: channels-last, bf16 only
where native and within tolerance), with ``--compile`` that path under ``torch.compile`` (its
first call, the compilation, is timed apart: it is what a single ``zoo stylize`` would pay), and
with ``--bf16`` (or on a CPU with native bf16) bf16 autocast with and without channels-last. The
network's FLOPs per image come from ``torch.utils.flop_counter``; CPU, threads and both matmul
peaks of the same run are printed, so "% of peak" says how close each setting is to this CPU's
limit. Also prints each setting's largest difference from fp32 in grey levels (0–255 pictures).

Run: python benchmarks/bench_stylize.py [--size 512] [--rounds 7] [--threads 1] [--compile] [--bf16]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import zoo
from _machine import flop_count, interleaved, machine_line, spread
from zoo.inference import InferencePlan, fast_inference, plan_for


def _setting(net: torch.nn.Module, x: torch.Tensor, bf16: bool, channels_last: bool) -> Callable[[], torch.Tensor]:
    """A no-argument forward under one setting (the network is copied so settings do not share layouts)."""
    import copy

    fmt = torch.channels_last if channels_last else torch.contiguous_format
    net = copy.deepcopy(net).to(memory_format=fmt)
    x = x.contiguous(memory_format=fmt)

    def run() -> torch.Tensor:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return net(x).float()

    run.net = net  # type: ignore[attr-defined]
    return run


def _default(net: torch.nn.Module, x: torch.Tensor) -> tuple[InferencePlan, Callable[..., torch.Tensor]]:
    """What ``zoo stylize --dtype auto`` runs: its plan and a forward of (a compiled copy of) the network."""
    import copy

    net = copy.deepcopy(net)
    plan = plan_for(net)
    layout = torch.channels_last if plan.channels_last else torch.contiguous_format

    def run(module: Callable[[torch.Tensor], torch.Tensor] = net) -> torch.Tensor:
        with fast_inference(net, plan):
            return module(x.contiguous(memory_format=layout)).float()

    run.net = net  # type: ignore[attr-defined]
    return plan, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of the default path")
    parser.add_argument("--bf16", action="store_true", help="time bf16 autocast even where bf16 is emulated (slow)")
    args, _ = parser.parse_known_args()  # nox -s bench passes its arguments to every script
    header, peaks = machine_line(args.threads)
    from zoo.hardware import native_bf16

    net = zoo.load("style-transfer-candy").generator.eval()
    x = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(1))
    flops = flop_count(lambda: net(x))
    plan, default = _default(net, x)
    settings = {"fp32 eager (reference)": _setting(net, x, bf16=False, channels_last=False)}
    settings[f"default: {plan.describe()}"] = default
    compile_seconds = None
    if args.compile:
        default()  # the plan puts the network in channels-last once (where it takes it), before it is compiled
        compiled = torch.compile(default.net)  # type: ignore[attr-defined]
        start = time.perf_counter()
        default(compiled)
        compile_seconds = time.perf_counter() - start
        settings["default + torch.compile"] = lambda: default(compiled)
    if args.bf16 or native_bf16(torch.device("cpu")):
        settings["bf16 autocast"] = _setting(net, x, bf16=True, channels_last=False)
        settings["bf16 + channels-last (--dtype bfloat16)"] = _setting(net, x, bf16=True, channels_last=True)
    times = interleaved(settings, args.rounds)
    reference_out = settings["fp32 eager (reference)"]()
    reference = statistics.median(times["fp32 eager (reference)"])
    print(f"{header}\ntorch {torch.__version__}, {args.size}x{args.size}, {args.rounds} interleaved rounds")
    print(f"network: {flops / 1e9:.1f} GFLOP per image (torch.utils.flop_counter)")
    if compile_seconds is not None:
        print(f"torch.compile: the first call (compilation included) took {compile_seconds:.1f} s")
    print("| setting | s/image median (min–max) | images/s | vs fp32 eager | % of bf16 peak | % of fp32 peak "
          "| max diff (0–255) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, run in settings.items():
        median = statistics.median(times[name])
        diff = (run() - reference_out).abs().max().item() * 255
        print(f"| {name} | {spread(times[name])} | {1 / median:.3f} | {reference / median:.2f}x | "
              f"{100 * flops / median / peaks['bf16']:.0f} % | {100 * flops / median / peaks['fp32']:.0f} % "
              f"| {diff:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
