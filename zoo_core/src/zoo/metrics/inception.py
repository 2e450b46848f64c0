"""The FID Inception network: InceptionV3 with the TensorFlow 2015-12-05 weights, as FID defines it.

Heusel et al. 2017 ("GANs trained by a two time-scale update rule converge to a local Nash
equilibrium") compute FID on the pool_3 features of the TensorFlow Inception graph of
2015-12-05; Szegedy et al. 2016 ("Rethinking the Inception architecture") define the network.
That graph differs from torchvision's InceptionV3: 1008 classes, average pools that do not
count padding (Mixed_5*, Mixed_6b-e, Mixed_7b) and a *max* pool in the last block (Mixed_7c).
Parameter names follow the published state dict so the ``.pth`` converts one to one.

Two input pipelines are offered, because published numbers use both:
``resize="torch"`` is pytorch-fid's (x/255, torch bilinear to 299, 2x-1);
``resize="tf1"`` is TensorFlow 1.x / torch-fidelity's (legacy bilinear on 0..255, (x-128)/128).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from zoo.errors import ZooError
from zoo.metrics.downloads import inception_weights_path
from zoo.metrics.extractors import (
    LOGITS,
    POOL,
    ExtractorSpec,
    check_finite,
    check_images,
    check_outputs,
    check_precision,
)

INPUT_SIZE = 299
RESIZES = ("torch", "tf1")

# (name, out_channels, kernel, stride, padding); in_channels follow from the previous conv of the branch.
Conv = tuple[str, int, Any, int, Any]


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm (eps 1e-3 as in TF), ReLU; BN folds into the conv for inference."""

    def __init__(self, in_channels: int, out_channels: int, kernel: Any, stride: int = 1, padding: Any = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding, bias=False)
        self.bn: nn.Module = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)

    @torch.no_grad()
    def fold_batchnorm(self) -> None:
        """Fold the (frozen) batch norm into the conv: one pass over activations instead of two."""
        bn = self.bn
        if not isinstance(bn, nn.BatchNorm2d):
            return
        scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
        weight = self.conv.weight.double() * scale[:, None, None, None]
        bias = bn.bias.double() - bn.running_mean.double() * scale
        self.conv.weight.copy_(weight.to(self.conv.weight.dtype))
        self.conv.bias = nn.Parameter(bias.to(self.conv.weight.dtype), requires_grad=False)
        self.bn = nn.Identity()


def _pool(kind: str, x: torch.Tensor) -> torch.Tensor:
    """The pools of the TF graph: 'avg' ignores padding (TF), 'max1' keeps size, 'max2' halves it."""
    if kind == "avg":
        return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
    if kind == "max1":
        return F.max_pool2d(x, 3, stride=1, padding=1)
    return F.max_pool2d(x, 3, stride=2)


class Mixed(nn.Module):
    """An Inception block described as data: parallel branches of convs (optionally forked), concatenated."""

    def __init__(self, in_channels: int, branches: Sequence[Mapping[str, Any]]) -> None:
        super().__init__()
        self.branches = [dict(b) for b in branches]
        for branch in self.branches:
            channels = in_channels
            for name, out, kernel, stride, padding in branch.get("convs", ()):
                self.add_module(name, BasicConv2d(channels, out, kernel, stride, padding))
                channels = out
            for name, out, kernel, stride, padding in branch.get("fork", ()):
                self.add_module(name, BasicConv2d(channels, out, kernel, stride, padding))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = []
        for branch in self.branches:
            y = _pool(branch["pool"], x) if "pool" in branch else x
            for conv in branch.get("convs", ()):
                y = getattr(self, conv[0])(y)
            if "fork" in branch:
                y = torch.cat([getattr(self, conv[0])(y) for conv in branch["fork"]], 1)
            outputs.append(y)
        return torch.cat(outputs, 1)


def block_a(cin: int, pool_features: int) -> Mixed:
    """35x35 block (Mixed_5b-d)."""
    return Mixed(cin, [
        {"convs": [("branch1x1", 64, 1, 1, 0)]},
        {"convs": [("branch5x5_1", 48, 1, 1, 0), ("branch5x5_2", 64, 5, 1, 2)]},
        {"convs": [("branch3x3dbl_1", 64, 1, 1, 0), ("branch3x3dbl_2", 96, 3, 1, 1), ("branch3x3dbl_3", 96, 3, 1, 1)]},
        {"pool": "avg", "convs": [("branch_pool", pool_features, 1, 1, 0)]},
    ])  # fmt: skip


