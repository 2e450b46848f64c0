"""The training step with and without ``zoo.hardware.keep_freed_memory``, each setting in a process of its own.

    python benchmarks/bench_freed_memory.py [--families stylegan-lite,sagan] [--rounds 2] [--threads 1]

glibc's malloc settings are per process and its heap remembers what a process did before, so the two
settings cannot share one process (``bench_train.py``'s interleaving would let the first setting warm
the heap for the others). Each round starts one fresh process per setting, alternated (off, on, off, on …);
a process builds ``zoo train``'s defaults for the family (as ``bench_train.py`` does), runs one warm-up
call and times three, each call one lazy-regulariser period of steps. Quoted: steps/s (median over the
rounds of each process's median), the ratio on ÷ off, and the processes' peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

SETTINGS = ("off", "on")
FAMILIES = ("dcgan", "wgan-gp", "sagan", "biggan-lite", "stylegan-lite")


def child(family: str, setting: str, threads: int) -> None:
    """In this fresh process: the trainer's default step of ``family``; print steps/s and peak RSS as JSON."""
    from zoo.hardware import keep_freed_memory

    kept = keep_freed_memory() if setting == "on" else False
    import torch
    from _machine import interleaved
    from bench_train import _recipe, regulariser_period, repeated, trainer_step

    torch.set_num_threads(threads)
    period = regulariser_period(_recipe(family))
    times = interleaved({family: repeated(trainer_step(family)[1], period)}, rounds=3)[family]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"steps_per_s": period / statistics.median(times), "peak_rss_mb": peak_mb, "kept": kept}))


def measure(family: str, setting: str, threads: int) -> dict[str, float]:
    """One fresh process's figures for ``family`` under ``setting``."""
    from zoo.hardware import GLIBC_MALLOC_ENV

    env = {name: value for name, value in os.environ.items() if name not in GLIBC_MALLOC_ENV}  # glibc's defaults
    env["OMP_NUM_THREADS"] = str(threads)
    command = [sys.executable, __file__, "--child", family, setting, "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("FAMILY", "SETTING"), help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()  # nox -s bench passes its arguments to every script
    if args.child:
        child(*args.child, args.threads)
        return
    from _machine import machine_line

    print(machine_line(args.threads)[0] + "; each setting in fresh processes, alternated")
    print("\n| family | steps/s, off | steps/s, on | on ÷ off | peak RSS MB, off / on |")
    print("|---|---|---|---|---|")
    for family in args.families.split(","):
        runs: dict[str, list[dict[str, float]]] = {setting: [] for setting in SETTINGS}
        for _ in range(args.rounds):
            for setting in SETTINGS:
                runs[setting].append(measure(family, setting, args.threads))
        if not all(run["kept"] for run in runs["on"]):
            print(f"| {family} | keep_freed_memory does not apply here (not Linux with glibc) | | | |")
            continue
        rate = {s: statistics.median(r["steps_per_s"] for r in runs[s]) for s in SETTINGS}
        rates = {s: ", ".join(f"{r['steps_per_s']:.3f}" for r in runs[s]) for s in SETTINGS}
        rss = " / ".join(f"{max(r['peak_rss_mb'] for r in runs[s]):.0f}" for s in SETTINGS)
        print(f"| {family} | {rates['off']} | {rates['on']} | {rate['on'] / rate['off']:.2f}× | {rss} |")


if __name__ == "__main__":
    main()
