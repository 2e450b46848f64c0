"""The handle ``zoo.load`` returns: a generator plus what it is, and seeded sampling."""

from __future__ import annotations

import contextlib
import operator
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from zoo import arguments
from zoo.bf16_accuracy import Bf16Accuracy
from zoo.boundary import public
from zoo.errors import ZooError
from zoo.images import to_uint8
from zoo.inference import InferencePlan, fast_inference, plan_for
from zoo.interfaces import TASK_IMAGE_TO_IMAGE, Generator, translation_route
from zoo.latent import check_truncation
from zoo.seeds import latent_generator
from zoo.specs import ArchitectureSpec, CheckpointSpec

MAX_SAMPLES = 100_000
"""Most images ``sample`` returns in memory."""
MAX_STREAMED_SAMPLES = 1_000_000
"""Most images ``sample_batches`` streams (its latents, drawn at once for reproducibility, stay in memory)."""
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def parse_dtype(dtype: str | torch.dtype | None) -> torch.dtype | None:
    """'float32' / 'bfloat16' / 'float16' (or fp32/bf16/fp16) or a torch dtype; 'auto' is None (the fast path)."""
    if isinstance(dtype, torch.dtype):
        if dtype not in DTYPES.values():
            raise ZooError(f"dtype {dtype} is not a float type the zoo runs in: choose one of {', '.join(DTYPES)}")
        return dtype
    if dtype is None or dtype == "auto":
        return None
    if not isinstance(dtype, str):
        raise ZooError(f"dtype must be a string such as 'float32' or a torch dtype, got {dtype!r}")
    aliases = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16", "float": "float32"}
    key = aliases.get(dtype, dtype)
    if key not in DTYPES:
        raise ZooError(f"unknown dtype {dtype!r}: choose auto or one of {', '.join(DTYPES)}")
    return DTYPES[key]


