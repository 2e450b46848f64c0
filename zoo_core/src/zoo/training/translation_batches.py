"""Batches of image pairs (or of two unpaired domains) for the translation trainer, a function of the step alone.

Each side's order is a fresh permutation per epoch, seeded by (run seed, side, epoch); a step's batch is
the slice of that order at (step, rank), so a resumed run sees exactly the images an uninterrupted one
does, on one process or many. Paired data reads A and B at the same indices; unpaired data walks
each domain in its own order, as CycleGAN's unaligned loader draws B independently of A.

``AugmentedBatches`` turns a step's uint8 images into the augmented float batch, in the trainer's process
and from the step's generator; ``TranslationBatches`` takes those images from memory, and
``translation_streaming.StreamedTranslationBatches`` from DataLoader workers, so the two give the same batches.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import nn

from zoo.errors import ZooError
from zoo.training.data import match_channels
from zoo.translation_data import TranslationData, augment_pair

_SIDE_SEEDS = {"A": 0, "B": 1}


@lru_cache(maxsize=4)
def _epoch_order(n: int, seed: int, side: str, epoch: int) -> torch.Tensor:
    """The order in which one side's images are visited during ``epoch``."""
    generator = torch.Generator().manual_seed((seed * 1_000_003 + _SIDE_SEEDS[side]) * 1_000_033 + epoch)
    return torch.randperm(n, generator=generator)


def schedule(n: int, seed: int, side: str, step: int, batch_size: int, rank: int = 0, world: int = 1) -> list[int]:
    """The indices of ``side`` that rank ``rank`` trains on at ``step``."""
    start = (step * world + rank) * batch_size
    indices = []
    for position in range(start, start + batch_size):
        epoch, offset = divmod(position, n)
        indices.append(int(_epoch_order(n, seed, side, epoch)[offset]))
    return indices


def as_tensor(images: np.ndarray, channels: int, where: str) -> torch.Tensor:
    """uint8 (N, H, W, C) numpy -> uint8 (N, channels, H, W) tensor (grey repeated, RGB to luminance)."""
    return match_channels(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), channels, where)


class AugmentedBatches:
    """What both loaders share: a step's indices, and its uint8 images made augmented batches in [0, 1]."""

    paired: bool
    sizes: tuple[int, int]  # images in A, in B
    classes: tuple[str, ...] = ()
    description = ""

    def _configure(
        self,
        crop_size: int,
        load_size: int,
        flip: bool,
        batch_size: int,
        seed: int,
        rank: int,
        world: int,
        two_domains: bool = False,
    ) -> None:
        """Augmentation and schedule settings, checked; ``two_domains`` walks paired data's sides apart."""
        if two_domains:
            self.paired = False
        self.crop_size, self.load_size, self.flip = crop_size, load_size or crop_size, flip
        if self.load_size < crop_size:
            raise ZooError(f"load_size={load_size} is below the model's size {crop_size}: set load_size >= {crop_size}")
        self.batch_size, self.seed, self.rank, self.world = batch_size, seed, rank, world

    def _describe(self, source: str, size: tuple[int, ...], channels: tuple[int, int], how: str) -> str:
        """The run's "data:" line: what is read (channels as the model takes them), how augmented, where held."""
        layout = "pairs" if self.paired else "unpaired images"
        return (
            f"{source}: {self.sizes[0]} A and {self.sizes[1]} B {layout} of {tuple(size)} px, "
            f"{channels[0]} -> {channels[1]} channels, resized to "
            f"{self.load_size} and cropped to {self.crop_size} at random{', flipped' if self.flip else ''}; {how}"
        )

    def indices(self, step: int) -> tuple[list[int], list[int]]:
        """The A and B indices of ``step`` on this rank (a pair's are the same)."""
        a_index = schedule(self.sizes[0], self.seed, "A", step, self.batch_size, self.rank, self.world)
        b_index = a_index if self.paired else schedule(
            self.sizes[1], self.seed, "B", step, self.batch_size, self.rank, self.world
        )  # fmt: skip
        return a_index, b_index

    def images(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 (B, C, H, W) A and B images of ``step``, at the model's channels."""
        raise NotImplementedError

    def head(self, n: int) -> TranslationData:
        """The first ``n`` images of each side (the sample grids' fallback when the data has no test split)."""
        raise NotImplementedError

    def batch(self, step: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(A, B) float batches in [0, 1] for ``step``; a pair shares its crop and flip."""
        a, b = self.images(step)
        a, b = a.float() / 255, b.float() / 255
        sizes = {"load_size": self.load_size, "crop_size": self.crop_size, "flip": self.flip}
        if self.paired:
            a, b = augment_pair(a, b, generator, **sizes)
            return a, b
        a, _ = augment_pair(a, None, generator, **sizes)
        b, _ = augment_pair(b, None, generator, **sizes)
        return a, b

    def close(self) -> None:
        """Stop any worker processes."""


class TranslationBatches(AugmentedBatches):
    """Both sides of the training data in memory, cut into augmented batches in [0, 1] by step."""

    def __init__(
        self,
        data: TranslationData,
        channels: tuple[int, int],
        *,
        crop_size: int,
        load_size: int,
        flip: bool,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
        two_domains: bool = False,
    ) -> None:
        self.a = as_tensor(data.a, channels[0], f"{data.source} A")
        self.b = as_tensor(data.b, channels[1], f"{data.source} B")
        self.paired, self.sizes = data.paired, (len(self.a), len(self.b))
        self._configure(crop_size, load_size, flip, batch_size, seed, rank, world, two_domains)
        self._data = (data.layout, data.split, data.source)
        size = (self.a.numel() + self.b.numel()) / 2**20
        self.description = self._describe(data.source, self.a.shape[2:], channels, f"in memory ({size:,.0f} MiB)")

    def images(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        a_index, b_index = self.indices(step)
        return self.a[a_index], self.b[b_index]

    def head(self, n: int) -> TranslationData:
        """The first ``n`` of each side, already at the model's channels (converting them again changes nothing)."""
        a, b = (np.ascontiguousarray(x[:n].permute(0, 2, 3, 1).numpy()) for x in (self.a, self.b))
        return TranslationData(a, b, *self._data)


class ImagePool(nn.Module):
    """A history of generated images shown to D (Shrivastava et al. 2017, as CycleGAN uses one of 50).

    Kept as buffers so the checkpoint holds the pool and a resumed run draws the same history.
    """

    def __init__(self, size: int, channels: int, resolution: int) -> None:
        super().__init__()
        self.size = size
        self.register_buffer("images", torch.zeros(size, channels, resolution, resolution))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))

    def query(self, fakes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Fakes for D: each new image is stored while the pool fills; then half the time it swaps with a stored one."""
        if self.size == 0:
            return fakes
        fakes = fakes.detach()
        if fakes.shape[-2:] != self.images.shape[-2:]:
            raise ZooError(f"the image pool holds {tuple(self.images.shape[-2:])} px images, got {tuple(fakes.shape)}")
        chosen = []
        for image in fakes:
            filled = int(self.count)
            if filled < self.size:
                self.images[filled] = image
                self.count += 1
                chosen.append(image)
            elif float(torch.rand((), generator=generator)) < 0.5:
                slot = int(torch.randint(self.size, (), generator=generator))
                chosen.append(self.images[slot].clone())
                self.images[slot] = image
            else:
                chosen.append(image)
        return torch.stack(chosen)
