"""zoo eval with density/coverage, intra-class FID and PPL: values, labels, protocol and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import write_npz
from metrics_helpers import run_cli
from zoo.metrics.summary import protocol_line


@pytest.fixture(scope="module")
def labelled_cifar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 random 32x32 images with labels 0-9 (no class names: any 10-class model may be compared)."""
    path = write_npz(tmp_path_factory.mktemp("labelled") / "labelled.npz", 600, 32, seed=4)
    images = np.load(path)["images"]
    np.savez(path, images=images, labels=np.arange(600) % 10)
    return path


def _eval(capsys, model: str, data: Path, metrics: str, n: int, out: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(capsys, "eval", model, "--data", str(data), "--metrics", metrics, "-n", str(n),
                   "--extractor", "test-pixels", "--no-progress", "-o", str(out), *extra)  # fmt: skip


def test_density_coverage_and_intra_class_fid_of_a_conditional_model(capsys, zoo_home, labelled_cifar, tmp_path):
    out = tmp_path / "m.json"
    code, stdout, err = _eval(capsys, "biggan-lite-cifar10-32", labelled_cifar, "dc,ifid", 600, out)
    assert code == 0, err
    evaluation = json.loads(out.read_text())["evaluations"][0]
    results, labels = evaluation["results"], evaluation["labels"]
    assert {"density", "coverage", "ifid"} <= set(results)
    per_class = [results[f"ifid_class_{c}"] for c in range(10)]
    assert results["ifid"] == pytest.approx(np.mean(per_class), rel=1e-9)
    assert labels["ifid_class_3"] == "intra-class FID, cat (test-pixels features)"
    assert 0 <= results["coverage"] <= 1 and results["density"] >= 0
    assert evaluation["protocol"]["dc_k"] == 5 and "per class" in evaluation["protocol"]["ifid"]
    assert "intra-class FID, cat (test-pixels features): " in stdout

    code, _, err = _eval(capsys, "biggan-lite-cifar10-32", labelled_cifar, "ifid", 600, tmp_path / "again.json")
    assert code == 0, err  # the cached real features kept their labels
    again = json.loads((tmp_path / "again.json").read_text())["evaluations"][0]["results"]
    assert again["ifid"] == pytest.approx(results["ifid"], rel=1e-9)


@pytest.mark.parametrize(
    ("model", "metrics", "data_fixture", "fragment"),
    [
        ("dcgan-cifar10-32", "ifid", "labelled_cifar", "the model is unconditional: drop ifid"),
        ("biggan-lite-cifar10-32", "ifid", "tiny_cifar", "need class labels, but"),
        ("dcgan-cifar10-32", "ppl", "tiny_cifar", "Generator has none: drop ppl"),
        ("biggan-lite-cifar10-32", "ifid", "labelled_cifar", "more than 48 images of each class"),
    ],
)
def test_per_class_and_path_metrics_refuse_in_one_line(
    capsys, zoo_home, tmp_path, request, model, metrics, data_fixture, fragment
):
    data = request.getfixturevalue(data_fixture)
    code, _, err = _eval(capsys, model, data, metrics, 300, tmp_path / "m.json")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and fragment in lines[0], err
    assert not (tmp_path / "m.json").exists()


def test_ppl_of_a_style_generator_through_zoo_eval(capsys, zoo_home, tmp_path):
    data = write_npz(tmp_path / "faces.npz", 40, 64)
    out = tmp_path / "m.json"
    code, stdout, err = _eval(capsys, "stylegan-lite-emoji64", data, "ppl,ppl-face", 24, out)
    assert code == 0, err
    evaluation = json.loads(out.read_text())["evaluations"][0]
    assert evaluation["results"]["ppl"] > 0 and evaluation["results"]["ppl-face"] > 0
    assert "24 pairs" in evaluation["protocol"]["ppl"] and "face crop" in evaluation["protocol"]["ppl-face"]
    assert "PPL (SqueezeNet LPIPS-form distance): " in stdout
    assert "extractor" not in evaluation["protocol"], "PPL alone reads no real images and no extractor"
    line = protocol_line(evaluation["protocol"])
    assert line.startswith("PPL: W space, end points") and "PPL-FACE: " in line and "generator seed 0" in line
