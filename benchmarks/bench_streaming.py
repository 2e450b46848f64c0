"""Peak memory and images/s of training with data in memory vs streamed by DataLoader workers, 1 and 2 ranks.

Each setting is a real ``zoo train dcgan`` process (``torchrun`` for two ranks) on the same data,
interleaved round by round (memory-1 stream-1 memory-2 stream-2, memory-1 …). Peak RSS is that of the
largest process of the run's tree (a rank; ``wait4`` on the launcher); images/s is the trainer's own
rate over the run (all ranks together), quoted against the float32 and bf16 matmul peaks measured in
the same run at the same thread count.

    python benchmarks/bench_streaming.py [--data images.npz] [--steps 40] [--rounds 2] [--threads 1]

Without --data it writes 50,000 random 32x32 images (150 MB, CIFAR-10's size) to a temporary .npz.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _machine import matmul_peak  # noqa: E402

SETTINGS = {  # name: (data_loading, ranks)
    "in memory, 1 rank": ("memory", 1),
    "streamed, 1 rank": ("stream", 1),
    "in memory, 2 ranks": ("memory", 2),
    "streamed, 2 ranks": ("stream", 2),
}


def _run(data: Path, loading: str, ranks: int, steps: int, threads: int, workdir: Path) -> dict[str, float]:
    """One training process tree; its images/s and the peak RSS of its largest process (a rank)."""
    out = Path(tempfile.mkdtemp(dir=workdir))
    train = ["train", "dcgan", "--data", str(data), "--out", str(out / "run"), "--steps", str(steps), "--quiet"]
    train += ["--set", f"data_loading={loading}", "--set", f"checkpoint_every={steps}", "--set", f"log_every={steps}"]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks)]
    command = [*(launcher if ranks > 1 else [sys.executable]), "-m", "zoo", *train]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1"}
    with open(out / "log.txt", "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        # wait4 gives this child's resource use, including the descendants it reaped (the ranks, the workers)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{(out / 'log.txt').read_text()[-2000:]}")
    progress = [json.loads(line) for line in (out / "run" / "progress.jsonl").read_text().splitlines()]
    return {"img_per_s": progress[-1]["img_per_s"], "peak_rss": usage.ru_maxrss * 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an .npz, folder or shards to train on (default: 50k random)")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per rank")
    args, _ = parser.parse_known_args()  # nox -s bench passes every script the same extra arguments

    torch.set_num_threads(args.threads)
    fp32_peak, bf16_peak = matmul_peak(torch.float32), matmul_peak(torch.bfloat16)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = args.data
        if data is None:
            data = workdir / "random-50k.npz"
            rng = np.random.default_rng(0)
            np.savez(data, images=rng.integers(0, 256, (50_000, 32, 32, 3), dtype=np.uint8))
        results: dict[str, list[dict[str, float]]] = {name: [] for name in SETTINGS}
        for round_number in range(args.rounds):
            for name, (loading, ranks) in SETTINGS.items():
                results[name].append(_run(data, loading, ranks, args.steps, args.threads, workdir))
                print(f"round {round_number + 1}: {name}: {results[name][-1]}", file=sys.stderr, flush=True)

    cpu = " ".join(open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].split())
    print(f"\n{cpu}; {args.threads} thread(s) per rank; dcgan batch 64 per rank, {args.steps} steps; data {data.name}")
    print(f"matmul peak in this run: float32 {fp32_peak / 1e9:.1f} GFLOP/s, bf16 {bf16_peak / 1e9:.1f} GFLOP/s\n")
    print("| setting | img/s, median (range) | vs in memory | peak RSS of a rank |")
    print("|---|---|---|---|")
    for name, runs in results.items():
        rate = [r["img_per_s"] for r in runs]
        reference = statistics.median(r["img_per_s"] for r in results[name.replace("streamed", "in memory")])
        rss = statistics.median(r["peak_rss"] for r in runs) / 2**20
        cells = f"{statistics.median(rate):.0f} ({min(rate):.0f}–{max(rate):.0f})"
        ratio = statistics.median(rate) / reference
        print(f"| {name} | {cells} | {ratio:.2f}× | {rss:,.0f} MiB |")


if __name__ == "__main__":
    main()
