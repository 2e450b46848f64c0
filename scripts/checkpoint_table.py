"""The README's checkpoint table: every trained checkpoint's FID next to its step and its recipe's end (#32).

    python scripts/checkpoint_table.py            # print the table
    python scripts/checkpoint_table.py --write    # replace the table in README.md

Read from the registered cards (``metrics``, ``step``, ``train_command``) and the families' recipes, so the
table cannot drift from the cards: tests/test_checkpoint_table.py fails when README.md differs from it.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- checkpoint-table: scripts/checkpoint_table.py --write -->", "<!-- /checkpoint-table -->"


def _first_command(train_command: str) -> list[str]:
    """The first leg's arguments (later legs follow '; from step N:')."""
    return shlex.split(train_command.split("; from step", 1)[0])


def _option(arguments: list[str], name: str) -> str | None:
    return arguments[arguments.index(name) + 1] if name in arguments[:-1] else None


def _recipe_steps(family: str, recipe: str) -> int:
    from zoo.registry import get_registry
    from zoo.training.settings import resolve_settings

    return resolve_settings(get_registry().architecture(family), recipe, {}).steps


def _fids(metrics: dict) -> str:
    keys = [k for k in ("fid", "fid_a2b", "fid_b2a") if k in metrics]
    if not keys:
        return "—"
    return ", ".join(f"{metrics[k]:,.4g}" + (f" ({k[4:]})" if k != "fid" else "") for k in keys)


def _features(metrics: dict) -> str:
    protocol = str(metrics.get("protocol", ""))
    return protocol.split(" features", 1)[0] if " features" in protocol else "—"


def rows() -> list[list[str]]:
    """One row per trained checkpoint (ported weights have no training to show), in name order."""
    from zoo.registry import get_registry

    table = []
    for name, spec in sorted(get_registry().checkpoints.items()):
        if not spec.train_command or spec.unpublished:
            continue
        arguments = _first_command(spec.train_command)
        recipe = _option(arguments, "--recipe") or "default"
        recipe_end = _recipe_steps(spec.family, recipe)
        schedule = _option(arguments, "--steps")
        end = f"{recipe_end:,} (`{recipe}`)"
        if schedule and int(schedule) != recipe_end:
            end += f"; its run's schedule: {int(schedule):,}"
        step = spec.step
        done = "—" if step is None else ("the recipe's end" if step >= recipe_end else f"{step / recipe_end:.0%}")
        metrics = dict(spec.metrics)
        table.append([f"`{name}`", _fids(metrics), _features(metrics), "—" if step is None else f"{step:,}", end, done])
    return table


def markdown() -> str:
    header = ["checkpoint", "FID", "features", "step", "recipe's end (recipe)", "how far"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows()]
    return "\n".join(lines)


def replaced(text: str) -> str:
    """README text with the table between the markers replaced by the current one."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{markdown()}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args()
    if not args.write:
        print(markdown())
        return 0
    from zoo.files import write_atomically

    text = README.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"error: README.md has no {BEGIN} … {END} markers", file=sys.stderr)
        return 1
    new = replaced(text)
    write_atomically(README, lambda tmp: tmp.write_text(new, encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
