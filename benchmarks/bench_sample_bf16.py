"""Sampling speed in bf16 against fp32 eager: same generator weights, same latents, one process.

For each model named on the command line (a family, built with its default config and seed-0
random weights, or a checkpoint name / run directory / .safetensors file), one batch of
``--batch`` images is generated per mode, modes interleaved round by round so a busy machine
slows them alike; the median time per batch gives images/s. Modes: fp32 eager (the reference),
bf16 autocast over fp32 weights, bf16 weights, each also in channels-last, and bf16 weights with
spectral norm folded into plain weights (SN recomputes W/σ on every call otherwise), with and
without channels-last. The images of each mode are compared with the reference in [-1, 1]:
max and mean absolute difference.

Run: python benchmarks/bench_sample_bf16.py [biggan-lite stylegan-lite] [--batch 64] [--rounds 7] [--threads 1]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import statistics
from collections.abc import Callable

import torch
import zoo
from _machine import interleaved, machine_line
from zoo.registry import get_registry


def _handle(name: str):
    """A family with random weights (seed 0), or any name/path ``zoo.load`` accepts."""
    if name in get_registry().architectures:
        torch.manual_seed(0)
        return zoo.build(name, with_discriminator=False).eval()
    return zoo.load(name)


def _folded(generator: torch.nn.Module, config: dict) -> torch.nn.Module:
    """A rebuilt copy whose spectral-norm parametrisations are replaced by the weights they yield now.

    Rebuilt, not deep-copied: copies share the parametrised class, and removing a
    parametrisation from one would strip the weight property from the others.
    """
    from torch.nn.utils import parametrize

    fresh = type(generator)(**config)
    fresh.load_state_dict(generator.state_dict())
    fresh.eval()
    for sub in list(fresh.modules()):
        if parametrize.is_parametrized(sub, "weight"):
            parametrize.remove_parametrizations(sub, "weight", leave_parametrized=True)
    return fresh


def _modes(generator: torch.nn.Module, config: dict) -> dict[str, tuple[torch.nn.Module, torch.dtype, bool]]:
    """name -> (network, input dtype, autocast?)."""
    bf16 = copy.deepcopy(generator).to(torch.bfloat16)
    return {
        "fp32 eager": (generator, torch.float32, False),
        "bf16 autocast": (generator, torch.float32, True),
        "bf16 autocast, channels-last": (
            copy.deepcopy(generator).to(memory_format=torch.channels_last),
            torch.float32,
            True,
        ),
        "bf16 weights": (bf16, torch.bfloat16, False),
        "bf16 weights, channels-last": (
            copy.deepcopy(bf16).to(memory_format=torch.channels_last),
            torch.bfloat16,
            False,
        ),
        "bf16 weights, SN folded": (_folded(generator, config).to(torch.bfloat16), torch.bfloat16, False),
        "bf16 weights, SN folded, ch-last": (
            _folded(generator, config).to(torch.bfloat16, memory_format=torch.channels_last),
            torch.bfloat16,
            False,
        ),
    }


def _runner(net: torch.nn.Module, dtype: torch.dtype, autocast: bool, z: torch.Tensor, y) -> Callable:
    def run() -> torch.Tensor:
        context = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
        with torch.inference_mode(), context:
            return net(z.to(dtype), y).float()

    return run


def bench(name: str, batch: int, rounds: int) -> None:
    handle = _handle(name)
    generator = handle.generator.float().eval()
    z = generator.sample_latents(batch, torch.Generator().manual_seed(0))
    y = torch.arange(batch) % generator.num_classes if generator.num_classes else None
    runners = {mode: _runner(*spec, z, y) for mode, spec in _modes(generator, handle.config).items()}
    images = {mode: run() for mode, run in runners.items()}
    times = interleaved(runners, rounds)
    reference = images["fp32 eager"]
    base = batch / statistics.median(times["fp32 eager"])
    print(f"\n{name}: batch {batch}, {rounds} rounds, {torch.get_num_threads()} threads, {handle.config}")
    print(f"{'mode':<34} {'images/s':>9} {'× fp32':>7} {'max |Δ|':>8} {'mean |Δ|':>9}")
    for mode in runners:
        rate = batch / statistics.median(times[mode])
        diff = (images[mode] - reference).abs()
        print(f"{mode:<34} {rate:9.1f} {rate / base:7.2f} {diff.max().item():8.4f} {diff.mean().item():9.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["biggan-lite", "stylegan-lite"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(machine_line(args.threads)[0])
    known = get_registry().architectures
    for name in args.models:
        if name not in known and "/" not in name and not name.endswith(".safetensors"):
            if name not in get_registry().checkpoints:
                print(f"\n{name}: skipped, no installed plugin registers it (installed: {', '.join(sorted(known))})")
                continue
        bench(name, args.batch, args.rounds)


if __name__ == "__main__":
    main()
