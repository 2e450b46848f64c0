"""The zoo's own CIFAR-10 feature extractor: a small residual classifier whose 256-d penultimate
features embed 32x32 images.

Inception features are the standard, but the network was trained on 299x299 ImageNet photos and
its weights come from outside; a classifier trained by the project on the CIFAR-10 train split
is cheap, fully reproducible (``python -m zoo.metrics.train_resnet``) and sees 32x32 images at
their native size. Numbers computed with it are labelled "FID (zoo-cifar10-resnet features)",
never "Inception FID": they are not comparable with published FIDs.

The layout is a half-width version of the residual network of Page 2018 ("How to train your
ResNet", DAWNBench): conv-BN-ReLU stages with max-pool downsampling and two residual blocks
(He et al. 2016, "Deep residual learning").
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo.errors import ZooError
from zoo.metrics.extractors import (
    LOGITS,
    POOL,
    ExtractorSpec,
    check_finite,
    check_images,
    check_outputs,
    check_precision,
)

WEIGHTS = "weights/zoo-cifar10-resnet.safetensors"
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


def conv_bn(cin: int, cout: int, pool: bool = False) -> nn.Sequential:
    """3x3 conv, batch norm, ReLU, and an optional 2x2 max pool."""
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """x + f(f(x)): two conv-BN-ReLU layers with an identity shortcut."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels))
        nn.init.zeros_(self.body[1][1].weight)  # start as identity (Goyal et al. 2017): stable at high learning rates

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class CifarResNet(nn.Module):
    """uint8-range-agnostic classifier: normalised (N, 3, 32, 32) -> (256-d features, 10 logits)."""

    def __init__(self, width: int = 32, num_classes: int = 10) -> None:
        super().__init__()
        w = width
        self.register_buffer("mean", torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(CIFAR_STD).view(1, 3, 1, 1))
        self.stem = conv_bn(3, w)
        self.layer1 = nn.Sequential(conv_bn(w, 2 * w, pool=True), Residual(2 * w))
        self.layer2 = conv_bn(2 * w, 4 * w, pool=True)
        self.layer3 = nn.Sequential(conv_bn(4 * w, 8 * w, pool=True), Residual(8 * w))
        self.fc = nn.Linear(8 * w, num_classes)
        self.feature_dim = 8 * w

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features of images in [0, 1]."""
        x = (images - self.mean) / self.std
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return F.adaptive_max_pool2d(x, 1).flatten(1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits of images in [0, 1] (training)."""
        return self.fc(self.embed(images))


def bundled_weights() -> Path:
    """The trained weights shipped inside the core package."""
    path = Path(str(resources.files("zoo.metrics").joinpath(WEIGHTS)))
    if not path.is_file():
        raise ZooError(
            f"the zoo-cifar10-resnet weights are missing from this installation ({path}): "
            "reinstall zoo-core, or train them with 'python -m zoo.metrics.train_resnet'"
        )
    return path


def load_resnet(path: str | Path) -> CifarResNet:
    """Build the classifier and fill it strictly from safetensors (stored in fp16, computed in fp32)."""
    from zoo.weights import apply_state, load_tensors

    network = CifarResNet()
    apply_state(network, load_tensors(path), str(path))
    return network.float().eval().requires_grad_(False)


class ResNetExtractor:
    """The CIFAR-10 classifier as a zoo feature extractor: 'pool' (256) and 'logits' (10)."""

    def __init__(
        self,
        spec: ExtractorSpec,
        device: str | torch.device = "cpu",
        precision: str = "float32",
        weights: str | Path | None = None,
    ) -> None:
        from zoo.weights import sha256_file

        self.spec, self.name, self.dims, self.input_size = spec, spec.name, dict(spec.dims), spec.input_size or 32
        self.precision = check_precision(precision)
        self.device = torch.device(device)
        path = Path(weights) if weights is not None else bundled_weights()
        self.sha256 = sha256_file(path)
        self.dtype = torch.float64 if precision == "float64" else torch.float32
        # channels-last: oneDNN's fast convolution layout (1.4x on a 1-thread AVX2 CPU, benchmarks/bench_eval.py)
        self.network = load_resnet(path).to(device=self.device, dtype=self.dtype, memory_format=torch.channels_last)

    @property
    def protocol(self) -> dict[str, Any]:
        """Everything that changes the features, recorded next to every result."""
        return {
            "extractor": self.name,
            "network": "zoo CIFAR-10 ResNet classifier, 256-d penultimate features",
            "weights_sha256": self.sha256,
            "resize": "none for 32x32; 32k x 32k images are averaged over k x k blocks (area) to 32x32",
            "precision": self.precision,
        }

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, outputs: Sequence[str] = (POOL,)) -> dict[str, torch.Tensor]:
        """Float32 features of uint8 images (N, 3, 32k, 32k), area-averaged to 32x32, for each requested output."""
        check_outputs(self.name, self.dims, outputs)
        images = check_images(images, spec=self.spec)
        x = images.to(device=self.device, dtype=self.dtype) / 255
        factor = images.shape[-1] // self.input_size
        if factor > 1:
            x = torch.nn.functional.avg_pool2d(x, factor)
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bfloat16"):
            pool = self.network.embed(x)
            logits = self.network.fc(pool) if LOGITS in outputs else None
        features = {POOL: pool, LOGITS: logits}
        return {key: check_finite(features[key].float().cpu(), self.name) for key in outputs}
