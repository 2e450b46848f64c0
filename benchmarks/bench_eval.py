"""``zoo eval`` end to end: this checkout against an earlier commit, round by round, same machine and data.

    python benchmarks/bench_eval.py --data cifar10_jpeg.npz [--before e36ecd1] [-n 10000] [--rounds 2] [--threads 1]

Both versions run ``python -m zoo eval WEIGHTS --metrics fid,kid,is,pr`` on this checkout's
bundled dcgan-cifar10-32 file as subprocesses (the earlier one from a temporary ``git worktree``
of ``--before``), real statistics cached, alternating A B A B …, at the stated thread count.
Prints median wall seconds per version, their ratio, and the two FIDs (only speed may change).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import machine_line

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["zoo_core/src", *(f"plugins/{p}/src" for p in ("dcgan",))]
# This checkout's bundled weights, evaluated by both versions: the same generator, so only speed may differ.
WEIGHTS = ROOT / "plugins/dcgan/src/zoo_dcgan/weights/dcgan-cifar10-32.safetensors"


def _worktree(commit: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), commit],
                   check=True, capture_output=True)  # fmt: skip
    return where


def _command(tree: Path, args: argparse.Namespace, zoo_home: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "ZOO_HOME": str(zoo_home), "OMP_NUM_THREADS": str(args.threads), "HF_HUB_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(str(tree / s) for s in SOURCES)
    command = [sys.executable, "-m", "zoo", "eval", str(WEIGHTS), "--data", str(args.data),
               "--metrics", "fid,kid,is,pr", "-n", str(args.n), "--extractor", args.extractor,
               "--json", "--no-progress"]  # fmt: skip
    return command, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="CIFAR-10 .npz (e.g. cifar10_jpeg.npz); without it: skipped")
    parser.add_argument("--before", default="e36ecd1")
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--extractor", default="zoo-cifar10-resnet")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.data is None:
        print("bench_eval.py: skipped (pass --data CIFAR10.npz to time zoo eval before and after)")
        return
    args.data = args.data.resolve()
    header, _ = machine_line(args.threads)  # peaks at the thread count each zoo eval process gets
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": _worktree(args.before, Path(tmp) / "before"), "now": ROOT}
        homes = {name: Path(tmp) / f"home-{name}" for name in trees}
        times: dict[str, list[float]] = {name: [] for name in trees}
        fids: dict[str, float] = {}
        try:
            for round_index in range(args.rounds + 1):  # round 0 fills each version's statistics cache
                for name, tree in trees.items():
                    command, env = _command(tree, args, homes[name])
                    start = time.perf_counter()
                    done = subprocess.run(command, env=env, capture_output=True, text=True)
                    seconds = time.perf_counter() - start
                    if done.returncode:
                        sys.exit(f"{name}: {done.stderr.strip()}")
                    fids[name] = json.loads(done.stdout)["results"]["fid"]
                    if round_index:
                        times[name].append(seconds)
                    print(f"round {round_index} {name}: {seconds:.1f} s", file=sys.stderr, flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(trees["before"])],
                           capture_output=True)  # fmt: skip
    before, now = statistics.median(times["before"]), statistics.median(times["now"])
    print(header)
    print(f"zoo eval dcgan-cifar10-32, -n {args.n}, {args.extractor}, fid,kid,is,pr, statistics cached, "
          f"OMP_NUM_THREADS={args.threads}, {args.rounds} interleaved rounds")  # fmt: skip
    print("| version | seconds, median (min–max) | FID |")
    print("|---|---|---|")
    for name, ts in times.items():
        label = args.before if name == "before" else "this checkout"
        cell = f"{statistics.median(ts):.1f} ({min(ts):.1f}–{max(ts):.1f})"
        print(f"| {name} ({label}) | {cell} | {fids[name]:.4f} |")
    print(f"now / before: {now / before:.2f}")


if __name__ == "__main__":
    main()
