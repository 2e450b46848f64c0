"""The FID Inception: weights fetched and converted safely, features and metrics equal to the references."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from zoo.errors import ZooError
from zoo.metrics import downloads
from zoo.metrics.extractors import extractor_spec
from zoo.metrics.frechet import FID
from zoo.metrics.inception import InceptionExtractor, resize_tf1
from zoo.metrics.inception_score import inception_score
from zoo.metrics.kid import kernel_distance
from zoo.weights import read_header, read_metadata

URL_NAME = "pt_inception-2015-12-05-6726825d.pth"


class NotATensor:
    """Anything pickled that is not a tensor must be refused by weights_only loading."""


def test_pinned_hash_is_consistent_with_the_published_file_name():
    assert downloads.INCEPTION_URL.endswith(downloads.INCEPTION_FILENAME)
    prefix = downloads.INCEPTION_FILENAME.rsplit("-", 1)[1].split(".")[0]
    assert downloads.INCEPTION_SHA256.startswith(prefix) and len(downloads.INCEPTION_SHA256) == 64


def test_weights_are_fetched_over_http_verified_converted_and_cached(zoo_home, http_root, inception_pth, monkeypatch):
    monkeypatch.setenv("ZOO_INCEPTION_URL", f"{http_root}/{URL_NAME}")
    monkeypatch.setenv("ZOO_INCEPTION_SHA256", inception_pth[1])
    path = downloads.inception_weights_path(progress=False)
    assert path.parent == zoo_home / "weights" and path.suffix == ".safetensors"
    assert read_metadata(path)["zoo.source_sha256"] == inception_pth[1]
    keys = [k for k in read_header(path) if k != "__metadata__"]
    assert len(keys) == 472 and not any(k.endswith("num_batches_tracked") for k in keys)
    assert not list((zoo_home / "downloads").glob("*.pth")), "the pickle is deleted once converted"
    monkeypatch.setenv("ZOO_INCEPTION_URL", "http://127.0.0.1:9/unreachable.pth")
    assert downloads.inception_weights_path(progress=False) == path, "the second use must not touch the network"


def test_a_wrong_hash_is_refused_and_nothing_is_kept(zoo_home, http_root, monkeypatch):
    monkeypatch.setenv("ZOO_INCEPTION_URL", f"{http_root}/{URL_NAME}")
    monkeypatch.setenv("ZOO_INCEPTION_SHA256", "0" * 64)
    with pytest.raises(ZooError, match="expected 000000000000") as info:
        downloads.inception_weights_path(progress=False)
    assert "\n" not in str(info.value)
    assert [p for p in zoo_home.rglob("*") if p.is_file()] == []


def test_an_unreachable_url_says_how_to_get_the_file(zoo_home, monkeypatch):
    monkeypatch.setenv("ZOO_INCEPTION_URL", "http://127.0.0.1:9/pt_inception.pth")
    with pytest.raises(ZooError, match="could not download .* download it by hand"):
        downloads.inception_weights_path(progress=False)


def test_a_pickle_with_arbitrary_objects_is_never_loaded(zoo_home, tmp_path, monkeypatch):
    evil = tmp_path / URL_NAME
    torch.save({"fc.weight": torch.zeros(1), "payload": NotATensor()}, evil)
    monkeypatch.setenv("ZOO_INCEPTION_URL", evil.as_uri())
    monkeypatch.setenv("ZOO_INCEPTION_SHA256", downloads._sha256(evil))
    with pytest.raises(ZooError, match="not a plain tensor state dict"):
        downloads.inception_weights_path(progress=False)


def test_a_copy_in_the_torch_hub_cache_is_reused(zoo_home, inception_pth, tmp_path, monkeypatch):
    hub = tmp_path / "torch-home" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    shutil.copyfile(inception_pth[0], hub / URL_NAME)
    monkeypatch.setenv("ZOO_INCEPTION_URL", "http://127.0.0.1:9/unreachable.pth")
    monkeypatch.setenv("ZOO_INCEPTION_SHA256", inception_pth[1])
    assert downloads.inception_weights_path(progress=False).is_file()


def test_tf1_resize_matches_torch_fidelity():
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    x = (torch.rand(2, 3, 32, 24) * 255).round()  # the pixels as the extractor sees them: float32 0..255
    reference = interpolate_bilinear_2d_like_tensorflow1x(x, size=(299, 299), align_corners=False)
    torch.testing.assert_close(
        resize_tf1(x.double(), 299), reference.double(), rtol=0, atol=1e-4
    )  # float32 rounding only


def _images(n: int, seed: int, smooth: bool) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    if smooth:
        base = rng.integers(0, 256, size=(n, 3, 4, 4)).repeat(8, axis=2).repeat(8, axis=3)
        return torch.from_numpy(np.clip(base + rng.normal(0, 8, size=base.shape), 0, 255).astype(np.uint8))
    return torch.from_numpy(rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8))


@pytest.fixture(scope="module")
def features(inception_pth, inception_state, tmp_path_factory) -> dict[str, dict[str, torch.Tensor]]:
    """Pool features and logits of 8 images from our network (both pipelines), pytorch-fid and torch-fidelity."""
    import pytorch_fid.inception as pytorch_fid_inception
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    safetensors = downloads.convert_pth(
        inception_pth[0], tmp_path_factory.mktemp("w") / "w.safetensors", inception_pth[1]
    )
    images = torch.cat([_images(4, 1, smooth=True), _images(4, 2, smooth=False)])
    out: dict[str, dict[str, torch.Tensor]] = {}
    for name in ("inception-v3-fid", "inception-v3-tf"):
        extractor = InceptionExtractor(
            extractor_spec(name), resize=extractor_spec(name).options["resize"], weights=safetensors
        )
        out[name] = extractor(images, ("pool", "logits"))
    original = pytorch_fid_inception.load_state_dict_from_url
    pytorch_fid_inception.load_state_dict_from_url = lambda *args, **kwargs: inception_state
    try:
        reference = pytorch_fid_inception.InceptionV3([3]).eval()
    finally:
        pytorch_fid_inception.load_state_dict_from_url = original
    with torch.no_grad():
        out["pytorch-fid"] = {"pool": reference(images.float() / 255)[0].flatten(1)}
    fidelity = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"], str(inception_pth[0]))
    with torch.no_grad():
        pool, logits = fidelity(images)
    out["torch-fidelity"] = {"pool": pool, "logits": logits}
    return out


def _assert_features_close(ours: torch.Tensor, reference: torch.Tensor) -> None:
    scale = float(reference.abs().max())
    assert scale > 1e-2, "random weights must give non-trivial features"
    assert float((ours - reference).abs().max()) <= 1e-4 * scale


@pytest.mark.slow
def test_features_match_pytorch_fid(features):
    _assert_features_close(features["inception-v3-fid"]["pool"], features["pytorch-fid"]["pool"])


def test_features_and_logits_match_torch_fidelity(features):
    _assert_features_close(features["inception-v3-tf"]["pool"], features["torch-fidelity"]["pool"])
    _assert_features_close(features["inception-v3-tf"]["logits"], features["torch-fidelity"]["logits"])


def test_metrics_on_network_features_match_the_references(features):
    from torch_fidelity.metric_isc import isc_features_to_metric
    from torch_fidelity.metric_kid import kid_features_to_metric

    ours, theirs = features["inception-v3-tf"], features["torch-fidelity"]
    is_ours = inception_score(ours["logits"], splits=2)
    is_theirs = isc_features_to_metric(theirs["logits"], splits=2, shuffle=True, rng_seed=2020)
    assert is_ours[0] == pytest.approx(is_theirs["inception_score_mean"], rel=1e-3)
    kid_ours = kernel_distance(ours["pool"][:4], ours["pool"][4:], subsets=5, subset_size=4)[0]
    kid_theirs = kid_features_to_metric(
        theirs["pool"][:4], theirs["pool"][4:], kid_subsets=5, kid_subset_size=4, verbose=False
    )
    assert kid_ours == pytest.approx(kid_theirs["kernel_inception_distance_mean"], rel=1e-3)
    fids = []
    for source in (features["inception-v3-fid"], features["pytorch-fid"]):
        metric = FID("test-pixels", allow_few_samples=True)
        metric.update_features(source["pool"][:4, :256], real=False)  # 256 dims keep the test fast
        metric.update_features(source["pool"][4:, :256], real=True)
        with pytest.warns(UserWarning):
            fids.append(metric.compute()["fid"])
    assert fids[0] == pytest.approx(fids[1], rel=1e-3)


def test_extractor_protocol_names_the_weights_and_the_resize(inception_env):
    extractor = InceptionExtractor(extractor_spec("inception-v3-fid"), progress=False)
    protocol = extractor.protocol
    assert protocol["weights_sha256"] == inception_env["ZOO_INCEPTION_SHA256"]
    assert "pytorch-fid" in protocol["resize"] and protocol["precision"] == "float32"
    images = _images(1, 3, smooth=True)
    bf16 = InceptionExtractor(extractor_spec("inception-v3-fid"), precision="bfloat16", progress=False)
    close = torch.nn.functional.cosine_similarity(bf16(images)["pool"], extractor(images)["pool"])
    assert bool((close > 0.99).all())
    with pytest.raises(ZooError, match="no output"):
        extractor(images, ("nope",))


def test_weights_missing_from_a_corrupt_cache_are_refetched(inception_env, zoo_home):
    path = downloads.inception_weights_path(progress=False)
    path.write_bytes(b"garbage")
    with pytest.raises(ZooError, match="not a valid safetensors"):
        downloads.inception_weights_path(progress=False)
    path.unlink()
    assert Path(downloads.inception_weights_path(progress=False)).is_file()
