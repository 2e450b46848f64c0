"""A card's "Quality against training time" section and plot, written from a run directory (#32 item 4).

    python scripts/card_quality.py cards/NAME.md RUN_DIR [--note "why this run, what it measured"]

The table and the plot come from the run's own progress.jsonl (``--set eval_every=N``) through the code
``zoo push`` writes a new card's section with, so a card edited by hand after publishing cannot drift from
the run it cites. The section replaces the card's old one (or goes before ``## Limitations``); the plot
goes beside the card as NAME-quality.png (and a link to it beside each plugin's link to the card). Both
are written atomically, and nothing is written on an error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HEADING = "## Quality against training time"
PLUGINS = Path(__file__).resolve().parent.parent / "plugins"


def replace_section(card_text: str, section: str) -> str:
    """The card with its quality section replaced by ``section`` (inserted before Limitations, or appended)."""
    start = card_text.find(HEADING)
    if start < 0:
        anchor = card_text.find("\n## Limitations")
        if anchor < 0:
            return card_text.rstrip("\n") + "\n\n" + section + "\n"
        return card_text[: anchor + 1] + section + "\n\n" + card_text[anchor + 1 :]
    end = card_text.find("\n## ", start + len(HEADING))
    rest = "" if end < 0 else "\n\n" + card_text[end + 1 :]
    return card_text[:start] + section + (rest or "\n")


def card_section(rows: list[dict], image: str, note: str = "") -> str:
    """The markdown section for a run's evaluation ``rows``, with ``note`` after its first line."""
    from zoo.hub.publish import quality_section

    lines = quality_section(rows, image).split("\n")
    if note:
        lines[2] += " " + note.strip()
    return "\n".join(lines)


def link_beside_plugin_cards(card: Path, image: Path, plugins: Path = PLUGINS) -> list[Path]:
    """Link ``image`` beside every plugin's link to ``card`` (bundled cards ship their images beside them)."""
    made = []
    for link in plugins.glob("*/src/*/cards/*.md"):
        target = link.parent / image.name
        if link.resolve() == card.resolve() and not target.exists():
            target.symlink_to(os.path.relpath(image.resolve(), link.parent))
            made.append(target)
    return made


def main(argv: list[str] | None = None) -> int:
    """Write the section into the card and the plot beside it; one line and exit 2 on bad input."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("card", type=Path, help="the card to update, cards/NAME.md")
    parser.add_argument("run", type=Path, help="the run directory whose progress.jsonl holds the evaluations")
    parser.add_argument(
        "--note", default="", help="text after the section's first sentence (which run, which protocol)"
    )
    args = parser.parse_args(argv)

    from zoo.errors import ZooError
    from zoo.files import write_atomically
    from zoo.hub.publish import run_batch_size
    from zoo.training.plots import plot_quality
    from zoo.training.timeline import evaluations, read_progress

    try:
        if not args.card.is_file() or args.card.suffix != ".md":
            raise ZooError(f"{args.card} is not a card file: give cards/NAME.md")
        if not args.run.is_dir():
            raise ZooError(f"{args.run} is not a run directory: give the --out folder of zoo train")
        records, batch = read_progress(args.run), run_batch_size(args.run)
        rows = evaluations(records, batch)
        if len(rows) < 2:
            raise ZooError(
                f"{args.run} holds {len(rows)} evaluation(s): a curve needs two (train with --set eval_every=N)"
            )
        image = args.card.with_name(args.card.stem + "-quality.png")
        card_text = replace_section(args.card.read_text(encoding="utf-8"), card_section(rows, image.name, args.note))
        plot_quality(image, records, images_per_step=batch)
        write_atomically(args.card, lambda tmp: tmp.write_text(card_text, encoding="utf-8"))
        links = link_beside_plugin_cards(args.card, image)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.card}: {len(rows)} evaluations, steps {rows[0]['step']:,}–{rows[-1]['step']:,}; plot {image}")
    for link in links:
        print(f"linked {link} (add it to git)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
