"""What do a StyleGAN-lite checkpoint's per-pixel noise inputs draw? The same latents with three noise images (#32).

    python benchmarks/stylegan_noise_probe.py stylegan-lite-celeba64 -o noise.png

Three 4×4 grids side by side, the same 16 latents (seed 0) in each: the checkpoint's stored noise images
(what ``sample()`` uses, StyleGAN2's 'const' noise mode), no noise at all (its 'none' mode), and other noise
images (seed 1). Detail that moves with the noise image is drawn by the noise inputs, not by the latent.
Also prints each synthesis layer's input and output standard deviation beside its learned noise strength.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import zoo
from zoo.images import make_grid, save_png, to_uint8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default="stylegan-lite-celeba64")
    parser.add_argument("-o", "--output", default="noise.png")
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = zoo.load(args.checkpoint, dtype="float32").generator.eval()
    z = generator.sample_latents(16, torch.Generator().manual_seed(0))
    stored = [layer.noise_const.clone() for layer in generator.layers]
    other = torch.Generator().manual_seed(1)
    grids, spread = [], []
    hooks = [
        layer.register_forward_hook(lambda m, i, o: spread.append((float(i[0].std()), float(o.std()))))
        for layer in generator.layers
    ]
    with torch.no_grad():
        for noise in ("stored", "none", "other"):
            for layer, saved in zip(generator.layers, stored, strict=True):
                if noise == "stored":
                    layer.noise_const.copy_(saved)
                elif noise == "none":
                    layer.noise_const.zero_()
                else:
                    layer.noise_const.copy_(torch.randn(saved.shape, generator=other))
            grids.append(make_grid(to_uint8(generator(z)).numpy(), nrow=4))
        for layer, saved in zip(generator.layers, stored, strict=True):
            layer.noise_const.copy_(saved)
    for hook in hooks:
        hook.remove()
    gap = np.full((grids[0].shape[0], 8, grids[0].shape[2]), 255, np.uint8)
    save_png(args.output, np.concatenate([grids[0], gap, grids[1], gap, grids[2]], axis=1))
    print(f"wrote {args.output}: stored noise | no noise | other noise, 16 latents (seed 0)")
    for index, layer in enumerate(generator.layers):
        size = layer.noise_const.shape[-1]
        std_in, std_out = spread[index]
        strength = float(layer.noise_strength.abs().mean())
        print(f"layer {index} ({size}x{size}): input std {std_in:.3f}, output std {std_out:.3f}, ", end="")
        print(f"noise strength {strength:.4f}")


if __name__ == "__main__":
    main()
