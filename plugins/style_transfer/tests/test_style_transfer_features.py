"""The feature network: Gatys' VGG layers by name, any timm backbone, early stop, clear errors."""

from __future__ import annotations

import pytest
import torch
from styletools import TINY_BACKBONE
from zoo.errors import ZooError
from zoo_style_transfer.features import GATYS_CONTENT_LAYERS, GATYS_STYLE_LAYERS, FeatureNet


def test_default_vgg19_builds_with_gatys_layers_and_stops_after_relu5_1():
    net = FeatureNet(pretrained=False)
    assert net.backbone_name == "vgg19.tv_in1k"
    assert net.layers.content == GATYS_CONTENT_LAYERS and net.layers.style == GATYS_STYLE_LAYERS
    # VGG19: relu1_1 is features.1, relu4_2 features.22, relu5_1 features.29 (the last conv5_1 ReLU)
    assert (net.aliases["relu1_1"], net.aliases["relu4_2"], net.aliases["relu5_1"]) == (
        "features.1",
        "features.22",
        "features.29",
    )
    ran = []
    net.model.features[30].register_forward_hook(lambda *a: ran.append("conv5_2"))
    found = net(torch.rand(1, 3, 32, 32))
    assert sorted(found) == sorted(GATYS_CONTENT_LAYERS + GATYS_STYLE_LAYERS)
    assert found["relu1_1"].shape == (1, 64, 32, 32) and found["relu5_1"].shape == (1, 512, 2, 2)
    assert ran == [], "layers above relu5_1 ran for nothing"
    with pytest.raises(
        ZooError, match=r"no layer 'relu9_1' \(did you mean relu5_1.*choose from conv1_1, relu1_1, conv1_2"
    ):
        net._resolve("relu9_1", dict(net.model.named_modules()))
    assert not any(p.requires_grad for p in net.parameters())


def test_other_backbones_default_to_their_feature_stages_and_take_module_names():
    net = FeatureNet(TINY_BACKBONE, pretrained=False)
    assert net.layers.style == ("act1", "layer1", "layer2", "layer3", "layer4") and net.layers.content == ("layer2",)
    named = FeatureNet(TINY_BACKBONE, ("layer1.0.conv1",), ("layer1",), pretrained=False)
    assert set(named(torch.rand(2, 3, 32, 32))) == {"layer1.0.conv1", "layer1"}


def test_gradients_flow_to_the_input_not_the_backbone():
    net = FeatureNet(TINY_BACKBONE, pretrained=False)
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    sum(v.sum() for v in net(x).values()).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in net.parameters())


def test_unknown_backbone_suggests_close_names():
    with pytest.raises(ZooError, match=r"unknown backbone 'vgg91'.*did you mean .*vgg19"):
        FeatureNet("vgg91", pretrained=False)


def test_unknown_layer_lists_the_valid_ones():
    with pytest.raises(ZooError, match=r"has no layer 'relu9_1'.*choose from .*act1, layer1"):
        FeatureNet(TINY_BACKBONE, ("layer2",), ("relu9_1",), pretrained=False)


def test_bundled_squeezenet_gives_named_imagenet_layers_and_its_own_weights():
    from zoo_style_transfer.features import BUNDLED_BACKBONE, SQUEEZENET_CONTENT_LAYERS, SQUEEZENET_STYLE_LAYERS

    net = FeatureNet(BUNDLED_BACKBONE)
    assert net.layers.content == SQUEEZENET_CONTENT_LAYERS and net.layers.style == SQUEEZENET_STYLE_LAYERS
    assert net.default_optimizer == "adam" and net.default_weights.style == 1e3
    found = net(torch.rand(1, 3, 64, 64))
    assert found["relu1"].shape == (1, 64, 31, 31) and found["fire5"].shape[1] == 256
    random = FeatureNet(BUNDLED_BACKBONE, pretrained=False)
    assert not torch.allclose(random(torch.ones(1, 3, 32, 32))["fire2"], net(torch.ones(1, 3, 32, 32))["fire2"])


def test_without_a_named_backbone_an_unreachable_vgg19_falls_back_to_squeezenet_with_a_note(monkeypatch, tmp_path):
    """Downloads off and an empty cache: VGG19 cannot be had, so the bundled features are used and said so."""
    from zoo_style_transfer.features import BackboneUnavailable, feature_net

    monkeypatch.setenv("ZOO_NO_DOWNLOAD", "1")  # read when used; huggingface_hub reads HF_HUB_OFFLINE at import
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    net, note = feature_net(None)
    assert net.backbone_name == "squeezenet1_1"
    assert note.startswith("using the bundled ImageNet SqueezeNet 1.1 features: vgg19.tv_in1k has no pinned weights")
    assert "\n" not in note
    with pytest.raises(BackboneUnavailable):
        feature_net("vgg19.tv_in1k")  # named explicitly: no silent substitute
    with pytest.raises(ZooError, match="the layers you named are for vgg19.tv_in1k"):
        feature_net(None, ("relu4_2",), ("relu1_1",))