def block_b(cin: int) -> Mixed:
    """35 -> 17 reduction (Mixed_6a)."""
    return Mixed(cin, [
        {"convs": [("branch3x3", 384, 3, 2, 0)]},
        {"convs": [("branch3x3dbl_1", 64, 1, 1, 0), ("branch3x3dbl_2", 96, 3, 1, 1), ("branch3x3dbl_3", 96, 3, 2, 0)]},
        {"pool": "max2"},
    ])  # fmt: skip


def block_c(cin: int, c7: int) -> Mixed:
    """17x17 block with factorised 7x7 convolutions (Mixed_6b-e)."""
    row, col = ((1, 7), 1, (0, 3)), ((7, 1), 1, (3, 0))
    return Mixed(cin, [
        {"convs": [("branch1x1", 192, 1, 1, 0)]},
        {"convs": [("branch7x7_1", c7, 1, 1, 0), ("branch7x7_2", c7, *row), ("branch7x7_3", 192, *col)]},
        {"convs": [("branch7x7dbl_1", c7, 1, 1, 0), ("branch7x7dbl_2", c7, *col), ("branch7x7dbl_3", c7, *row),
                   ("branch7x7dbl_4", c7, *col), ("branch7x7dbl_5", 192, *row)]},
        {"pool": "avg", "convs": [("branch_pool", 192, 1, 1, 0)]},
    ])  # fmt: skip


def block_d(cin: int) -> Mixed:
    """17 -> 8 reduction (Mixed_7a)."""
    return Mixed(cin, [
        {"convs": [("branch3x3_1", 192, 1, 1, 0), ("branch3x3_2", 320, 3, 2, 0)]},
        {"convs": [("branch7x7x3_1", 192, 1, 1, 0), ("branch7x7x3_2", 192, (1, 7), 1, (0, 3)),
                   ("branch7x7x3_3", 192, (7, 1), 1, (3, 0)), ("branch7x7x3_4", 192, 3, 2, 0)]},
        {"pool": "max2"},
    ])  # fmt: skip


def block_e(cin: int, pool: str) -> Mixed:
    """8x8 block with forked 1x3/3x1 convolutions (Mixed_7b with 'avg', Mixed_7c with 'max1' as in the TF graph)."""
    fork = [("{}a", 384, (1, 3), 1, (0, 1)), ("{}b", 384, (3, 1), 1, (1, 0))]
    return Mixed(cin, [
        {"convs": [("branch1x1", 320, 1, 1, 0)]},
        {"convs": [("branch3x3_1", 384, 1, 1, 0)], "fork": [(n.format("branch3x3_2"), *r) for n, *r in fork]},
        {"convs": [("branch3x3dbl_1", 448, 1, 1, 0), ("branch3x3dbl_2", 384, 3, 1, 1)],
         "fork": [(n.format("branch3x3dbl_3"), *r) for n, *r in fork]},
        {"pool": pool, "convs": [("branch_pool", 192, 1, 1, 0)]},
    ])  # fmt: skip


class FIDInceptionV3(nn.Module):
    """The network proper: normalised 299x299 input -> 2048-d pool features and 1008 unbiased logits."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = block_a(192, 32), block_a(256, 64), block_a(288, 64)
        self.Mixed_6a = block_b(288)
        self.Mixed_6b, self.Mixed_6c = block_c(768, 128), block_c(768, 160)
        self.Mixed_6d, self.Mixed_6e = block_c(768, 160), block_c(768, 192)
        self.Mixed_7a = block_d(768)
        self.Mixed_7b, self.Mixed_7c = block_e(1280, "avg"), block_e(2048, "max1")
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x: torch.Tensor, logits: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(pool features, logits without the fc bias as the original Inception Score code used them, or None)."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):  # fmt: skip
            x = block(x)
        pool = x.mean(dim=(2, 3))
        return pool, (pool @ self.fc.weight.T if logits else None)

    def fold_batchnorm(self) -> FIDInceptionV3:
        """Fold every batch norm into its conv (inference only)."""
        for module in self.modules():
            if isinstance(module, BasicConv2d):
                module.fold_batchnorm()
        return self


@functools.lru_cache(maxsize=8)
def _tf1_matrix(size_in: int, size_out: int) -> torch.Tensor:
    """Weights of TF 1.x resize_bilinear(align_corners=False): source = dest * in/out, no half-pixel shift.

    TF computes the scale, the source coordinate and the fraction in float32; so do we, to match it exactly.
    """
    scale = torch.tensor(size_in, dtype=torch.float32) / size_out
    source = torch.arange(size_out, dtype=torch.float32) * scale
    low = source.floor().long().clamp(max=size_in - 1)
    high = (low + 1).clamp(max=size_in - 1)
    frac = (source - source.floor()).double()
    matrix = torch.zeros(size_out, size_in, dtype=torch.float64)
    rows = torch.arange(size_out)
    matrix.index_put_((rows, low), 1 - frac, accumulate=True)
    matrix.index_put_((rows, high), frac, accumulate=True)
    return matrix


def resize_tf1(x: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear resize of (N, C, H, W) floats exactly as TensorFlow 1.x did it (the original FID/IS code)."""
    rows = _tf1_matrix(x.shape[-2], size).to(x)
    cols = _tf1_matrix(x.shape[-1], size).to(x)
    return torch.einsum("oh,nchw,pw->ncop", rows, x, cols)


