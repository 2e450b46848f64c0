"""zoo eval --compare: published metrics side by side, only under protocols that match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from metrics_helpers import run_cli
from zoo.cards import split_card
from zoo.metrics.compare import clauses
from zoo.registry import get_registry

CIFAR = ("sagan-cifar10-32", "wgan-gp-cifar10-32", "biggan-lite-cifar10-32")  # resnet in bf16 and float32


def _card_text(name: str) -> str:
    return Path(get_registry().checkpoints[name].card).read_text()


def _card_with_protocol(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of a bundled card whose protocol lines say ``new`` where they said ``old``."""
    text = _card_text(name)
    assert old in text
    path = tmp_path / f"{name}-variant.md"
    path.write_text(text.replace(old, new))
    return path


def test_bundled_cifar_cards_compare_under_every_shared_protocol(capsys):
    code, out, err = run_cli(capsys, "eval", "--compare", *CIFAR, "--json")
    assert code == 0 and not err, err
    tables = json.loads(out)["tables"]
    assert len(tables) == 3, "zoo-cifar10-resnet in bf16, squeezenet1_1-imagenet, zoo-cifar10-resnet in float32"
    for table in tables:
        assert list(table["rows"]) == list(CIFAR)
    extractors = [t["protocol"].split(" features")[0] for t in tables]  # the card's order: float32 group last
    assert extractors == ["zoo-cifar10-resnet", "squeezenet1_1-imagenet", "zoo-cifar10-resnet"]
    fids = {name: get_registry().checkpoints[name].metrics["fid"] for name in CIFAR}
    assert {name: row["fid"] for name, row in tables[0]["rows"].items()} == fids


def test_the_table_lists_every_card_and_metric(capsys):
    code, out, _ = run_cli(capsys, "eval", "--compare", *CIFAR)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("protocol: zoo-cifar10-resnet features")
    assert lines[1].split()[:3] == ["model", "fid", "kid"]
    assert sum(line.startswith("sagan-cifar10-32 ") for line in lines) == 3


def test_the_retrained_dcgan_compares_with_the_other_cifar_cards_under_both_its_protocols(capsys):
    """Its zoo-cifar10-resnet figures are float32: the others' float32 group matches, their bf16 one does not."""
    code, out, err = run_cli(capsys, "eval", "--compare", "dcgan-cifar10-32", *CIFAR, "--json")
    assert code == 0 and not err, err
    tables = json.loads(out)["tables"]
    assert len(tables) == 2
    assert "256-d penultimate features, weights sha256 48bd78f7…, float32)" in tables[0]["protocol"]
    assert tables[1]["protocol"].startswith("squeezenet1_1-imagenet features")
    for table in tables:
        assert list(table["rows"]) == ["dcgan-cifar10-32", *CIFAR]
    float32 = {name: get_registry().checkpoints[name].metrics["zoo-cifar10-resnet-float32"]["fid"] for name in CIFAR}
    assert {name: tables[0]["rows"][name]["fid"] for name in CIFAR} == float32


def test_a_card_measured_in_another_precision_is_refused_in_one_line(capsys, tmp_path):
    variant = _card_with_protocol(tmp_path, "wgan-gp-cifar10-32", "512-d fire9", "512-d fire8")
    text = variant.read_text().replace("48bd78f7…, bfloat16)", "48bd78f7…, float16)")
    head, tail = text.split("    zoo-cifar10-resnet-float32:\n")
    variant.write_text(head + tail[tail.index("  train_command:") :])  # only a card measured in bf16 has that group
    code, out, err = run_cli(capsys, "eval", "--compare", "biggan-lite-cifar10-32", "sagan-cifar10-32", str(variant))
    assert code == 0
    refused = err.strip().splitlines()
    assert len(refused) == 1 and refused[0].startswith(f"refused: {variant}: no protocol in common")
    assert "…bfloat16), 10,000" in refused[0] and "…float16), 10,000" in refused[0], "the closest, where it differs"
    assert str(variant) not in out and "sagan-cifar10-32" in out


