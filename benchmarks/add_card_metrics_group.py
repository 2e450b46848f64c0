"""Add a second extractor's scores to a card: ``zoo.metrics.<extractor>`` plus a table in its Evaluation section.

The CIFAR-10 checkpoints are scored with the zoo's CIFAR ResNet and, for comparison with every other
dataset, the bundled ImageNet SqueezeNet. Usage (the JSON is what ``zoo eval -o`` wrote):

    python benchmarks/add_card_metrics_group.py cards/dcgan-cifar10-32.md sq_dcgan.json "zoo eval ... -o sq_dcgan.json"

A fourth argument names the group (default: the extractor's name), e.g. ``ppl`` for path lengths.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from zoo.files import write_atomically
from zoo.metrics.summary import protocol_line

ROWS = (("fid", "FID"), ("kid", "KID"), ("is", "IS"))


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def pinned_precision(command: str, protocol: dict) -> str:
    """``command`` with the precision it measured in: ``--precision auto`` picks bfloat16 or float32 by CPU,
    so a card's command without it gives other numbers on another machine."""
    if "--precision" in command.split() or not protocol.get("precision"):
        return command
    return f"{command} --precision {protocol['precision']}"


def main(card: Path, results: Path, command: str, group_name: str = "") -> None:
    evaluation = json.loads(results.read_text())["evaluations"][-1]
    protocol, values = evaluation["protocol"], evaluation["results"]
    command = pinned_precision(command, protocol)
    extractor = group_name or protocol["extractor"]
    text = card.read_text()
    head, fence, body = text.partition("\n---\n")
    if f"    {extractor}:" in head:
        raise SystemExit(f"{card} already holds {extractor} metrics")
    lines = head.splitlines()
    end = next(
        i for i, line in enumerate(lines) if line.strip().startswith("train_command:") or line.startswith("  source:")
    )
    described = protocol_line(protocol).removesuffix("; zoo eval") + "; " + command
    group = [f"    {extractor}:", f"      protocol: {json.dumps(described, ensure_ascii=False)}"]
    group += [f"      {key}: {_round(value)}" for key, value in values.items()]
    lines[end:end] = group
    if group_name:  # a named group (e.g. ppl) gets its own prose in the card, written by hand
        write_atomically(card, lambda tmp: tmp.write_text("\n".join(lines) + "\n" + fence.lstrip("\n") + body))
        return
    table = [
        "",
        f"The same samples under the bundled ImageNet extractor (`{extractor}`), the protocol every zoo card",
        "shares whatever its data (also not Inception FID):",
        "",
        f"| metric ({extractor} features) | value |",
        "|---|---|",
    ]
    for key, label in ROWS:
        if key in values:
            std = values.get(f"{key}_std")
            table.append(f"| {label} | {_round(values[key])}" + (f" ± {std:.2g} |" if std is not None else " |"))
    if "precision" in values:
        table.append(f"| precision / recall (k = 3) | {values['precision']:.3f} / {values['recall']:.3f} |")
    table += ["", f"Command: `{command}`."]
    marker = "\n## Limitations"
    body = (
        body.replace(marker, "\n".join(table) + "\n" + marker, 1) if marker in body else body + "\n".join(table) + "\n"
    )
    write_atomically(card, lambda tmp: tmp.write_text("\n".join(lines) + "\n" + fence.lstrip("\n") + body))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
