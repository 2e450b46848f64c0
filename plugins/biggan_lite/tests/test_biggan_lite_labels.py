"""Class labels by name or index, refusals that list the classes, and ``zoo sample --class``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import zoo
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.weights import META_CLASSES, save_weights

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    """A tiny 10-class BigGAN-lite whose weights record class names, as the trainer's export does."""
    config = {**get_registry().architecture("biggan-lite").tiny_config, "num_classes": 10}
    torch.manual_seed(0)
    generator = zoo.build("biggan-lite", with_discriminator=False, **config).generator
    path = tmp_path_factory.mktemp("weights") / "model.safetensors"
    save_weights(
        path, generator.state_dict(), family="biggan-lite", config=config, metadata={META_CLASSES: json.dumps(CLASSES)}
    )
    return path


def _zoo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOO_")} | {"HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_names_and_indices_pick_the_same_class(weights):
    handle = zoo.load(str(weights))
    assert handle.classes == CLASSES
    by_name = handle.sample(2, seed=1, labels=["dog", "cat"], truncation=0.5)
    by_index = handle.sample(2, seed=1, labels=[5, "3"], truncation=0.5)
    assert torch.equal(by_name, by_index)


@pytest.mark.parametrize("labels", [["wolf"], [10], ["-1"], ["dog", 12]])
def test_unknown_class_lists_the_classes(weights, labels):
    with pytest.raises(ZooError, match="choose one of airplane, automobile, .*truck"):
        zoo.load(str(weights)).sample(2, labels=labels)


def test_sampling_without_labels_is_refused_with_the_classes(weights):
    with pytest.raises(ZooError, match=r"class-conditional: pass labels \(one of airplane, .*truck\)"):
        zoo.load(str(weights)).sample(2)


def test_cli_samples_a_class_by_name_with_truncation(weights, tmp_path):
    result = _zoo(
        "sample", str(weights), "-n", "4", "--class", "dog", "--truncation", "0.5", "-o", "g.png", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.png").stat().st_size > 0


@pytest.mark.parametrize(
    "args, fragment",
    [
        ((), "pass --class NAME (one of airplane, automobile, bird"),
        (("--class", "wolf"), "unknown class 'wolf': choose one of airplane"),
        (("--class", "dog", "--truncation", "0"), "truncation must be in (0, 1]"),
    ],
)
def test_cli_bad_labels_and_truncation_are_one_line_errors(weights, tmp_path, args, fragment):
    result = _zoo("sample", str(weights), "-n", "2", "-o", "g.png", *args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "g.png").exists()
