"""Training data as one uint8 tensor in memory, and a batch schedule that depends only on the step.

Deriving every batch from (seed, step, rank) through ``DistributedSampler`` makes a resumed run
see exactly the batches an uninterrupted one would, on one process or many.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DistributedSampler

from zoo.data import class_names, load_images
from zoo.data_formats import check_labels, is_torchvision_spec, one_line
from zoo.errors import ZooError, warn


@dataclass
class ImageData:
    """uint8 images (N, C, R, R), optional int64 labels (N,) and the labels' class names if known."""

    images: torch.Tensor
    labels: torch.Tensor | None
    classes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.images)


RESIZE_CHUNK = 1024  # images resized at a time: float32 memory is one chunk, not the whole dataset


def _torchvision_dataset(spec: str) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """``torchvision:NAME:ROOT`` (e.g. torchvision:CIFAR10:/data) read without downloading."""
    try:
        import torchvision
    except ImportError:
        raise ZooError(f"{spec!r} needs torchvision: pip install torchvision") from None

    _, name, root = (spec.split(":", 2) + ["", ""])[:3]
    cls = getattr(torchvision.datasets, name, None)
    if cls is None or not root:
        raise ZooError(
            f"{spec!r}: use torchvision:DATASET:ROOT with a torchvision dataset class, e.g. torchvision:CIFAR10:/data"
        )
    try:
        dataset = cls(root, train=True, download=False) if "train" in cls.__init__.__code__.co_varnames else cls(root)
    except Exception as exc:  # noqa: BLE001 - datasets raise RuntimeError, FileNotFoundError, ValueError, TypeError...
        raise ZooError(
            f"{spec!r}: torchvision could not open {name} in {root!r} ({one_line(exc)}): "
            "put the dataset's files there (zoo does not download them)"
        ) from None
    try:
        items = [dataset[i] for i in range(len(dataset))]
        if not items:
            raise ZooError(f"{spec!r}: {name} in {root!r} holds no images")
        images = np.stack([np.asarray(image.convert("RGB")) for image, _ in items])
        labels = np.asarray([label for _, label in items])
    except ZooError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file or an odd dataset must not end in a traceback
        raise ZooError(
            f"{spec!r}: reading {name} from {root!r} failed ({one_line(exc)}): check the files there"
        ) from None
    return images, labels, tuple(str(name) for name in getattr(dataset, "classes", ()))


def resize_images(data: torch.Tensor, resolution: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> (N, C, R, R), RESIZE_CHUNK images at a time into one uint8 result."""
    mode = "area" if data.shape[-1] > resolution else "bilinear"
    out = torch.empty((len(data), data.shape[1], resolution, resolution), dtype=torch.uint8)
    for start in range(0, len(data), RESIZE_CHUNK):
        chunk = data[start : start + RESIZE_CHUNK].float()
        resized = F.interpolate(chunk, size=(resolution, resolution), mode=mode)
        out[start : start + RESIZE_CHUNK] = resized.round_().clamp_(0, 255).to(torch.uint8)
    return out


def match_channels(images: torch.Tensor, channels: int, source: str) -> torch.Tensor:
    """uint8 (N, C, H, W) with C = ``channels``: grey repeated to RGB; RGB to luminance (BT.601), with a warning."""
    if images.shape[1] == channels:
        return images
    if channels == 3 and images.shape[1] == 1:
        return images.expand(-1, 3, -1, -1)
    if channels == 1 and images.shape[1] == 3:
        warn(f"{source}: converting RGB images to grayscale for a 1-channel model")
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (images.float() * weights).sum(1, keepdim=True).round_().clamp_(0, 255).to(torch.uint8)
    raise ZooError(f"{source}: images with {images.shape[1]} channels cannot feed a {channels}-channel model")


def load_training_data(
    path: str, resolution: int, conditional: bool, *, num_classes: int | None = None, channels: int = 3
) -> ImageData:
    """Load images at ``resolution`` (resizing with a warning) and ``channels``, and labels when the model needs them.

    ``num_classes`` (the model's) lets bad labels fail here in one line rather than deep in training.
    """
    if is_torchvision_spec(path):
        images, labels, classes = _torchvision_dataset(path)
    else:
        (images, labels), classes = load_images(path, class_folders=conditional), class_names(path)
    label_tensor = None
    if conditional:
        if labels is None:
            raise ZooError(
                f"{path} has no labels but the model is class-conditional: add a `labels` array "
                "(one class index per image) with np.savez(path, images=..., labels=...)"
            )
        labels = check_labels(path, labels, len(images), num_classes, classes)
        label_tensor = torch.from_numpy(labels.astype(np.int64))
    data = match_channels(torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2), channels, path)
    if data.shape[-2:] != (resolution, resolution):
        if data.shape[-2] != data.shape[-1]:
            raise ZooError(f"{path}: images are {tuple(data.shape[-2:])}, not square: crop them to a square first")
        message = f"resizing {tuple(data.shape[-2:])} images to {resolution}x{resolution}"
        warn(message)
        data = resize_images(data, resolution)
    return ImageData(data.contiguous(), label_tensor, classes if conditional else ())


class BatchSchedule:
    """Which dataset indices rank ``rank`` trains on at a given step, reproducibly."""

    def __init__(self, size: int, batch_size: int, seed: int, rank: int = 0, world: int = 1) -> None:
        if size < batch_size * world:
            raise ZooError(
                f"the dataset has {size} images, fewer than one global batch ({batch_size * world}): "
                f"add images or pass a smaller --set batch_size=N"
            )
        self.batch_size = batch_size
        self.sampler = DistributedSampler(
            range(size), num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=True
        )
        self.per_epoch = len(self.sampler) // batch_size
        self._epoch, self._order = -1, torch.empty(0, dtype=torch.long)

    def indices(self, step: int) -> torch.Tensor:
        """The ``batch_size`` indices of batch number ``step`` (0-based) for this rank."""
        epoch, position = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            self.sampler.set_epoch(epoch)
            self._epoch, self._order = epoch, torch.tensor(list(iter(self.sampler)), dtype=torch.long)
        return self._order[position * self.batch_size : (position + 1) * self.batch_size]


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float in [-1, 1]."""
    return images.float().div_(127.5).sub_(1.0)


def random_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror half of the images left-right."""
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1).to(x.device), x.flip(-1), x)
