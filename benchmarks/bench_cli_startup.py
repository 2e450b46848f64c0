"""Start-up time of the listing commands, against Python itself and a bare ``import torch``.

``zoo list``, ``zoo info`` and ``zoo plugins`` must not import torch; this shows what that buys.
Run: python benchmarks/bench_cli_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "python -c 'import torch' (reference)": [sys.executable, "-c", "import torch"],
    "zoo --help": [sys.executable, "-m", "zoo", "--help"],
    "zoo list": [sys.executable, "-m", "zoo", "list"],
    "zoo info dcgan": [sys.executable, "-m", "zoo", "info", "dcgan"],
    "zoo plugins": [sys.executable, "-m", "zoo", "plugins"],
}


def _time(command: list[str], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` runs after one warm-up run."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    subprocess.run(command, capture_output=True, env=env, check=False)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, env=env, check=False)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {name: _time(cmd, args.repeat) for name, cmd in COMMANDS.items()}
    results["zoo sample dcgan -n 1 (imports torch)"] = _time(
        [sys.executable, "-m", "zoo", "sample", "dcgan", "-n", "1", "-o", "/tmp/zoo-bench-sample.png"], args.repeat
    )
    torch_time = statistics.median(results["python -c 'import torch' (reference)"])
    print(f"CLI start-up, median of {args.repeat} runs (seconds)")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"  {name:<40} {median:6.3f}   {median / torch_time:5.2f}x import torch")


if __name__ == "__main__":
    main()
