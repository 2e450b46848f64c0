"""Fréchet distance on 2048-d statistics: the zoo's symmetric-eigenvalue path vs pytorch-fid's sqrtm path.

    python benchmarks/bench_frechet.py [--dim 2048] [--rounds 3] [--threads 1]

Statistics are those of two synthetic feature sets (10k samples each) whose covariance spectra
decay like Inception pool features'. The three implementations run round by round (A B C A B C …)
at a fixed thread count, beside the matmul peaks of the same run; the table gives their median
times, the speed-up over pytorch-fid and how far apart the FIDs are.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from _machine import interleaved, machine_line, spread


def _feature_statistics(dim: int, n: int, seed: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of n non-negative features with a power-law spectrum, as Inception's are."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(dim, dim)))
    scales = (np.arange(1, dim + 1) ** -0.75)[None, :]
    latent = rng.normal(size=(n, dim)) * scales * (1 + shift * rng.uniform(size=dim))
    features = np.maximum(latent @ basis.T + 0.3 + shift, 0)
    return features.mean(0), np.cov(features, rowvar=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args, _ = parser.parse_known_args()  # nox -s bench passes its arguments to every script

    import warnings

    from pytorch_fid.fid_score import calculate_frechet_distance
    from torch_fidelity.metric_fid import fid_statistics_to_metric
    from zoo.metrics.frechet import frechet_distance

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    header, _ = machine_line(args.threads)
    mu1, s1 = _feature_statistics(args.dim, args.samples, 1, 0.0)
    mu2, s2 = _feature_statistics(args.dim, args.samples, 2, 0.05)
    runs = {
        "pytorch-fid (scipy sqrtm)": lambda: calculate_frechet_distance(mu1, s1, mu2, s2),
        "torch-fidelity (eigvals of S1 S2)": lambda: fid_statistics_to_metric(
            {"mu": mu1, "sigma": s1}, {"mu": mu2, "sigma": s2}, False
        )["frechet_inception_distance"],
        "zoo (Cholesky + eigvalsh, float64)": lambda: frechet_distance(mu1, s1, mu2, s2),
    }
    values = {name: float(run()) for name, run in runs.items()}
    times = interleaved(runs, args.rounds)
    reference = statistics.median(times["pytorch-fid (scipy sqrtm)"])
    print(f"{header}\nd={args.dim}, statistics of {args.samples} samples per side, {args.rounds} interleaved rounds\n")
    print("| implementation | seconds, median (min–max) | × pytorch-fid's speed | FID | relative to pytorch-fid |")
    print("|---|---|---|---|---|")
    for name, ts in times.items():
        gap = abs(values[name] - values["pytorch-fid (scipy sqrtm)"]) / values["pytorch-fid (scipy sqrtm)"]
        print(f"| {name} | {spread(ts)} | {reference / statistics.median(ts):.1f} | {values[name]:.6f} | {gap:.1e} |")
    print(f"\nzoo FID(S1, S1) = {frechet_distance(mu1, s1, mu1, s1):.2e}")


if __name__ == "__main__":
    main()
