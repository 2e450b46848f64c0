"""ImageNet SqueezeNet 1.1 as a feature extractor: real ImageNet features for any resolution, offline.

The FID Inception weights must be downloaded and ``zoo-cifar10-resnet`` only knows 32x32 CIFAR-10;
the bundled SqueezeNet (``zoo.backbones.squeezenet``, Iandola et al. 2016) evaluates any square
size, grayscale included, with no network. Images are resized (bilinear, antialiased) to the
network's 227x227 input; features are fire9's 512 channels averaged over space, logits the 1000
ImageNet classes. Numbers are labelled "(squeezenet1_1-imagenet features)": they are not Inception
FID and do not compare with published FIDs, only with each other under the same protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from zoo.metrics.extractors import (
    LOGITS,
    POOL,
    ExtractorSpec,
    check_finite,
    check_images,
    check_outputs,
    check_precision,
)


class SqueezeNetExtractor:
    """'pool' (512) and 'logits' (1000) of ImageNet SqueezeNet 1.1 for uint8 images of any size."""

    def __init__(self, spec: ExtractorSpec, device: str | torch.device = "cpu", precision: str = "float32") -> None:
        from zoo.backbones.squeezenet import INPUT_SIZE, bundled_weights, load_squeezenet
        from zoo.weights import sha256_file

        self.spec, self.name, self.dims = spec, spec.name, dict(spec.dims)
        self.precision = check_precision(precision)
        self.device = torch.device(device)
        self.sha256 = sha256_file(bundled_weights())
        self.dtype = torch.float64 if precision == "float64" else torch.float32
        self.size = INPUT_SIZE
        # channels-last: oneDNN's fast convolution layout (1.8x on a 1-thread AVX2 CPU, benchmarks/bench_eval.py)
        self.network = load_squeezenet().to(device=self.device, dtype=self.dtype, memory_format=torch.channels_last)

    @property
    def protocol(self) -> dict[str, Any]:
        """Everything that changes the features, recorded next to every result."""
        return {
            "extractor": self.name,
            "network": "SqueezeNet-1.1 ImageNet features (DeepScale Caffe weights), 512-d fire9 average; not Inception",
            "weights_sha256": self.sha256,
            "resize": f"bilinear with antialias to {self.size}x{self.size}; grayscale repeated to RGB",
            "precision": self.precision,
        }

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, outputs: Sequence[str] = (POOL,)) -> dict[str, torch.Tensor]:
        """Float32 features of uint8 images (N, 1 or 3, H, W), one tensor per requested output."""
        check_outputs(self.name, self.dims, outputs)
        if torch.is_tensor(images) and images.ndim == 4 and images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        images = check_images(images, spec=self.spec)
        x = images.to(device=self.device, dtype=self.dtype) / 255
        if x.shape[-2:] != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bfloat16"):
            maps = self.network.features(self.network.preprocess(x))
            pool = maps.mean(dim=(2, 3))
            logits = self.network.classifier(maps).mean(dim=(2, 3)) if LOGITS in outputs else None
        features = {POOL: pool, LOGITS: logits}
        return {key: check_finite(features[key].float().cpu(), self.name) for key in outputs}