def preprocess(images: torch.Tensor, resize: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> the network's 299x299 input in [-1, 1], by the chosen pipeline."""
    if resize == "torch":  # pytorch-fid: ToTensor (x/255), F.interpolate bilinear, then 2x - 1
        x = images.to(dtype) / 255
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        return 2 * x - 1
    if resize == "tf1":  # TF graph: resize on 0..255, then (x - 128) / 128
        return (resize_tf1(images.to(dtype), INPUT_SIZE) - 128) / 128
    raise ZooError(f"unknown Inception resize {resize!r}: choose one of {', '.join(RESIZES)}")


def load_inception(path: str | os.PathLike[str], fold: bool = True) -> FIDInceptionV3:
    """Build the network and fill it from safetensors, checking every name and shape."""
    from zoo.weights import load_tensors, read_metadata

    tensors = {k: v for k, v in load_tensors(path).items() if not k.endswith("num_batches_tracked")}
    network = FIDInceptionV3()
    expected = {k: v for k, v in network.state_dict().items() if not k.endswith("num_batches_tracked")}
    problems = sorted(set(expected) ^ set(tensors))
    problems += [k for k in expected.keys() & tensors.keys() if expected[k].shape != tensors[k].shape]
    if problems:
        raise ZooError(
            f"{path} is not the FID Inception state dict (mismatched: {', '.join(problems[:5])}…): delete it to refetch"
        )
    network.load_state_dict(tensors, strict=False)
    network.source_sha256 = read_metadata(path).get("zoo.source_sha256", "")  # type: ignore[assignment]
    network.eval().requires_grad_(False)
    return network.fold_batchnorm() if fold else network


class InceptionExtractor:
    """The FID Inception as a zoo feature extractor: 'pool' (2048) and 'logits' (1008, unbiased)."""

    def __init__(
        self,
        spec: ExtractorSpec,
        device: str | torch.device = "cpu",
        precision: str = "float32",
        resize: str = "torch",
        weights: str | os.PathLike[str] | None = None,
        progress: bool = True,
    ) -> None:
        if resize not in RESIZES:
            raise ZooError(f"unknown Inception resize {resize!r}: choose one of {', '.join(RESIZES)}")
        self.name, self.dims, self.resize = spec.name, dict(spec.dims), resize
        self.precision = check_precision(precision)
        self.device = torch.device(device)
        path = Path(weights) if weights is not None else inception_weights_path(progress)
        self.network = load_inception(path)
        dtype = torch.float64 if precision == "float64" else torch.float32
        self.network.to(device=self.device, dtype=dtype).to(memory_format=torch.channels_last)
        self.dtype = dtype

    @property
    def protocol(self) -> dict[str, Any]:
        """Everything that changes the features, recorded next to every result."""
        return {
            "extractor": self.name,
            "network": "InceptionV3, TF 2015-12-05 FID weights (pytorch-fid port)",
            "weights_sha256": self.network.source_sha256,
            "resize": f"{'torch bilinear (pytorch-fid)' if self.resize == 'torch' else 'TF1 bilinear (torch-fidelity)'}"
            f" to {INPUT_SIZE}x{INPUT_SIZE}",
            "precision": self.precision,
        }

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, outputs: Sequence[str] = (POOL,)) -> dict[str, torch.Tensor]:
        """Float32 features of uint8 images (N, 3, H, W) for each requested output."""
        check_outputs(self.name, self.dims, outputs)
        images = check_images(images)
        x = preprocess(images.to(self.device), self.resize, self.dtype).contiguous(memory_format=torch.channels_last)
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bfloat16")
        with autocast:
            pool, logits = self.network(x, logits=LOGITS in outputs)
        features = {POOL: pool, LOGITS: logits}
        return {key: check_finite(features[key].float().cpu(), self.name) for key in outputs}
