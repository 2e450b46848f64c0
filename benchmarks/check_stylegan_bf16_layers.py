"""Where StyleGAN-lite's bf16 error comes from: per-image max |Δ| with the first K synthesis layers kept in float32.

    python benchmarks/check_stylegan_bf16_layers.py [--samples 256] [NAME ...]

Measured on an Intel Xeon with AMX (2 threads, 256 images): stylegan-lite-emoji64's p99.9 falls from 0.264
(no layer in float32) to 0.075 only with 7 of its 9 layers in float32, i.e. the error builds up over every
layer and keeping emoji64 within 0.1 would leave little of the network in bf16 (issue #32).
"""

from __future__ import annotations

import argparse

import torch
import zoo
from zoo.inference import bf16_errors
from zoo_stylegan_lite import layers

LAYER_COUNTS = (0, 1, 3, 5, 7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["stylegan-lite-emoji64", "stylegan-lite-celeba64"])
    parser.add_argument("--samples", type=int, default=256)
    args = parser.parse_args()
    plain = layers.SynthesisLayer.forward
    print("| checkpoint | layers in float32 | p99.9 | worst | mean |")
    print("|---|---|---|---|---|")
    for name in args.names:
        generator = zoo.load(name, dtype="float32").generator
        for index, layer in enumerate(generator.layers):
            layer.position = index
        for count in LAYER_COUNTS:

            def forward(self, x, w, _count=count):  # type: ignore[no-untyped-def]
                if self.position < _count:
                    with layers.float32_only(x):
                        return plain(self, x.float(), w)
                return plain(self, x, w)

            layers.SynthesisLayer.forward = forward
            try:
                worst, mean = bf16_errors(generator, samples=args.samples)
            finally:
                layers.SynthesisLayer.forward = plain
            p999 = torch.quantile(worst, 0.999)
            print(f"| {name} | first {count} | {p999:.3f} | {worst.max():.3f} | {mean.mean():.4f} |")


if __name__ == "__main__":
    main()
