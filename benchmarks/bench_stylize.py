"""Fast stylisation of one 512x512 image: bf16 autocast (and channels-last) against fp32 eager, same weights.

One process, one network (the default style-transfer config, seeded random weights: speed does not
depend on the values), the fp32 NCHW forward is the reference. Prints images/s, the ratio to the
reference and the largest absolute difference of the outputs (outputs are in [0, 1]).
Run: nice python benchmarks/bench_stylize.py [--size 512] [--repeats 5] [--threads N]
"""

from __future__ import annotations

import argparse
import time

import torch
from zoo_style_transfer.transformer import TransformerNet


def _rate(net: TransformerNet, x: torch.Tensor, bf16: bool, repeats: int) -> tuple[float, torch.Tensor]:
    """Images/s of ``repeats`` timed forwards after one warm-up, and the output."""
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        out = net(x)
        start = time.perf_counter()
        for _ in range(repeats):
            out = net(x)
        elapsed = time.perf_counter() - start
    return repeats / elapsed, out.float()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = TransformerNet().eval()
    x = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(1))
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.size}x{args.size}, {args.repeats} repeats"
    )
    reference, ref_out = _rate(net, x, bf16=False, repeats=args.repeats)
    print(f"{'fp32 eager (reference)':32s} {reference:7.3f} images/s")
    for name, bf16, channels_last in (
        ("fp32 channels-last", False, True),
        ("bf16 autocast", True, False),
        ("bf16 autocast + channels-last", True, True),
    ):
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        net = net.to(memory_format=fmt)
        rate, out = _rate(net, x.contiguous(memory_format=fmt), bf16, args.repeats)
        diff = (out - ref_out).abs().max().item()
        print(f"{name:32s} {rate:7.3f} images/s  x{rate / reference:5.2f}  max |diff| {diff:.4f}")


if __name__ == "__main__":
    main()
