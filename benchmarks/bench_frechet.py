"""Fréchet distance on 2048-d statistics: the zoo's symmetric-eigenvalue path vs pytorch-fid's sqrtm path.

    python benchmarks/bench_frechet.py [--dim 2048] [--repeats 5]

Statistics are those of two synthetic feature sets (10k samples each) whose covariance spectra
decay like Inception pool features'; one run prints both timings, their ratio and how far apart
the two FIDs are (and torch-fidelity's eigvals path, for reference).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch


def _feature_statistics(dim: int, n: int, seed: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of n non-negative features with a power-law spectrum, as Inception's are."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(dim, dim)))
    scales = (np.arange(1, dim + 1) ** -0.75)[None, :]
    latent = rng.normal(size=(n, dim)) * scales * (1 + shift * rng.uniform(size=dim))
    features = np.maximum(latent @ basis.T + 0.3 + shift, 0)
    return features.mean(0), np.cov(features, rowvar=False)


def _time(fn, repeats: int) -> tuple[float, float]:
    """(median seconds, value) of ``repeats`` calls."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reference-repeats", type=int, default=1)
    args = parser.parse_args()

    import warnings

    from pytorch_fid.fid_score import calculate_frechet_distance
    from torch_fidelity.metric_fid import fid_statistics_to_metric
    from zoo.metrics.frechet import frechet_distance

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    mu1, s1 = _feature_statistics(args.dim, args.samples, 1, 0.0)
    mu2, s2 = _feature_statistics(args.dim, args.samples, 2, 0.05)
    print(f"d={args.dim}, statistics of {args.samples} samples per side, torch threads={torch.get_num_threads()}")

    ours_t, ours = _time(lambda: frechet_distance(mu1, s1, mu2, s2), args.repeats)
    ref_t, ref = _time(lambda: calculate_frechet_distance(mu1, s1, mu2, s2), args.reference_repeats)
    tf_t, tf = _time(
        lambda: fid_statistics_to_metric({"mu": mu1, "sigma": s1}, {"mu": mu2, "sigma": s2}, False)[
            "frechet_inception_distance"
        ],
        args.reference_repeats,
    )
    self_fid = frechet_distance(mu1, s1, mu1, s1)
    print(f"pytorch-fid (scipy sqrtm)           : {ref_t:8.3f} s  FID {ref:.6f}")
    print(f"torch-fidelity (eigvals of S1 S2)   : {tf_t:8.3f} s  FID {tf:.6f}")
    print(f"zoo (Cholesky + eigvalsh, float64)  : {ours_t:8.3f} s  FID {ours:.6f}")
    print(f"speed-up over pytorch-fid: {ref_t / ours_t:.1f}x; |zoo - pytorch-fid| / FID = {abs(ours - ref) / ref:.2e}; "
          f"|zoo - torch-fidelity| / FID = {abs(ours - tf) / tf:.2e}; zoo FID(S1, S1) = {self_fid:.2e}")  # fmt: skip


if __name__ == "__main__":
    main()