def parse_device(device: str | torch.device | None) -> torch.device:
    """A torch device that exists on this machine, or a ZooError saying which ones do."""
    if isinstance(device, torch.device):
        return device
    if device is not None and (not isinstance(device, str) or not device.strip()):
        raise ZooError(f"device must be a name such as 'cpu', 'cuda' or 'cuda:1', got {device!r}")
    try:
        parsed = torch.device(device or "cpu")
    except (RuntimeError, TypeError):
        raise ZooError(f"unknown device {device!r}: use 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available.get(parsed.type, False):
        raise ZooError(f"device {device!r} is not available on this machine: use 'cpu'")
    if parsed.type == "cuda" and parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise ZooError(f"device {device!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)")
    return parsed


UNTRAINED = "untrained"
"""``ModelHandle.source`` of freshly built weights (``zoo.build``, ``pretrained=False``); else a weights file's path."""


class ModelHandle:
    """A ready generator with its spec and card; ``sample`` gives the same images for the same seed."""

    def __init__(
        self,
        generator: Generator,
        architecture: ArchitectureSpec,
        config: Mapping[str, Any],
        checkpoint: CheckpointSpec | None = None,
        discriminator: torch.nn.Module | None = None,
        source: str = "",
        classes: Sequence[str] = (),
    ) -> None:
        self.generator = generator
        self._classes = tuple(classes)  # recorded by the trainer, for weights that have no card
        self.discriminator = discriminator
        self.architecture = architecture
        self.config = dict(config)
        self.checkpoint = checkpoint
        self.source = source
        self.exact = False  # True once a dtype was asked for: plain eager, no fast path (zoo.inference)

    @property
    def spec(self) -> CheckpointSpec | ArchitectureSpec:
        """The checkpoint spec when loaded from weights, else the architecture spec."""
        return self.checkpoint or self.architecture

    @property
    def card(self) -> str | None:
        """The model card's text, when the checkpoint has one."""
        from zoo.cards import card_body

        return card_body(self.checkpoint) if self.checkpoint else None

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names of a conditional model: its card's, else the ones its weights record (empty if unknown)."""
        return (self.checkpoint.classes if self.checkpoint else ()) or self._classes

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.generator.parameters()).dtype

    def to(self, device: str | torch.device | None = None, dtype: str | torch.dtype | None = None) -> ModelHandle:
        """Move (and optionally cast) the networks; returns self for chaining."""
        target, cast = parse_device(device) if device is not None else None, parse_dtype(dtype)
        for module in (self.generator, self.discriminator):
            if module is not None:
                module.to(device=target, dtype=cast)
        if cast is not None:
            self.exact = True  # a dtype the user chose is run as it is
        return self

    @property
    def inference_plan(self) -> InferencePlan:
        """How sample / interpolate / style_mix / transform run the generator here (``describe()`` says why).

        Decided once per generator, device, dtype and exactness; bf16 only with the checkpoint's recorded accuracy.
        """
        parameter = next(self.generator.parameters())
        key = (id(self.generator), parameter.device, parameter.dtype, self.exact)
        if getattr(self, "_plan", (None,))[0] != key:
            self._plan = (key, plan_for(self.generator, self.exact, self.bf16_accuracy))
        return self._plan[1]

    @property
    def bf16_accuracy(self) -> Bf16Accuracy | None:
        """How far bf16 moves these weights' images from float32, as their card records it (None: not measured)."""
        record = self.checkpoint.bf16_accuracy if self.checkpoint else None
        return Bf16Accuracy.from_mapping(record, self.checkpoint.name) if record else None

    def _fast(self) -> contextlib.AbstractContextManager:
        """The no-grad context of the inference plan (fast path, or exact when a dtype was asked for)."""
        self.generator.eval()
        return fast_inference(self.generator, self.inference_plan)

    def eval(self) -> ModelHandle:
        self.generator.eval()
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The generator's forward; image-to-image models also take a PIL image or a path (see ``translate``)."""
        if self.architecture.task == TASK_IMAGE_TO_IMAGE:
            return self.translate(*args, **kwargs)
        if args and not torch.is_tensor(args[0]):
            raise ZooError(
                f"{self.spec.name} generates images from latents and cannot be called on a {type(args[0]).__name__}: "
                f"use .sample(n) (calling the handle runs forward(z, y) on latent tensors)"
            )
        return self.generator(*args, **kwargs)

    def _require_latents(self, what: str) -> None:
        """Image-to-image networks have no latent space: say so instead of failing inside their forward."""
        if self.architecture.task == TASK_IMAGE_TO_IMAGE:
            raise ZooError(
                f"{self.spec.name} is image-to-image: it has no latent space to {what}; translate an image with "
                f"'zoo translate {self.spec.name} IMAGE -o OUT' or handle.translate(image)"
            )

    def translator(self, direction: str | None = None) -> tuple[torch.nn.Module, str, tuple[int, int]]:
        """(network, direction, (input, output) channels) of an image-to-image model; None = its default direction."""
        if self.architecture.task != TASK_IMAGE_TO_IMAGE:
            raise ZooError(
                f"{self.spec.name} generates images from latents, it does not translate images: use .sample(n) "
                f"or 'zoo sample {self.spec.name}'"
            )
        directions = tuple(getattr(self.generator, "directions", None) or ("a2b",))
        chosen = directions[0] if direction is None else direction
        if chosen not in directions:
            only = "only " if len(directions) == 1 else ""
            raise ZooError(
                f"{self.spec.name} translates {only}{' and '.join(directions)}, not {direction!r}: "
                f"choose --direction {' or '.join(directions)}"
            )
        network, channels = translation_route(self.generator, chosen)
        return network, chosen, channels

    @torch.no_grad()
    def translate(self, image: Any, *, direction: str | None = None, size: int | None = None) -> Any:
        """Image-to-image in ``direction`` (default: the model's first; two-way models also translate 'b2a').

        A tensor (N, C, H, W) or (C, H, W) in [0, 1] gives floats of the same layout; a PIL image or an image
        path gives a PIL image, longest side ``size`` if given. Files, folders and .npz: ``zoo.translate``.
        """
        from PIL import Image

        from zoo.image_io import carries_mask, open_image, resize_longest, to_pil, to_tensor

        network, _, (in_channels, _) = self.translator(direction)
        if torch.is_tensor(image):
            if image.dim() not in (3, 4) or image.shape[-3] != in_channels or min(image.shape[-2:]) < 1:
                raise ZooError(f"expected images (N, {in_channels}, H, W) in [0, 1], got {tuple(image.shape)}")
            if not image.is_floating_point() or not torch.isfinite(image).all():
                raise ZooError(
                    "expected finite float images in [0, 1]: the tensor has NaN/inf or is not floating point"
                )
            batch = image if image.dim() == 4 else image.unsqueeze(0)
            with self._fast():
                out = network(batch.to(device=self.device, dtype=self.dtype)).float()
            return out if image.dim() == 4 else out[0]
        if not isinstance(image, (str, os.PathLike, Image.Image)) or isinstance(image, bytes):
            raise ZooError(
                f"translate takes a PIL image, an image path or a tensor (N, {in_channels}, H, W) in [0, 1], got "
                f"{type(image).__name__} (a numpy array: PIL.Image.fromarray(array) first)"
            )
        if size is not None:
            arguments.integer(size, "size", 1, 4096)
        picture = open_image(image, what="input image", keep_alpha=carries_mask(in_channels)).image
        if size is not None:
            picture = resize_longest(picture, size)
        with self._fast():
            return to_pil(network(to_tensor(picture, in_channels).to(device=self.device, dtype=self.dtype)).float())

    def transform(self, image: Any, size: int | None = None) -> Any:
        """``translate`` in the model's default direction (the name this method had first; kept for callers)."""
        return self.translate(image, size=size)

    def label_indices(self, n: int, labels: Sequence[int | str] | torch.Tensor | None) -> torch.Tensor | None:
        """Validate class labels (names or indices) for a conditional generator."""
        num_classes = self.generator.num_classes
        if not num_classes:
            if labels is not None:
                raise ZooError(f"{self.architecture.name} is unconditional: do not pass labels")
            return None
        if labels is None:
            raise ZooError(f"{self.architecture.name} is class-conditional: pass labels (one of {self._class_list()})")
        if torch.is_tensor(labels):
            if labels.dim() > 1 or labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
                raise ZooError(
                    f"labels must be a 1-D integer tensor of class indices, got {labels.dtype} {tuple(labels.shape)}"
                )
            labels = labels.tolist()
        if isinstance(labels, np.ndarray):
            if labels.ndim != 1 or labels.dtype.kind not in "iuU":
                raise ZooError(
                    f"labels must be a 1-D array of class indices or names, got {labels.dtype} {labels.shape}"
                )
            labels = labels.tolist()
        if isinstance(labels, str) or (isinstance(labels, int) and not isinstance(labels, bool)):
            labels = [labels]  # one class for every image: labels="dog" or labels=3
        if isinstance(labels, bytes) or not isinstance(labels, Sequence):
            raise ZooError(f"labels must be a list of class names or indices, got {type(labels).__name__}")
        values = [self._class_index(label) for label in labels]
        if len(values) == 1:
            values *= n
        if len(values) != n:
            raise ZooError(f"got {len(values)} labels for {n} images: pass one label, or one per image")
        return torch.tensor(values, dtype=torch.long)

    def _class_list(self) -> str:
        return ", ".join(self.classes) if self.classes else f"0..{self.generator.num_classes - 1}"

    def _class_index(self, label: int | str) -> int:
        if isinstance(label, str) and not label.isdigit():
            if label in self.classes:
                return self.classes.index(label)
            # 'sneaker' finds 'Sneaker'; a case-folded name two classes share is refused, not guessed
            matches = [i for i, name in enumerate(self.classes) if name.casefold() == label.strip().casefold()]
            if len(matches) > 1:
                names = " and ".join(repr(self.classes[i]) for i in matches)
                raise ZooError(f"class {label!r} matches {names} when case is ignored: spell it exactly")
            if not matches:
                raise ZooError(f"unknown class {label!r}: choose one of {self._class_list()}")
            return matches[0]
        if isinstance(label, bool) or not isinstance(label, (int, str)) and not hasattr(label, "__index__"):
            raise ZooError(f"a label must be a class name or an integer index, got {type(label).__name__} {label!r}")
        index = int(label) if isinstance(label, str) else operator.index(label)
        if not 0 <= index < self.generator.num_classes:
            raise ZooError(f"class index {index} is out of range: choose one of {self._class_list()}")
        return index

    def sample(
        self,
        n: int,
        seed: int = 0,
        labels: Sequence[int | str] | torch.Tensor | None = None,
        truncation: float | None = None,
        batch_size: int = 64,
        output: str = "uint8",
    ) -> torch.Tensor:
        """``n`` images: uint8 (N, H, W, C) by default, or floats (N, C, H, W) in [-1, 1] with output='tensor'.

        Latents are drawn on the CPU from ``seed`` for all ``n`` at once, so the images do not
        depend on ``batch_size`` or the device beyond float rounding: on the fast path
        (``inference_plan``) a pixel may differ by one uint8 level between batch sizes or thread
        counts (about 1 in 10^5 measured); ``zoo.load(..., dtype="float32")`` runs plain eager.
        """
        arguments.integer(n, "number of images (sample_batches streams more)", 1, MAX_SAMPLES)
        return torch.cat(list(self.sample_batches(n, seed, labels, truncation, batch_size, output)))

    def sample_batches(
        self,
        n: int,
        seed: int = 0,
        labels: Sequence[int | str] | torch.Tensor | None = None,
        truncation: float | None = None,
        batch_size: int = 64,
        output: str = "uint8",
    ) -> Iterator[torch.Tensor]:
        """``sample``'s images batch by batch, so ``n`` may exceed memory: the same images for the same seed."""
        if self.architecture.task == TASK_IMAGE_TO_IMAGE:
            raise ZooError(
                f"{self.spec.name} is image-to-image: it has nothing to sample; translate an image with "
                f"'zoo translate {self.spec.name} IMAGE -o OUT' or handle.translate(image)"
            )
        arguments.integer(n, "number of images", 1, MAX_STREAMED_SAMPLES)
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ZooError(f"batch size must be a positive integer, got {batch_size!r}")
        if output not in ("uint8", "tensor"):
            raise ZooError(f"output must be 'uint8' or 'tensor', got {output!r}")
        check_truncation(truncation)
        if truncation is not None and not hasattr(self.generator, "truncated"):
            raise ZooError(f"{self.spec.name} does not support truncation: leave it out")
        arguments.seed(seed)
        y = self.label_indices(n, labels)
        z = self.generator.sample_latents(n, latent_generator(seed))
        return self._generate_batches(z, y, truncation, batch_size, output)

    def _generate_batches(
        self, z: torch.Tensor, y: torch.Tensor | None, truncation: float | None, batch_size: int, output: str
    ) -> Iterator[torch.Tensor]:
        """Run the generator over ``z`` (and labels ``y``) ``batch_size`` at a time, without gradients."""
        device, dtype = self.device, self.dtype
        for start in range(0, len(z), batch_size):
            zb = z[start : start + batch_size].to(device=device, dtype=dtype)
            yb = y[start : start + batch_size].to(device) if y is not None else None
            with self._fast():
                if truncation is not None:
                    images = self.generator.truncated(zb, yb, truncation)
                else:
                    images = self.generator(zb, yb)
            images = images.float()
            yield to_uint8(images) if output == "uint8" else images.cpu()

    def interpolate(
        self,
        seed_a: int,
        seed_b: int,
        steps: int,
        labels: Sequence[int | str] | torch.Tensor | None = None,
        truncation: float | None = None,
        output: str = "uint8",
    ) -> torch.Tensor:
        """``steps`` images walking from seed_a's image to seed_b's, both ends included (uint8 or 'tensor').

        Style generators walk linearly in W (truncated first when ``truncation`` is given); others
        walk a great circle in z. The ends equal ``sample(1, seed=seed_a)`` and ``seed=seed_b``.
        """
        from zoo import latent

        self._require_latents("walk")
        if output not in ("uint8", "tensor"):
            raise ZooError(f"output must be 'uint8' or 'tensor', got {output!r}")
        latent.check_truncation(truncation)
        if truncation is not None and not hasattr(self.generator, "truncated"):
            raise ZooError(f"{self.spec.name} does not support truncation: leave it out")
        y = self.label_indices(1, labels)  # one class for the whole walk
        with self._fast():
            return latent.interpolate(self.generator, seed_a, seed_b, steps, y, truncation, output)

    @public(name="ModelHandle.style_mix")
    def style_mix(
        self,
        seeds_a: Sequence[int],
        seeds_b: Sequence[int],
        layers: Sequence[int],
        truncation: float | None = None,
        output: str = "uint8",
    ) -> torch.Tensor:
        """Style mixing (StyleGAN §3.1): image [i, j] takes seeds_a[i]'s w at every style input except
        ``layers``, which take seeds_b[j]'s w. Returns (len(a), len(b), H, W, C) uint8, or
        (len(a), len(b), C, H, W) floats with output='tensor'.

        Style inputs count from 0 (coarsest, 4×4) to ``generator.num_ws - 1`` (finest): low
        indices carry pose and shape, high ones colour and texture. Needs a style-based generator.
        """
        from zoo import latent

        self._require_latents("mix")
        if output not in ("uint8", "tensor"):
            raise ZooError(f"output must be 'uint8' or 'tensor', got {output!r}")
        with self._fast():
            return latent.style_mix(self.generator, self.spec.name, seeds_a, seeds_b, layers, truncation, output)

    @property
    def origin(self) -> str:
        """Where the weights came from, so a trained run never reads as untrained: a checkpoint, a file or none."""
        if self.checkpoint:
            return self.checkpoint.name
        if self.source == UNTRAINED:
            return f"{self.architecture.name} (untrained)"
        return f"{self.architecture.name} from {self.source}" if self.source else self.architecture.name

    def __repr__(self) -> str:
        return f"<ModelHandle {self.origin} {self.config} on {self.device}/{self.dtype}>"
