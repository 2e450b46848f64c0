"""``zoo eval``: results, protocol and cache for a run directory; one-line errors; the real extractors end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import write_npz
from metrics_helpers import run_cli as _run
from zoo.errors import ZooError
from zoo.metrics.extractors import metric_label
from zoo.registry import get_registry
from zoo.specs import bundled_path


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A training run directory holding the bundled DCGAN generator as model.safetensors."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copyfile(bundled_path(get_registry().checkpoints["dcgan-cifar10-32"]), run / "model.safetensors")
    return run


def test_eval_of_a_run_writes_metrics_json_with_protocol_and_caches_real_features(
    capsys, zoo_home, run_dir, tiny_cifar
):
    args = (
        str(run_dir),
        "--data",
        str(tiny_cifar),
        "--metrics",
        "fid,kid,is,pr",
        "-n",
        "100",
        "--extractor",
        "test-pixels",
        "--no-progress",
    )
    code, out, err = _run(capsys, "eval", *args)
    assert code == 0, err
    for label in ("FID (test-pixels features): ", "KID (test-pixels features): ", "IS (test-pixels features): ",
                  "Precision (test-pixels features): ", "Recall (test-pixels features): "):  # fmt: skip
        assert label in out
    assert f"wrote {run_dir / 'metrics.json'}" in out
    document = json.loads((run_dir / "metrics.json").read_text())
    (evaluation,) = document["evaluations"]
    assert set(evaluation["results"]) == {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall"}
    protocol = evaluation["protocol"]
    assert protocol["extractor"] == "test-pixels" and protocol["num_generated"] == 100 and protocol["num_real"] == 100
    reference = protocol["reference"]
    assert reference["split"] == "all" and reference["subset"] == "random 100 of 300, seed 0"
    assert reference["total"] == 300 and reference["subset_seed"] == 0, "numbers a reader need not parse"
    assert protocol["resize"] and protocol["kid_subset_size"] == 100 and protocol["is_splits"] == 10
    (cache,) = (zoo_home / "stats").glob("*.safetensors")
    stamp = cache.stat().st_mtime_ns

    code, out, err = _run(capsys, "eval", *args, "--json")
    assert code == 0, err
    again = json.loads(out)
    assert again["results"] == pytest.approx(evaluation["results"], rel=1e-6)
    assert cache.stat().st_mtime_ns == stamp, "the cached real features must be reused"
    assert len(json.loads((run_dir / "metrics.json").read_text())["evaluations"]) == 1, "same protocol: replaced"


def test_eval_writes_an_output_file_for_a_named_checkpoint(capsys, zoo_home, tiny_cifar, tmp_path):
    output = tmp_path / "results.json"
    args = ("--metrics", "kid", "-n", "30", "--extractor", "test-pixels", "-o", str(output), "--no-progress")
    code, out, err = _run(capsys, "eval", "dcgan-cifar10-32", "--data", str(tiny_cifar), *args)
    assert code == 0, err
    assert json.loads(output.read_text())["evaluations"][0]["model"] == "dcgan-cifar10-32"


def test_eval_quiet_hides_the_progress_bars_not_the_results(capsys, zoo_home, tiny_cifar):
    """zoo eval once had only --no-progress while train, sample and stylize took --quiet."""
    args = ("eval", "dcgan-cifar10-32", "--data", str(tiny_cifar), "--metrics", "kid", "-n", "30")
    args += ("--extractor", "test-pixels")
    code, out, err = _run(capsys, *args)
    assert code == 0 and "generated" in err, err  # the bars, on stderr
    code, quiet_out, quiet_err = _run(capsys, *args, "--quiet")
    assert code == 0 and quiet_err == "", quiet_err
    assert quiet_out == out and "KID (test-pixels features): " in quiet_out


def test_a_changed_dataset_is_never_served_stale_features(capsys, zoo_home, tmp_path):
    data = write_npz(tmp_path / "data.npz", 60, 32, seed=1)
    args = ("eval", "dcgan-cifar10-32", "--data", str(data), "--metrics", "kid", "-n", "30")
    args += ("--extractor", "test-pixels")
    assert _run(capsys, *args, "--json", "--no-progress")[0] == 0
    write_npz(data, 60, 32, seed=2)
    assert _run(capsys, *args, "--json", "--no-progress")[0] == 0
    assert len(list((zoo_home / "stats").glob("*.safetensors"))) == 2


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (("--metrics", "fid,bogus"), ("unknown metric(s) 'bogus'", "dc, fid, ifid, is, kid, ppl, ppl-face, pr")),
        (("--extractor", "nope"), ("unknown feature extractor 'nope'", "inception-v3-fid")),
        (("--metrics", "fid", "-n", "20"), ("needs at least 49 images per side", "-n 49")),
        (("--precision", "int8"), ("unknown precision 'int8'",)),
        (("-n", "0"), ("-n must be between 1",)),
    ],
)
def test_bad_requests_are_one_line_errors(capsys, zoo_home, tiny_cifar, extra, fragments):
    code, _, err = _run(capsys, "eval", "dcgan-cifar10-32", "--data", str(tiny_cifar), "--extractor", "test-pixels",
                        "--metrics", "kid", *extra)  # fmt: skip
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]


def test_square_data_of_another_resolution_is_resized_as_training_resizes_it(capsys, zoo_home, tmp_path):
    """A 28x28 Fashion-MNIST-like set evaluates a 32 px model, as zoo train trained it; the protocol says so."""
    data = write_npz(tmp_path / "big.npz", 20, 64)
    out = tmp_path / "m.json"
    code, _, err = _run(capsys, "eval", "dcgan-cifar10-32", "--data", str(data), "--metrics", "kid", "-n", "10",
                        "--extractor", "test-pixels", "--no-progress", "-o", str(out))  # fmt: skip
    assert code == 0, err
    protocol = json.loads(out.read_text())["evaluations"][-1]["protocol"]
    assert protocol["real_resize"].startswith("64x64 -> 32x32")


def test_data_that_is_not_square_is_refused(capsys, zoo_home, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "wide.npz", images=rng.integers(0, 256, (20, 32, 48, 3), dtype=np.uint8))
    code, _, err = _run(capsys, "eval", "dcgan-cifar10-32", "--data", str(tmp_path / "wide.npz"), "--metrics", "kid",
                        "-n", "10", "--extractor", "test-pixels", "--no-progress")  # fmt: skip
    assert code == 2 and "makes 32x32 images but" in err and "32x48" in err and len(err.strip().splitlines()) == 1


def test_missing_data_is_refused(capsys, zoo_home, tmp_path):
    code, _, err = _run(capsys, "eval", "dcgan-cifar10-32", "--data", str(tmp_path / "none.npz"), "--metrics", "kid")
    assert code == 2 and "does not exist" in err


def test_labels_never_call_other_features_inception():
    assert metric_label("FID", "inception-v3-fid") == "FID"
    assert metric_label("FID", "zoo-cifar10-resnet") == "FID (zoo-cifar10-resnet features)"
    assert "Inception" not in metric_label("FID", "zoo-cifar10-resnet")


@pytest.mark.slow
def test_zoo_eval_with_the_fid_inception_in_a_subprocess(zoo_cli, inception_env, tiny_cifar):
    result = zoo_cli("eval", "dcgan-cifar10-32", "--data", str(tiny_cifar), "--metrics", "kid,is", "-n", "10",
                     "--n-real", "10", "--batch-size", "10", "--json", "--no-progress", env=inception_env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    evaluation = json.loads(result.stdout)
    assert evaluation["labels"] == {"kid": "KID", "kid_std": "KID std", "is": "IS", "is_std": "IS std"}
    assert evaluation["protocol"]["weights_sha256"] == inception_env["ZOO_INCEPTION_SHA256"]
    assert evaluation["protocol"]["kid_subset_size"] == 10
    assert all(np.isfinite(v) for v in evaluation["results"].values())


def test_zoo_eval_with_the_cifar10_resnet_in_a_subprocess(zoo_cli, zoo_home, tiny_cifar):
    result = zoo_cli("eval", "dcgan-cifar10-32", "--data", str(tiny_cifar), "--metrics", "fid,pr", "-n", "300",
                     "--extractor", "zoo-cifar10-resnet", "--no-progress", env={"ZOO_HOME": str(zoo_home)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "FID (zoo-cifar10-resnet features): " in result.stdout
    assert "Recall (zoo-cifar10-resnet features): " in result.stdout
    assert "\nFID:" not in "\n" + result.stdout


def test_cifar10_resnet_features_of_64px_images_are_those_of_their_2x2_means():
    import torch
    from zoo.metrics.extractors import build_extractor

    extractor = build_extractor("zoo-cifar10-resnet")
    gen = torch.Generator().manual_seed(0)
    small = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8, generator=gen)
    large = small.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # each pixel a 2x2 block: its mean is itself
    assert torch.allclose(extractor(large)["pool"], extractor(small)["pool"], atol=1e-5)
    shuffled = large[..., torch.randperm(64, generator=gen)]
    assert not torch.allclose(extractor(shuffled)["pool"], extractor(small)["pool"], atol=1e-3)
    with pytest.raises(ZooError, match=r"needs 32x32 images \(or 64x64, 96x96, …\), got 48x48"):
        extractor(torch.zeros(1, 3, 48, 48, dtype=torch.uint8))


PIXEL_PLUGIN = """
import torch
import torch.nn.functional as F

