"""The README's checkpoint table is the cards' (scripts/checkpoint_table.py), and each card's step is its weights'."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_modules import load_script
from zoo.cards import validate_card
from zoo.registry import get_registry
from zoo.specs import bundled_path
from zoo.weights import read_step

ROOT = Path(__file__).resolve().parents[1]
table = load_script("scripts/checkpoint_table.py")


def test_the_readme_table_is_the_one_the_cards_give():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = "README.md's checkpoint table is stale: python scripts/checkpoint_table.py --write"
    assert table.replaced(text) == text, stale


def test_every_trained_checkpoint_has_a_row_with_its_step_and_recipe_end():
    rows = {row[0].strip("`"): row for row in table.rows()}
    trained = {n for n, s in get_registry().checkpoints.items() if s.train_command and not s.unpublished}
    assert set(rows) == trained
    for name in trained:
        assert rows[name][3] != "—", f"{name}'s card gives no step"


@pytest.mark.parametrize("name", sorted(n for n, s in get_registry().checkpoints.items() if bundled_path(s)))
def test_a_cards_step_is_the_step_its_weights_record(name):
    spec = get_registry().checkpoints[name]
    recorded = read_step(bundled_path(spec))
    if recorded is not None:
        assert spec.step == recorded


def test_a_card_step_that_is_not_a_step_is_refused(tmp_path):
    card = (ROOT / "cards" / "dcgan-cifar10-32.md").read_text(encoding="utf-8")
    bad = tmp_path / "README.md"
    bad.write_text(card.replace("  step: 15000", "  step: soon"), encoding="utf-8")
    problems = validate_card(bad, bundled=True)
    assert any("zoo.step" in str(p) for p in problems)
