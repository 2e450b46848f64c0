"""SqueezeNet 1.1 with its ImageNet weights, bundled: real ImageNet features with no download.

Iandola et al. 2016, "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB
model size" (arXiv:1602.07360); version 1.1 is DeepScale's cheaper revision (same accuracy, 2.4x
less compute). The weights are DeepScale's Caffe model (BSD-2-Clause) as recovered in fp16 by
nihui/ncnn-assets and ported by ``zoo_core/scripts/port_squeezenet.py``. Key names follow
torchvision's ``squeezenet1_1``.

The Caffe network expects **BGR** pixels in 0–255 minus the mean (104, 117, 123): getting that
wrong ruins the features without any error, so the module takes RGB in [0, 1] and converts
itself. Caffe's last conv (1x1) has padding 1; it is kept so the logits are the original ones.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import torch
from torch import nn

from zoo.errors import ZooError

WEIGHTS = "weights/squeezenet1_1-imagenet.safetensors"
NAME = "squeezenet1_1"
INPUT_SIZE = 227  # the Caffe model's training crop
MEAN_BGR = (104.0, 117.0, 123.0)
LAYERS = {
    # The paper's layer names -> module names (torchvision's ``features`` indices).
    "conv1": "features.0", "relu1": "features.1", "pool1": "features.2",
    "fire2": "features.3", "fire3": "features.4", "pool3": "features.5",
    "fire4": "features.6", "fire5": "features.7", "pool5": "features.8",
    "fire6": "features.9", "fire7": "features.10", "fire8": "features.11", "fire9": "features.12",
}  # fmt: skip


class Fire(nn.Module):
    """Squeeze (1x1) then expand (1x1 and 3x3, concatenated), ReLU after each: the SqueezeNet block."""

    def __init__(self, c_in: int, squeeze: int, expand: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(c_in, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, expand, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.squeeze(x))
        return torch.cat([self.relu(self.expand1x1(x)), self.relu(self.expand3x3(x))], 1)


def _pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(3, 2, ceil_mode=True)  # Caffe rounds pooled sizes up


class SqueezeNet11(nn.Module):
    """RGB images in [0, 1] (any size >= 32) -> 1000 ImageNet logits; ``embed`` gives the 512-d pooled features."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, stride=2), nn.ReLU(), _pool(),
            Fire(64, 16, 64), Fire(128, 16, 64), _pool(),
            Fire(128, 32, 128), Fire(256, 32, 128), _pool(),
            Fire(256, 48, 192), Fire(384, 48, 192), Fire(384, 64, 256), Fire(512, 64, 256),
        )  # fmt: skip
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(512, num_classes, 1, padding=1), nn.ReLU())
        self.register_buffer("mean_bgr", torch.tensor(MEAN_BGR).view(1, 3, 1, 1), persistent=False)

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1] -> the Caffe input: BGR, 0–255, mean subtracted."""
        return images.flip(1) * 255.0 - self.mean_bgr.to(images.dtype)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """512-d features: fire9's output averaged over space."""
        return self.features(self.preprocess(images)).mean(dim=(2, 3))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (the Caffe model's global-average-pooled conv10)."""
        return self.classifier(self.features(self.preprocess(images))).mean(dim=(2, 3))


def bundled_weights() -> Path:
    """The ImageNet weights shipped inside zoo-core."""
    path = Path(str(resources.files("zoo.backbones").joinpath(WEIGHTS)))
    if not path.is_file():
        raise ZooError(f"the SqueezeNet 1.1 weights are missing from this installation ({path}): reinstall zoo-core")
    return path


def load_squeezenet(pretrained: bool = True) -> SqueezeNet11:
    """SqueezeNet 1.1, eval mode and frozen; ImageNet weights (stored fp16, computed fp32) unless not ``pretrained``."""
    from zoo.weights import apply_state, load_tensors

    network = SqueezeNet11()
    if pretrained:
        path = bundled_weights()
        apply_state(network, load_tensors(path), str(path))
    return network.eval().requires_grad_(False)
