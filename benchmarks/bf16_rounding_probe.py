"""Where does bf16 rounding move a StyleGAN-lite checkpoint's images? One rounding place at a time (#32).

    python benchmarks/bf16_rounding_probe.py stylegan-lite-emoji64 --samples 256

The generator runs in float32 throughout, re-implemented here from the textbook formulas, and values are
rounded to bf16 (and back) at the chosen places only: the styles, the style-scaled conv input, the
upsampled input, the conv weights, the conv output, the demodulated output, or the elementwise
epilogue (noise, bias, lrelu). Each line is the per-image max |Δ| on [-1, 1] against plain float32
(99th percentile, worst image, mean of the per-image max), read against ``zoo.bf16_accuracy.BF16_TOLERANCE``.
Accuracy only: one thread, figures independent of the machine's load.
"""

from __future__ import annotations

import argparse
import math

import torch
import torch.nn.functional as F
import zoo
from zoo_stylegan_lite import layers
from zoo_stylegan_lite.subpixel import upsample2x

PLACES = ("style", "scaled", "up", "weights", "out", "demod", "epilogue")


def _round(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.bfloat16).float()


def _patch(rounded: set[str]) -> None:
    """Replace the synthesis layers' forward with a float32 one that rounds at ``rounded``."""

    def maybe(place: str, x: torch.Tensor) -> torch.Tensor:
        return _round(x) if place in rounded else x

    def synthesis_forward(
        self: layers.SynthesisLayer, x: torch.Tensor, w: torch.Tensor, consume_input: bool = False
    ) -> torch.Tensor:
        conv = self.conv
        styles = maybe("style", conv.affine(w))
        weight = conv.weight * conv.weight_gain
        x = maybe("scaled", x * styles[:, :, None, None])
        if conv.up:
            x = maybe("up", upsample2x(x))
        out = maybe("out", F.conv2d(x, maybe("weights", weight), padding=1))
        out = maybe("demod", out * layers.demodulation(weight, styles)[:, :, None, None])
        noise = self.noise_const * self.noise_strength
        if "epilogue" in rounded:
            y = _round(_round(out + _round(noise)) + _round(self.bias))
            return _round(F.leaky_relu(y, 0.2) * math.sqrt(2.0))
        return F.leaky_relu(out + noise + self.bias, 0.2) * math.sqrt(2.0)

    layers.SynthesisLayer.forward = synthesis_forward  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default="stylegan-lite-emoji64")
    parser.add_argument("--samples", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = zoo.load(args.checkpoint, dtype="float32").generator.eval()
    z = generator.sample_latents(args.samples, torch.Generator().manual_seed(0))
    rounded: set[str] = set()
    _patch(rounded)

    def images() -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([generator(z[i : i + 64]) for i in range(0, args.samples, 64)])

    reference = images()
    for places in [(), *((place,) for place in PLACES), PLACES]:
        rounded.clear()
        rounded.update(places)
        worst = (images() - reference).abs().flatten(1).amax(dim=1)
        print(
            f"bf16 rounding at {'+'.join(places) or 'nothing':>48}: p99 {float(worst.quantile(0.99)):.3f}  "
            f"max {float(worst.max()):.3f}  mean {float(worst.mean()):.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
