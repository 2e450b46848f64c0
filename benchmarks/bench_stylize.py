"""Fast style networks at 512x512: images/s of fp32 eager against the zoo's fast settings, and % of the CPU's peak.

The bundled ``style-transfer-candy`` network (every classic style has the same layout and cost).
Settings, interleaved round by round (benchmarks/_machine.py): fp32 eager (the reference), bf16
autocast, bf16 autocast + channels-last (what ``zoo stylize --dtype bfloat16`` runs) and, with
``--compile``, that under ``torch.compile``. The network's FLOPs per image are counted with
``torch.utils.flop_counter``; the bf16 and fp32 matmul peaks are measured in the same run at the
same thread count, so "% of bf16 peak" says how close each setting is to what this CPU can do.
Also prints each setting's largest difference from fp32 in grey levels (outputs are 0–255 pictures).

Run: python benchmarks/bench_stylize.py [--size 512] [--rounds 7] [--threads 1] [--compile]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import torch
import zoo
from _machine import interleaved, matmul_peak, spread
from torch.utils.flop_counter import FlopCounterMode


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of the bf16 channels-last path")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    net = zoo.load("style-transfer-candy").generator.eval()
    x = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(1))
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        net(x)
    flops = counter.get_total_flops()
    settings = {
        "fp32 eager (reference)": _setting(net, x, bf16=False, channels_last=False),
        "bf16 autocast": _setting(net, x, bf16=True, channels_last=False),
        "bf16 + channels-last (--dtype bfloat16)": _setting(net, x, bf16=True, channels_last=True),
    }
    if args.compile:
        fast = _setting(net, x, bf16=True, channels_last=True)
        compiled = torch.compile(fast.net)  # type: ignore[attr-defined]

        def run_compiled() -> torch.Tensor:
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
                return compiled(x.contiguous(memory_format=torch.channels_last)).float()

        settings["bf16 + channels-last + torch.compile"] = run_compiled
    peak_bf16, peak_fp32 = matmul_peak(torch.bfloat16), matmul_peak(torch.float32)
    times = interleaved(settings, args.rounds)
    peak_bf16, peak_fp32 = max(peak_bf16, matmul_peak(torch.bfloat16)), max(peak_fp32, matmul_peak(torch.float32))
    reference_out = settings["fp32 eager (reference)"]()
    reference = statistics.median(times["fp32 eager (reference)"])
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.size}x{args.size}, {args.rounds} rounds"
    )
    print(f"network: {flops / 1e9:.1f} GFLOP per image (torch.utils.flop_counter)")
    print(f"matmul peak (1024^3, best of 5, before and after): bf16 {peak_bf16 / 1e9:.0f} GFLOP/s, "
          f"fp32 {peak_fp32 / 1e9:.0f} GFLOP/s (bf16/fp32 {peak_bf16 / peak_fp32:.2f}x)")  # fmt: skip
    print("| setting | s/image median (min–max) | images/s | vs fp32 eager | % of bf16 peak | max diff (0–255) |")
    print("|---|---|---|---|---|---|")
    for name, run in settings.items():
        median = statistics.median(times[name])
        diff = (run() - reference_out).abs().max().item() * 255
        print(f"| {name} | {spread(times[name])} | {1 / median:.3f} | {reference / median:.2f}x | "
              f"{100 * flops / median / peak_bf16:.0f} % | {diff:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
