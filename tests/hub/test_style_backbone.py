"""The style-transfer feature network comes from the Hub the way timm publishes it: timm/vgg19.tv_in1k,
config.json + model.safetensors, pulled through huggingface_hub from an olah server (random weights here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hubkit import HubServer, Zoo, free_port
from zoo.weights import sha256_file

pytest.importorskip("zoo_style_transfer", reason="the style-transfer plugin is not installed")

PINNED = "vgg19.tv_in1k@" + "0" * 40 + ":" + "1" * 64  # a well-formed pin: the fetch is attempted
VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
LOAD = """
import sys, torch
from safetensors.torch import load_file
from zoo_style_transfer.features import FeatureNet

net = FeatureNet(sys.argv[2])  # pretrained=True: the Hub path, pinned as NAME@COMMIT:SHA256
served, state = load_file(sys.argv[1]), net.model.state_dict()
for key in ("features.0.weight", "features.28.weight"):  # conv1_1 and conv5_1
    assert torch.equal(state[key], served[key].float()), f"{key} is not the served tensor"
assert not torch.equal(state["features.34.weight"], served["features.34.weight"].float()), "conv5_4 is never needed"
print("FEATURES", tuple(net(torch.rand(1, 3, 32, 32))["relu5_1"].shape))
"""
REFUSE = """
import sys, zoo
from zoo_style_transfer.features import FeatureNet
try:
    FeatureNet("test_resnet.r160_in1k@" + sys.argv[1] + ":" + "0" * 64)
except zoo.ZooError as exc:
    print("ZOOERROR", exc)
"""


def _vgg19_features(folder: Path, seed: int = 0) -> Path:
    """timm's key layout for VGG19's convolutions (features.N.weight/bias), random fp16 values."""
    import torch
    from safetensors.torch import save_file

    generator, tensors, c_in, index = torch.Generator().manual_seed(seed), {}, 3, 0
    for item in VGG19:
        if item == "M":
            index += 1
            continue
        tensors[f"features.{index}.weight"] = torch.randn(item, c_in, 3, 3, generator=generator).half() * 0.05
        tensors[f"features.{index}.bias"] = torch.zeros(item, dtype=torch.float16)
        c_in, index = item, index + 2  # conv, ReLU
    save_file(tensors, str(folder / "model.safetensors"))
    config = {
        "architecture": "vgg19",
        "num_classes": 1000,
        "pretrained_cfg": {"tag": "tv_in1k", "license": "bsd-3-clause"},
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder / "model.safetensors"


def test_vgg19_features_are_pulled_from_the_hub_as_safetensors(zoo_env: Zoo, hub_server: HubServer, tmp_path):
    folder = tmp_path / "vgg19"
    folder.mkdir()
    weights = _vgg19_features(folder)
    commit = hub_server.publish(folder, "timm/vgg19.tv_in1k")
    result = zoo_env.python(LOAD, str(weights), f"vgg19.tv_in1k@{commit}:{sha256_file(weights)}")
    assert result.returncode == 0, result.stderr
    assert "FEATURES (1, 512, 2, 2)" in result.stdout
    cached = list((zoo_env.repos / "models--timm--vgg19.tv_in1k").rglob("model.safetensors"))
    assert cached, "the weights did not go through the huggingface_hub cache"


def test_a_backbone_published_only_as_a_pickle_is_refused(zoo_env: Zoo, hub_server: HubServer):
    commit = hub_server.publish(None, "timm/test_resnet.r160_in1k", {"pytorch_model.bin": b"not loaded, ever"})
    result = zoo_env.python(REFUSE, commit)
    assert result.returncode == 0, result.stderr
    assert "has no model.safetensors (only pytorch_model.bin; the zoo never loads pickled" in result.stdout


def test_an_unreachable_hub_is_one_line_like_zoo_pull(zoo_env: Zoo, clean_error, tmp_path):
    """hf_hub_download alone retried a dead server five times, printing a warning for each try."""
    from PIL import Image

    for name in ("photo.png", "painting.png"):
        Image.new("RGB", (24, 20), (200, 120, 40)).save(tmp_path / name)
    gone = {"HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    args = ["stylize", "photo.png", "--style", "painting.png", "--size", "24", "--steps", "1", "-o", "out.png"]
    named = zoo_env.run(*args, "--backbone", PINNED, env=gone)
    clean_error(named, "cannot reach the Hub", gone["HF_ENDPOINT"], "timm/vgg19.tv_in1k", "--backbone squeezenet1_1")
    assert not (tmp_path / "out.png").exists()
    default = zoo_env.run(*args, "--quiet", env=gone)  # no backbone named: the bundled ImageNet features, said once
    assert default.returncode == 0 and (tmp_path / "out.png").is_file(), default.stderr
    notes = [line for line in default.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and notes[0].startswith(
        "note: using the bundled ImageNet SqueezeNet 1.1 features: vgg19.tv_in1k has no pinned weights"
    )


def test_zoo_no_download_is_respected_for_the_backbone(zoo_env: Zoo, clean_error, tmp_path):
    """Not cached: with ZOO_NO_DOWNLOAD=1 nothing is fetched (no request at all) and the error says why."""
    from PIL import Image

    for name in ("photo.png", "painting.png"):
        Image.new("RGB", (24, 20), (200, 120, 40)).save(tmp_path / name)
    args = ["stylize", "photo.png", "--style", "painting.png", "--size", "24", "--steps", "1", "-o", "out.png"]
    result = zoo_env.run(*args, "--backbone", PINNED, env={"ZOO_NO_DOWNLOAD": "1"})
    clean_error(result, "timm/vgg19.tv_in1k is not in the local Hub cache and downloads are off (ZOO_NO_DOWNLOAD=1)")
    assert not (tmp_path / "out.png").exists()


@pytest.mark.slow
def test_a_backbone_is_used_only_pinned_and_only_if_its_sha256_matches(zoo_env: Zoo, hub_server: HubServer, tmp_path):
    """Different weights served under timm/vgg19.tv_in1k were once used without a word; now they are refused."""
    folder = tmp_path / "vgg19"
    folder.mkdir()
    weights = _vgg19_features(folder, seed=1)  # other bytes than the first test's: a new commit
    commit = hub_server.publish(folder, "timm/vgg19.tv_in1k")
    probe = """
import sys, zoo
from zoo_style_transfer.features import FeatureNet
try:
    FeatureNet(sys.argv[1])
    print("LOADED")
except zoo.ZooError as exc:
    print("ZOOERROR", exc)
"""
    unpinned = zoo_env.python(probe, "vgg19.tv_in1k")
    assert "ZOOERROR vgg19.tv_in1k is not pinned" in unpinned.stdout, unpinned.stdout + unpinned.stderr
    wrong = zoo_env.python(probe, f"vgg19.tv_in1k@{commit}:{'2' * 64}")
    assert "ZOOERROR" in wrong.stdout and "does not match" in wrong.stdout, wrong.stdout + wrong.stderr
    malformed = zoo_env.python(probe, "vgg19.tv_in1k@main:abc")
    assert "pin it as NAME@COMMIT:SHA256" in malformed.stdout
    right = zoo_env.python(probe, f"vgg19.tv_in1k@{commit}:{sha256_file(weights)}")
    assert "LOADED" in right.stdout, right.stdout + right.stderr
