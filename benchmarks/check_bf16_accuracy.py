"""How far bf16 autocast moves each bundled generator's images from float32: max and mean |Δ| on [-1, 1].

    python benchmarks/check_bf16_accuracy.py [--n 16]

The same latents (seed 0) through the plain float32 generator and under bf16 autocast; on a CPU
without native bf16 the bf16 kernels are emulated (slow, same rounding). ``zoo.inference`` takes
bf16 only for models within 0.1 on its own probe batch; this prints the figures behind that rule.
"""

from __future__ import annotations

import argparse

import torch
import zoo
from zoo.api import bundled_path
from zoo.registry import get_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16)
    args = parser.parse_args()
    registry = get_registry()
    names = sorted(
        name
        for name, spec in registry.checkpoints.items()
        if bundled_path(spec) is not None and registry.architecture(spec.family).task != "image-to-image"
    )
    print(f"{args.n} images per model, seed 0, torch threads {torch.get_num_threads()}")
    print("| model | max |Δ| | mean |Δ| |")
    print("|---|---|---|")
    for name in names:
        generator = zoo.load(name, dtype="float32").generator.eval()
        z = generator.sample_latents(args.n, torch.Generator().manual_seed(0))
        y = torch.arange(args.n) % generator.num_classes if generator.num_classes else None
        with torch.no_grad():
            reference = generator(z, y).float()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                fast = generator(z, y).float()
        difference = (fast - reference).abs()
        print(f"| {name} | {difference.max().item():.3f} | {difference.mean().item():.4f} |")


if __name__ == "__main__":
    main()
