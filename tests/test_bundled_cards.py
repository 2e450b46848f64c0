"""The cards the plugins ship pass ``zoo cards check`` as README says; ``zoo push NAME`` publishes their images.

A plugin's ``cards/`` folder holds links to the repository's ``cards/NAME.md`` and its PNGs; hatch
copies what the links point to into the wheel, so the images travel with the card.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import zoo
from zoo.cards import split_card, validate_card

CARDS = Path(__file__).resolve().parents[1] / "cards"


def test_cards_check_of_every_registered_card_passes(zoo_here) -> None:
    code, out, err = zoo_here("cards", "check")
    assert code == 0, out + err
    assert "card(s) ok" in out


def test_the_readme_card_check_command_passes_on_the_repository_cards(zoo_here) -> None:
    code, out, err = zoo_here("cards", "check", *map(str, sorted(CARDS.glob("*.md"))))
    assert code == 0, out + err


def test_a_card_of_weights_not_bundled_still_needs_a_pinned_commit(tmp_path: Path) -> None:
    from zoo.cards import local_images

    card = zoo.get_registry().checkpoints["dcgan-cifar10-32"].card
    copy = tmp_path / "dcgan-cifar10-32.md"
    shutil.copyfile(card, copy)
    for image in local_images(split_card(copy.read_text(), str(copy))[1]):
        shutil.copyfile(Path(card).parent / image, tmp_path / image)
    assert validate_card(copy, bundled=True) == []
    problems = validate_card(copy)
    assert len(problems) == 1 and "zoo.revision: missing: pin the 40-character commit" in problems[0]


def test_registered_cards_have_their_images_beside_them() -> None:
    from zoo.cards import local_images

    for spec in zoo.get_registry().checkpoints.values():
        if spec.card and spec.bundled:
            body = split_card(Path(spec.card).read_text(encoding="utf-8"), spec.card)[1]
            missing = [image for image in local_images(body) if not (Path(spec.card).parent / image).is_file()]
            assert not missing, f"{spec.card}: link {missing} into its plugin's cards/ folder"


def test_push_of_a_bundled_checkpoint_publishes_the_images_of_its_card(zoo_here, tmp_path: Path) -> None:
    out = tmp_path / "folder"
    code, stdout, err = zoo_here("push", "dcgan-cifar10-32", "--repo", "me/dcgan", "--dry-run", "--out", str(out))
    assert code == 0, err
    assert "card:" not in stdout, stdout
    assert "dcgan-cifar10-32.png" in stdout
    assert (out / "dcgan-cifar10-32.png").read_bytes() == (CARDS / "dcgan-cifar10-32.png").read_bytes()


def test_every_trained_checkpoint_card_draws_its_fid_against_time_or_says_why_not() -> None:
    """#32: a checkpoint with an FID shows it against step and hours (table and plot), or says why it cannot yet."""
    import re

    for spec in zoo.get_registry().checkpoints.values():
        if not spec.card:
            continue
        front, body = split_card(Path(spec.card).read_text(encoding="utf-8"), spec.card)
        if not any(key.startswith("fid") for key in (front.get("zoo", {}).get("metrics") or {})):
            continue  # style transfer and unpublished recipes have no FID to follow
        heading, _, rest = body.partition("## Quality against training time")
        assert heading != body, f"{spec.card}: no 'Quality against training time' section"
        section = rest.split("\n## ")[0]
        steps = [int(step.replace(",", "")) for step in re.findall(r"^\| ([\d,]+) \| ", section, re.MULTILINE)]
        if not steps:
            assert "No FID curve" in section, f"{spec.card}: neither a curve nor why it has none"
            continue
        assert len(steps) >= 2 and steps == sorted(set(steps)), f"{spec.card}: curve steps {steps}"
        plots = re.findall(r"!\[[^\]]*\]\(([^)]+-quality\.png)\)", section)
        assert plots and (Path(spec.card).parent / plots[0]).is_file(), f"{spec.card}: its curve's plot"
