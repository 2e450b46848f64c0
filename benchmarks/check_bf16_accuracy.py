"""How far the bf16 path moves each bundled checkpoint's images from float32; with --write-cards, record it.

    python benchmarks/check_bf16_accuracy.py [--samples 1024] [--write-cards] [NAME ...]

Per image, the largest |Δ| of any pixel on [-1, 1] between plain float32 and the bf16 fast path
(``zoo.inference.measure_bf16_accuracy``: same latents, seed 0; image-to-image networks on synthetic
photo-like inputs). ``--write-cards`` puts the record into each card's front matter (``bf16_accuracy``),
which is what ``zoo.inference`` reads: bf16 is a checkpoint's default path on native-bf16 hardware only
when 99.9 % of its images stay within 0.1. Run it on a CPU with native bf16 (AMX or AVX512-BF16): it
works elsewhere through slow emulation.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import torch
import yaml
import zoo
from zoo.bf16_accuracy import BF16_TOLERANCE, SAMPLES
from zoo.files import write_atomically
from zoo.inference import measure_bf16_accuracy
from zoo.registry import get_registry
from zoo.specs import bundled_path

CARDS = Path(__file__).resolve().parent.parent / "cards"


def write_record(card: Path, record: dict) -> None:
    """Replace (or add, after ``size:``) the card's ``bf16_accuracy`` block, keeping the rest of the text."""
    text = card.read_text(encoding="utf-8")
    block = yaml.safe_dump({"bf16_accuracy": record}, sort_keys=False, allow_unicode=True, width=10_000)
    block = "".join(f"  {line}\n" for line in block.splitlines())
    existing = re.compile(r"^  bf16_accuracy:\n(?:    .*\n)+", re.M)
    if existing.search(text):
        text = existing.sub(lambda _: block, text, count=1)
    else:
        text, found = re.subn(r"^(  size: .*\n)", lambda m: m.group(1) + block, text, count=1, flags=re.M)
        if not found:
            raise SystemExit(f"{card}: no 'size:' line in the zoo block to put bf16_accuracy after")
    write_atomically(card, lambda path: path.write_text(text, encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="checkpoints (default: every bundled one)")
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--write-cards", action="store_true", help="record the figures in each checkpoint's card")
    args = parser.parse_args()
    registry = get_registry()
    names = args.names or sorted(name for name, spec in registry.checkpoints.items() if bundled_path(spec))
    threads = torch.get_num_threads()
    print(f"{args.samples} images per model, seed 0, torch threads {threads}, tolerance {BF16_TOLERANCE}")
    print("| model | p99.9 of per-image max abs diff | worst | mean | bf16 default | seconds |")
    print("|---|---|---|---|---|---|")
    for name in names:
        generator = zoo.load(name, dtype="float32").generator
        start = time.perf_counter()
        record = measure_bf16_accuracy(generator, samples=args.samples)
        seconds = time.perf_counter() - start
        verdict = "yes" if record.within_tolerance else "no"
        print(f"| {name} | {record.p999:.3f} | {record.max:.3f} | {record.mean:.4f} | {verdict} | {seconds:.0f} |")
        if args.write_cards:  # the card the registry read (a plugin's link resolves to this repository's cards/)
            write_record(Path(registry.checkpoints[name].card or CARDS / f"{name}.md").resolve(), record.to_mapping())


if __name__ == "__main__":
    main()
