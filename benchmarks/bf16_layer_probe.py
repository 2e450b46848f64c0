"""Which StyleGAN-lite synthesis layers keep bf16 from matching float32? (#32: emoji64's probe misses 0.1.)

Each set of layers given runs in float32 while the rest runs as ``zoo.inference`` runs bf16; the numbers are
the per-image max |Δ| on [-1, 1] that ``zoo.inference.measure_bf16_accuracy`` records (its 99.9th percentile
and the worst image), so they read against ``zoo.bf16_accuracy.BF16_TOLERANCE``:

    python benchmarks/bf16_layer_probe.py stylegan-lite-emoji64 --samples 256 --sets "" 0-2 0-4 0-5

Any set may be probed, not only the prefixes a card's ``float32_layers`` can name (the card's own setting
is overridden here).

Accuracy only: it runs at one thread and its figures do not depend on the machine's load.
"""

from __future__ import annotations

import argparse

import torch
import zoo
from zoo.inference import bf16_errors


def _layer_set(text: str) -> set[int]:
    """'' -> none; '0-4' -> {0..4}; '0,2,5' -> {0, 2, 5}."""
    chosen: set[int] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        chosen.update(range(int(first), int(last or first) + 1))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default="stylegan-lite-emoji64")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--sets", nargs="*", default=["", "0", "0-2", "0-4", "0-5", "7-8", "5-8"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = zoo.load(args.checkpoint, dtype="float32").generator
    total = sum(layer.conv.weight.numel() * layer.noise_const.shape[-1] ** 2 for layer in generator.layers)
    for text in args.sets:
        forced = _layer_set(text)
        for index, layer in enumerate(generator.layers):
            layer.float32 = index in forced  # what a card's float32_layers sets for a prefix
        macs = sum(
            layer.conv.weight.numel() * layer.noise_const.shape[-1] ** 2
            for index, layer in enumerate(generator.layers)
            if index in forced
        )
        worst, mean = bf16_errors(generator, args.samples, 0, 64)
        print(
            f"float32 layers {text or 'none':>6} ({macs / total:4.0%} of conv MACs): "
            f"p999 {float(torch.quantile(worst, 0.999)):.3f}  max {float(worst.max()):.3f}  "
            f"mean {float(mean.mean()):.5f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
