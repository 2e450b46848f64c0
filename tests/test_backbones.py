"""The bundled ImageNet SqueezeNet 1.1: real weights, the Caffe input convention kept inside the module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from zoo.backbones.squeezenet import LAYERS, MEAN_BGR, SqueezeNet11, bundled_weights, load_squeezenet
from zoo.weights import read_metadata

CHELSEA = Path(__file__).parent / "data" / "chelsea-96.png"  # scikit-image's chelsea (CC0), centre crop
EGYPTIAN_CAT, TIGER_CAT, TABBY = 285, 282, 281


def _photo() -> torch.Tensor:
    image = Image.open(CHELSEA).resize((227, 227), Image.BILINEAR)
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)[None].float() / 255


def test_the_bundled_weights_are_the_ported_imagenet_network() -> None:
    meta = read_metadata(bundled_weights())
    assert "1695dcfb8540b63af02f1366543caf3159525f2f1c41e0d65be18c761ebaaaa4" in meta["zoo.source"]
    assert meta["zoo.input"].startswith("BGR")


def test_a_cat_photo_is_classified_as_a_cat_with_the_logits_measured_when_bundled() -> None:
    logits = load_squeezenet()(_photo())[0]
    top = logits.topk(3)
    assert top.indices.tolist() == [EGYPTIAN_CAT, TIGER_CAT, TABBY]
    # Measured at bundling time; a change of preprocessing (RGB order, scale, mean) or padding moves them.
    assert top.values.tolist() == pytest.approx([21.5067, 20.7805, 20.5956], abs=2e-3)


def test_preprocessing_is_the_caffe_convention_bgr_0_255_minus_mean() -> None:
    net = SqueezeNet11()
    x = torch.rand(2, 3, 8, 8)
    expected = torch.stack([x[:, 2] * 255 - MEAN_BGR[0], x[:, 1] * 255 - MEAN_BGR[1], x[:, 0] * 255 - MEAN_BGR[2]], 1)
    assert torch.allclose(net.preprocess(x), expected, atol=1e-4)


def test_random_weights_differ_and_every_named_layer_exists() -> None:
    random_net = load_squeezenet(pretrained=False)
    assert not torch.allclose(random_net(_photo()), load_squeezenet()(_photo()))
    modules = dict(random_net.named_modules())
    assert all(name in modules for name in LAYERS.values())
    assert not any(p.requires_grad for p in random_net.parameters())
