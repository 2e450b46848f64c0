"""scripts/card_quality.py: a card's quality section and plot come from the run's own evaluations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from script_modules import load_script

card_quality = load_script("scripts/card_quality.py")

CARD = """---
zoo:
  name: toy
---
# toy

## Quality against training time

No FID curve yet.

## Limitations

Early.
"""


def _run(tmp_path: Path, evaluations: list[tuple[int, float, float]]) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    records = []
    for step, hours, fid in evaluations:
        records.append({"step": step, "d_loss": 1.0, "g_loss": 1.0, "img_per_s": 100.0, "hours": hours})
        records.append({"step": step, "eval": {"fid": fid}, "eval_seconds": 3.0, "hours": hours})
    (run / "progress.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (run / "train_config.json").write_text(json.dumps({"settings": {"batch_size": 64}}))
    return run


def test_section_and_plot_come_from_the_run(tmp_path, capsys):
    card = tmp_path / "toy.md"
    card.write_text(CARD)
    run = _run(tmp_path, [(1500, 0.26, 20.646), (3000, 0.77, 8.026), (4500, 1.37, 6.579)])
    assert card_quality.main([str(card), str(run), "--note", "A re-run of the recipe."]) == 0
    text = card.read_text()
    assert "No FID curve yet." not in text
    assert "| 1,500 | 0.26 | 20.65 |" in text and "| 4,500 | 1.37 | 6.579 |" in text
    assert "every leg added. A re-run of the recipe." in text
    assert "![fid against step and wall-clock hours](toy-quality.png)" in text
    assert text.startswith(CARD.split("## Quality")[0]) and text.endswith("## Limitations\n\nEarly.\n")
    plot = np.asarray(Image.open(tmp_path / "toy-quality.png"))
    assert plot.shape[0] > 100 and plot.shape[1] > 2 * plot.shape[0] and plot.std() > 10  # two drawn panels
    assert "3 evaluations" in capsys.readouterr().out


def test_a_card_without_the_section_gets_it_before_limitations(tmp_path):
    card = tmp_path / "toy.md"
    card.write_text(CARD.replace("## Quality against training time\n\nNo FID curve yet.\n\n", ""))
    run = _run(tmp_path, [(500, 0.1, 300.0), (1000, 0.2, 250.0)])
    assert card_quality.main([str(card), str(run)]) == 0
    text = card.read_text()
    assert text.index("## Quality against training time") < text.index("## Limitations")
    assert text.count("## Quality against training time") == 1


@pytest.mark.parametrize("case", ["one evaluation", "no run", "not a card"])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, case):
    card = tmp_path / "toy.md"
    card.write_text(CARD)
    run = _run(tmp_path, [(500, 0.1, 300.0)] if case == "one evaluation" else [(500, 0.1, 3.0), (900, 0.2, 2.0)])
    arguments = {
        "one evaluation": [str(card), str(run)],
        "no run": [str(card), str(tmp_path / "missing")],
        "not a card": [str(run / "progress.jsonl"), str(run)],
    }[case]
    assert card_quality.main(arguments) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    assert card.read_text() == CARD and not (tmp_path / "toy-quality.png").exists()


def test_replace_section_keeps_what_follows():
    text = card_quality.replace_section("# a\n\n## Quality against training time\n\nold\n\n## Licence\n\nMIT\n", "NEW")
    assert text == "# a\n\nNEW\n\n## Licence\n\nMIT\n"
    assert card_quality.replace_section("# a\n", "NEW") == "# a\n\nNEW\n"


def test_plot_is_linked_beside_a_plugins_link_to_the_card(tmp_path):
    card = tmp_path / "cards" / "toy.md"
    card.parent.mkdir()
    card.write_text(CARD)
    image = card.with_name("toy-quality.png")
    image.write_bytes(b"png")
    plugin_cards = tmp_path / "plugins" / "zoo-toy" / "src" / "zoo_toy" / "cards"
    plugin_cards.mkdir(parents=True)
    (plugin_cards / "toy.md").symlink_to("../../../../../cards/toy.md")
    (plugin_cards / "other.md").write_text(CARD)
    made = card_quality.link_beside_plugin_cards(card, image, tmp_path / "plugins")
    assert made == [plugin_cards / "toy-quality.png"]
    assert (plugin_cards / "toy-quality.png").read_bytes() == b"png"
    assert card_quality.link_beside_plugin_cards(card, image, tmp_path / "plugins") == []  # already linked
