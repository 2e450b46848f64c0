"""KID: the zoo's kernel (float32 dot products, float64 after) vs all-float64 and torch-fidelity's.

    python benchmarks/bench_kid.py [--dim 2048] [--samples 10000] [--subsets 20] [--rounds 3] [--threads 1]

Features are synthetic and shaped like Inception pool features (non-negative, power-law spectrum).
The three settings run round by round (A B C A B C …) at the stated thread count; the table gives
median seconds (min–max), the ratio to torch-fidelity, and each KID's relative difference from the
all-float64 value (the accuracy bound). The float32 matmul peak of the same run is printed too.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch
from _machine import interleaved, matmul_peak, spread


def _features(n: int, dim: int, seed: int, shift: float) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(dim, dim)))
    latent = rng.normal(size=(n, dim)) * (np.arange(1, dim + 1) ** -0.75)[None, :] * (1 + shift)
    return torch.from_numpy(np.maximum(latent @ basis.T + 0.3 + shift, 0)).float()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--subsets", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from torch_fidelity.metric_kid import kid_features_to_metric
    from zoo.metrics.kid import kernel_distance

    fake, real = _features(args.samples, args.dim, 1, 0.02), _features(args.samples, args.dim, 2, 0.0)
    values: dict[str, float] = {}

    def ours() -> None:
        values["zoo"] = kernel_distance(fake, real, args.subsets, 1000, seed=2020)[0]

    def float64() -> None:
        values["float64"] = kernel_distance(fake.double(), real.double(), args.subsets, 1000, seed=2020)[0]

    def fidelity() -> None:
        out = kid_features_to_metric(fake, real, kid_subsets=args.subsets, kid_subset_size=1000, rng_seed=2020,
                                     verbose=False, kid_degree=3, kid_gamma=None, kid_coef0=1)  # fmt: skip
        values["torch-fidelity"] = out["kernel_inception_distance_mean"]

    peak = matmul_peak(torch.float32)
    print(f"d={args.dim}, {args.samples} samples per side, {args.subsets} subsets of 1000, "
          f"torch threads={torch.get_num_threads()}, float32 matmul peak {peak / 1e9:.1f} GFLOP/s")  # fmt: skip
    times = interleaved({"zoo": ours, "float64": float64, "torch-fidelity": fidelity}, args.rounds)
    reference = statistics.median(times["torch-fidelity"])
    print("| setting | seconds, median (min–max) | × torch-fidelity's time | KID | rel. diff. from float64 |")
    print("|---|---|---|---|---|")
    for name, ts in times.items():
        rel = abs(values[name] - values["float64"]) / abs(values["float64"])
        print(f"| {name} | {spread(ts)} | {statistics.median(ts) / reference:.2f} | {values[name]:.8g} | {rel:.1e} |")


if __name__ == "__main__":
    main()
