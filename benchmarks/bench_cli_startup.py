"""Start-up time of the listing commands, against Python itself and a bare ``import torch``.

``zoo list``, ``zoo info`` and ``zoo plugins`` must not import torch; this shows what that buys.
Run: python benchmarks/bench_cli_startup.py [--rounds N] [--threads 1] (commands interleaved round by round)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Callable

from _machine import interleaved, machine_line, spread

COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "python -c 'import torch' (reference)": [sys.executable, "-c", "import torch"],
    "zoo --help": [sys.executable, "-m", "zoo", "--help"],
    "zoo list": [sys.executable, "-m", "zoo", "list"],
    "zoo info dcgan": [sys.executable, "-m", "zoo", "info", "dcgan"],
    "zoo plugins": [sys.executable, "-m", "zoo", "plugins"],
}


def _runner(command: list[str]) -> Callable[[], object]:
    """One run of ``command`` with the Hub offline, its output discarded."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return lambda: subprocess.run(command, capture_output=True, env=env, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args, _ = parser.parse_known_args()  # nox -s bench passes its arguments to every script
    header, _ = machine_line(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    commands = {
        **COMMANDS,
        "zoo sample dcgan -n 1 (imports torch)": [
            sys.executable, "-m", "zoo", "sample", "dcgan", "-n", "1", "-o", "/tmp/zoo-bench-sample.png"
        ],
    }  # fmt: skip
    times = interleaved({name: _runner(command) for name, command in commands.items()}, args.rounds)
    torch_time = statistics.median(times["python -c 'import torch' (reference)"])
    print(f"{header}\nCLI start-up, {args.rounds} interleaved rounds\n")
    print("| command | seconds, median (min–max) | × import torch |")
    print("|---|---|---|")
    for name, samples in times.items():
        print(f"| {name} | {spread(samples)} | {statistics.median(samples) / torch_time:.2f} |")


if __name__ == "__main__":
    main()
