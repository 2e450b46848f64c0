"""Every registered checkpoint: its card parses, its weights match the card's sha256 and config."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import zoo
from zoo import hookimpl
from zoo.cards import checkpoint_from_card
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.specs import bundled_path
from zoo.testing import isolated_registry
from zoo.weights import read_config, sha256_file

CARDS = Path(__file__).resolve().parents[1] / "cards"
CHECKPOINTS = sorted(get_registry().checkpoints)


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_bundled_weights_match_their_card(name):
    spec = get_registry().checkpoints[name]
    path = bundled_path(spec)
    if path is None:
        pytest.skip(f"{name} is not bundled")
    assert sha256_file(path) == spec.sha256
    assert path.stat().st_size == spec.size
    family, config = read_config(path)
    assert family == spec.family and config == dict(spec.config)


@pytest.mark.parametrize("card", sorted(CARDS.glob("*.md")), ids=lambda p: p.name)
def test_every_card_in_cards_dir_is_registered_by_a_plugin(card):
    spec = checkpoint_from_card(card)
    assert spec.name == card.stem
    registered = get_registry().checkpoints[spec.name]
    assert registered.sha256 == spec.sha256 and dict(registered.config) == dict(spec.config)
    assert registered.train_command or registered.source, "the card must say how the weights were trained or ported"


def test_a_ported_card_names_its_source_instead_of_a_training_command(tmp_path):
    """Weights the zoo did not train (the classic style networks) cite their source; others still need a command."""
    from zoo.cards import validate_card

    ported = _card(tmp_path, VALID + '  source: "pytorch/examples@77f55b9 saved_models/candy.pth"\n')
    assert not [p for p in validate_card(ported, draft=True) if "train_command" in p or "dataset_sha256" in p]
    trained = _card(tmp_path, VALID)
    problems = validate_card(trained, draft=True)
    assert any("zoo.train_command: missing" in p for p in problems) and any("dataset_sha256" in p for p in problems)


def _card(tmp_path: Path, zoo_block: str) -> Path:
    path = tmp_path / "card.md"
    path.write_text(f"---\nlicense: mit\nzoo:\n{zoo_block}---\n# text\n")
    return path


VALID = """\
  name: toy-cifar10-32
  family: dcgan
  config: {resolution: 32}
  dataset: toy
  resolution: 32
  filename: model.safetensors
  sha256: "%s"
  size: 10
""" % ("0" * 64)


def test_a_valid_card_parses(tmp_path):
    spec = checkpoint_from_card(_card(tmp_path, VALID))
    assert spec.name == "toy-cifar10-32" and spec.license == "mit"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace("  dataset: toy\n", ""), "missing field(s) dataset"),
        (lambda s: s + "  colour: blue\n", "unknown field(s) colour"),
        (lambda s: s.replace("model.safetensors", "model.bin"), "never loads pickles"),
        (lambda s: s.replace("model.safetensors", "../model.safetensors"), "plain file name"),
        (lambda s: s.replace("toy-cifar10-32", "toy; rm -rf"), "name 'toy; rm -rf' is invalid"),
        (lambda s: s.replace("0" * 64, "abc"), "sha256 must be a quoted string of 64"),
    ],
)
def test_card_errors_name_the_file_and_the_field(tmp_path, edit, message):
    path = _card(tmp_path, edit(VALID))
    with pytest.raises(ZooError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        checkpoint_from_card(path)
    assert str(info.value).startswith(str(path))


def test_card_without_front_matter_is_refused(tmp_path):
    path = tmp_path / "card.md"
    path.write_text("# no front matter\n")
    with pytest.raises(ZooError, match="card.md: a model card must start with '---'"):
        checkpoint_from_card(path)


@pytest.mark.parametrize("card", sorted(CARDS.glob("*.md")), ids=lambda p: p.name)
def test_every_card_passes_the_validator(card):
    """Unpublished checkpoints are validated as drafts (no Hub revision can exist before upload)."""
    from zoo.cards import validate_card

    spec = checkpoint_from_card(card)
    assert validate_card(card, draft=not spec.revision, registry=get_registry()) == []


UNPUBLISHED = """\
  name: toy-faces64
  family: dcgan
  config: {resolution: 64}
  dataset: toy faces
  resolution: 64
  train_command: zoo train dcgan --data /path/to/faces --out runs/toy-faces64
  unpublished: "FFHQ is not redistributable; train with zoo train dcgan --data /path/to/faces"
"""


def test_an_unpublished_card_needs_no_weights_fields(tmp_path):
    from zoo.cards import validate_card

    path = _card(tmp_path, UNPUBLISHED).rename(tmp_path / "toy-faces64.md")
    spec = checkpoint_from_card(path)
    assert spec.unpublished.startswith("FFHQ") and spec.sha256 == "" and spec.size == 0
    assert validate_card(path, registry=get_registry()) == []


def test_a_published_card_still_needs_its_weights_fields(tmp_path):
    path = _card(tmp_path, UNPUBLISHED.replace('  unpublished: "FFHQ', '  note: "FFHQ'))
    with pytest.raises(ZooError, match=r"missing field\(s\) filename, sha256, size"):
        checkpoint_from_card(path)


def test_an_unpublished_card_naming_weights_is_flagged(tmp_path):
    from zoo.cards import validate_card

    path = _card(tmp_path, UNPUBLISHED + '  sha256: "%s"\n' % ("0" * 64))
    problems = validate_card(path, registry=get_registry())
    assert any("zoo.sha256: an unpublished card has no weights" in p for p in problems), problems


def test_pull_and_load_of_an_unpublished_checkpoint_say_why_and_how(tmp_path, zoo_cli, install_plugin, clean_error):
    """A registered card without weights: pull and load say why and how to train, in one line; list marks it."""
    card = _card(tmp_path, UNPUBLISHED).rename(tmp_path / "toy-faces64.md")
    source = f"""
        from zoo import hookimpl
        from zoo.cards import checkpoint_from_card

        @hookimpl
        def register_checkpoints(register):
            register(checkpoint_from_card({str(card)!r}))
        """
    site = install_plugin("zoo-toy-unpublished", "zoo_toy_unpublished", source)
    line = clean_error(zoo_cli("pull", "toy-faces64", plugins=[site]), "no weights for toy-faces64 are published yet")
    assert "FFHQ is not redistributable" in line
    plugin = types.SimpleNamespace(register_checkpoints=hookimpl(lambda register: register(checkpoint_from_card(card))))
    with isolated_registry(plugin, autoload=True), pytest.raises(ZooError) as info:
        zoo.load("toy-faces64")
    assert str(info.value) == line.removeprefix("Error: ")
    listing = zoo_cli("list", "toy-*", "--json", plugins=[site])
    assert listing.returncode == 0 and '"unpublished"' in listing.stdout, listing.stdout + listing.stderr