from zoo import ComponentSpec, hookimpl
from zoo.metrics import ExtractorSpec, register_extractor


class Means:
    def __init__(self, spec, device="cpu", precision="float32"):
        self.name, self.dims = spec.name, dict(spec.dims)
        self.protocol = {"extractor": spec.name, "resize": "none", "precision": precision}

    def __call__(self, images, outputs=("pool",)):
        return {"pool": F.adaptive_avg_pool2d(images.float() / 255, 2).flatten(1)}


@hookimpl
def register_metrics(register):
    register_extractor(ExtractorSpec(name="plugin-means", builder="zoo_means:Means", dims={"pool": 12}))
"""


def test_a_plugin_can_add_a_feature_extractor(zoo_cli, install_plugin, zoo_home, tiny_cifar):
    site = install_plugin("zoo-means", "zoo_means", PIXEL_PLUGIN)
    args = ("--metrics", "fid,kid", "-n", "40", "--extractor", "plugin-means", "--no-progress")
    result = zoo_cli(
        "eval", "dcgan-cifar10-32", "--data", str(tiny_cifar), *args, plugins=[site], env={"ZOO_HOME": str(zoo_home)}
    )
    assert result.returncode == 0, result.stderr
    assert "FID (plugin-means features): " in result.stdout


def test_help_lists_eval(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0 and "  eval " in out