def test_no_shared_protocol_is_an_error(capsys, tmp_path):
    a = _card_with_protocol(tmp_path, "dcgan-cifar10-32", "10,000 generated", "5,000 generated")
    code, out, err = run_cli(capsys, "eval", "--compare", "sagan-cifar10-32", str(a))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "no card shares a protocol with sagan-cifar10-32" in lines[0]
    assert "10,000 generated" in lines[0] and "5,000 generated" in lines[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--compare", "dcgan-cifar10-32"), "at least two cards"),
        (("--compare", "dcgan-cifar10-32", "nope-model"), "'nope-model' is neither a published checkpoint"),
        (("--compare", "dcgan-cifar10-32", "stylegan-lite-ffhq64"), "holds no metrics"),
        (("dcgan-cifar10-32",), "Missing option '--data'"),
        (("dcgan-cifar10-32", "sagan-cifar10-32", "--data", "x.npz"), "several only with --compare"),
    ],
)
def test_compare_refusals_are_one_line(capsys, args, fragment):
    code, _, err = run_cli(capsys, "eval", *args)
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("Usage:", "Try "))]
    assert code == 2 and len(lines) == 1 and fragment in lines[0], err


def test_model_side_notes_and_the_command_do_not_split_a_protocol():
    metrics = split_card(_card_text("sagan-cifar10-32"), "sagan")[0]["zoo"]["metrics"]
    line = metrics["squeezenet1_1-imagenet"]["protocol"]
    assert "labels balanced over classes" in line and "zoo eval sagan-cifar10-32" in line
    assert clauses(line) == clauses(line.replace(", labels balanced over classes", "").replace("sagan", "dcgan"))
    assert clauses(line) != clauses(line.replace("PR k=3", "PR k=5"))


def test_zoo_eval_finds_the_cards_figures_under_its_own_protocol():
    from zoo.metrics.compare import against_card

    spec = get_registry().checkpoints["sagan-cifar10-32"]
    for key in ("squeezenet1_1-imagenet", "zoo-cifar10-resnet-float32"):
        group = spec.metrics[key]
        match = against_card(group["protocol"], spec.sha256, ["fid", "kid", "is", "precision", "recall"])
        assert match.name == "sagan-cifar10-32" and match.values == {k: v for k, v in group.items() if k != "protocol"}


def test_an_evaluation_of_fewer_metrics_matches_the_card_group_that_holds_them():
    """FID alone: the card's KID, IS and PR settings do not bind it, and only the card's FID is shown."""
    from zoo.metrics.compare import against_card

    spec = get_registry().checkpoints["sagan-cifar10-32"]
    group = spec.metrics["zoo-cifar10-resnet-float32"]
    fid_only = re.sub(r"; (KID|IS|PR) [^;]*", "", group["protocol"])
    assert fid_only != group["protocol"]
    assert against_card(fid_only, spec.sha256, ["fid"]).values == {"fid": group["fid"]}
    assert against_card(fid_only, spec.sha256, ["density"]).values is None, "a group without the metric holds nothing"


def test_a_protocol_the_card_lacks_names_where_the_closest_one_differs():
    from zoo.metrics.compare import against_card

    spec = get_registry().checkpoints["sagan-cifar10-32"]
    line = spec.metrics["zoo-cifar10-resnet-float32"]["protocol"].replace("10,000 generated", "2,000 generated")
    match = against_card(line, spec.sha256, ["fid"])
    assert match.values is None and "2,000 generated" in match.closest and "10,000 generated" in match.closest
    assert against_card(line, "0" * 64, ["fid"]) is None, "weights no card publishes compare with nothing"


def test_zoo_eval_of_published_weights_says_what_their_card_holds(capsys, zoo_home, tiny_cifar):
    code, out, err = run_cli(
        capsys, "eval", "dcgan-cifar10-32", "--data", str(tiny_cifar), "--metrics", "kid", "-n", "60",
        "--extractor", "test-pixels", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    card_line = out.strip().splitlines()[-1]
    assert card_line.startswith("card dcgan-cifar10-32: no figures under this protocol; its closest differs in ")
    assert "'test-pixels features" in card_line and "zoo-cifar10-resnet features" in card_line
