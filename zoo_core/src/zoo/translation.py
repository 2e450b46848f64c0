"""``zoo translate`` in Python: any image-to-image model over image files, folders and .npz arrays.

One path for every image-to-image family (style networks, Pix2Pix, CycleGAN, a third party's): the
handle's ``translator`` picks the network and its channels for the direction, images of one size go
through it in batches, and every output is written atomically. Everything that can be checked is
checked before the first image is translated; if one fails later, the files this call wrote are removed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zoo.boundary import public
from zoo.data_formats import IMAGE_SUFFIXES  # what a folder of inputs is read for, as for training data
from zoo.errors import ZooError

OUTPUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
MAX_INPUTS = 100_000
MAX_BATCH = 1024
NPZ_KEYS = {"a2b": ("A", "images"), "b2a": ("B", "images")}
"""Which array of an .npz is translated in each direction: a paired file's own side, else ``images``."""


@dataclass(frozen=True)
class Item:
    """One input image: where it came from (a file, or an .npz and an index) and the name its output gets."""

    name: str
    path: Path
    index: int | None = None


@dataclass
class TranslateResult:
    """What ``translate`` wrote: the model, the direction it ran, the files, and how the network ran."""

    model: str
    direction: str
    outputs: list[Path] = field(default_factory=list)
    count: int = 0
    inference: str = ""
    notes: list[str] = field(default_factory=list)  # what reading an input changed ("NAME: shrunk to …")


def _items(inputs: Sequence[Path]) -> list[Item]:
    """Every input image, in order: files as given, a folder's images sorted by name, an .npz's rows."""
    from zoo.files import require_regular_file

    items: list[Item] = []
    for path in inputs:
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
            )
            if not found:
                raise ZooError(f"folder {str(path)!r} holds no images ({', '.join(IMAGE_SUFFIXES)}): check the path")
            items += [Item(p.stem, require_regular_file(p, "input image")) for p in found]
        elif path.suffix.lower() == ".npz":
            items.append(Item(path.stem, require_regular_file(path, "input .npz")))
        else:
            require_regular_file(path, "input image")
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                raise ZooError(
                    f"input {str(path)!r} is not an image ({', '.join(IMAGE_SUFFIXES)}), a folder or an .npz"
                )
            items.append(Item(path.stem, path))
        if len(items) > MAX_INPUTS:
            raise ZooError(f"more than {MAX_INPUTS:,} inputs: translate them in parts")
    return items


def _npz_images(path: Path, direction: str) -> np.ndarray:
    """The array of an .npz to translate: uint8 (N, H, W, C) or (N, H, W); never unpickled."""
    from zoo.data_formats import INPUT_CHANNELS, check_image_shape

    try:
        with np.load(path, allow_pickle=False) as archive:
            key = next((k for k in NPZ_KEYS[direction] if k in archive.files), None)
            if key is None:
                raise ZooError(
                    f"{str(path)!r} has no {' or '.join(NPZ_KEYS[direction])} array to translate {direction}: "
                    f"it has {', '.join(archive.files) or 'no arrays'}"
                )
            images = archive[key]
    except ZooError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise ZooError(f"{str(path)!r} is not a readable .npz ({exc}): write it with numpy.savez") from None
    if images.dtype != np.uint8:
        raise ZooError(f"{str(path)!r}: images must be uint8 (0-255), got {images.dtype}")
    check_image_shape(str(path), images.shape, INPUT_CHANNELS)
    return images if images.ndim == 4 else images[..., None]


def _expand(items: list[Item], direction: str, in_channels: int, notes: list[str]) -> Iterator[tuple[Item, Any]]:
    """(item, picture) for every image: PIL images from files, array rows from .npz files (read one file at a time).

    Files keep their alpha channel for a model that reads one (``in_channels`` 2 or 4: a mask or alpha);
    what reading a file changed (transparency flattened, size capped, EXIF rotation) goes to ``notes``.
    """
    from PIL import Image

    from zoo.image_io import PIL_MODES, carries_mask, open_image

    for item in items:
        if item.path.suffix.lower() == ".npz":
            images = _npz_images(item.path, direction)
            width = len(str(len(images) - 1))
            for index, row in enumerate(images):
                picture = Image.fromarray(row[..., 0] if row.shape[-1] == 1 else row, mode=PIL_MODES[row.shape[-1]])
                yield Item(f"{item.name}-{index:0{width}d}", item.path, index), picture
        else:
            loaded = open_image(item.path, what="input image", keep_alpha=carries_mask(in_channels))
            notes.extend(f"{item.path}: {note}" for note in loaded.notes)
            yield item, loaded.image


def _plan_outputs(items: list[Item], output: Path, force: bool) -> tuple[str, Path]:
    """('file' | 'folder' | 'npz', where): checked before any work, refusing to overwrite without ``force``."""
    from zoo.files import check_output_file, check_writable_dir

    suffix = output.suffix.lower()
    single = len(items) == 1 and items[0].path.suffix.lower() != ".npz"
    if suffix == ".npz":
        check_output_file(output, (".npz",))
        kind = "npz"
    elif suffix in OUTPUT_SUFFIXES:
        if not single:
            raise ZooError(
                f"-o {str(output)!r} is one image file but there are several inputs: give a folder (or an .npz) instead"
            )
        check_output_file(output, OUTPUT_SUFFIXES)
        kind = "file"
    elif suffix:
        raise ZooError(f"-o {str(output)!r}: give an image file ({', '.join(OUTPUT_SUFFIXES)}), an .npz or a folder")
    else:
        if output.exists() and not output.is_dir():
            raise ZooError(f"-o {str(output)!r} is a file: give a folder for several outputs")
        check_writable_dir(output if output.exists() else (output.parent if str(output.parent) else Path(".")))
        kind = "folder"
    if kind != "folder" and output.exists() and not force:
        raise ZooError(f"{str(output)!r} exists: choose another output, or pass --force to replace it")
    if kind == "folder" and not force:
        names = [item.name for item in items if item.path.suffix.lower() != ".npz"]
        taken = [n for n in names if (output / f"{n}.png").exists()]
        if taken:
            raise ZooError(f"{str(output / (taken[0] + '.png'))!r} exists: choose another folder, or pass --force")
    duplicates = _duplicates([item.name for item in items])
    if kind == "folder" and duplicates:
        raise ZooError(f"two inputs are both named {duplicates[0]!r}: their outputs would overwrite each other")
    return kind, output


def _duplicates(names: list[str]) -> list[str]:
    """Names that occur more than once."""
    return [name for name, count in Counter(names).items() if count > 1]


def _batches(pictures: Iterator[tuple[Item, Any]], size: int | None, batch: int) -> Iterator[list[tuple[Item, Any]]]:
    """Consecutive pictures of one size (after the optional resize) in groups of at most ``batch``."""
    from zoo.image_io import resize_longest

    group: list[tuple[Item, Any]] = []
    for item, picture in pictures:
        if size is not None:
            picture = resize_longest(picture, size)
        if group and (len(group) == batch or group[0][1].size != picture.size):
            yield group
            group = []
        group.append((item, picture))
    if group:
        yield group


@public
def translate(
    model: str | os.PathLike[str],
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    direction: str | None = None,
    size: int | None = None,
    batch_size: int = 8,
    device: str = "cpu",
    dtype: str | None = None,
    force: bool = False,
    progress: bool = False,
) -> TranslateResult:
    """Translate image files, folders of images or .npz arrays with an image-to-image model; see ``zoo translate``.

    ``output``: an image file (one input image), a folder (one PNG per input, named after it) or an .npz
    (``images``, uint8 (N, H, W, C); all outputs one size). ``direction``: 'a2b' (default) or, for a
    two-way model, 'b2a'. ``size``: longest side the inputs are resized to first.
    """
    import torch

    from zoo import arguments
    from zoo.api import load

    if size is not None:
        arguments.integer(size, "size", 16, 4096)
    arguments.integer(batch_size, "batch_size", 1, MAX_BATCH)
    paths = [Path(inputs)] if isinstance(inputs, (str, os.PathLike)) else [Path(p) for p in inputs]
    if not paths:
        raise ZooError("no inputs given: name image files, folders or .npz files to translate")
    handle = load(str(model), device=device, dtype=dtype)
    _, chosen, (in_channels, _) = handle.translator(direction)
    items = _items(paths)
    kind, target = _plan_outputs(items, Path(output), force)
    made_folder = kind == "folder" and not target.exists()
    written: list[Path] = []
    collected: list[np.ndarray] = []
    result = TranslateResult(handle.spec.name, chosen, inference=handle.inference_plan.describe())
    bar = _progress(len(items), progress and any(p.is_dir() for p in paths))
    try:
        for group in _batches(_expand(items, chosen, in_channels, result.notes), size, batch_size):
            from zoo.image_io import to_tensor

            x = torch.cat([to_tensor(picture, in_channels) for _, picture in group])
            out = handle.translate(x, direction=chosen).clamp(0, 1).mul(255).round().to(torch.uint8)
            arrays = out.permute(0, 2, 3, 1).cpu().numpy()
            for (item, _), array in zip(group, arrays, strict=True):
                if kind == "npz":
                    collected.append(array)
                else:
                    path = target if kind == "file" else target / f"{item.name}.png"
                    _write_image(array, path, written)
            result.count += len(group)
            bar(len(group))
        if kind == "npz":
            _write_npz(collected, target, written)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)  # nothing half-done: a failure takes back what this call wrote
        if made_folder and target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        raise
    finally:
        bar(0, close=True)
    result.outputs = written
    return result


def _write_image(array: np.ndarray, path: Path, written: list[Path]) -> None:
    """One translated image, written atomically (PIL picks the format from the suffix)."""
    from PIL import Image

    from zoo.files import write_atomically

    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    suffix = path.suffix.lower().lstrip(".")
    image_format = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[suffix]
    write_atomically(path, lambda tmp: picture.save(tmp, format=image_format))
    written.append(path)


def _write_npz(arrays: list[np.ndarray], path: Path, written: list[Path]) -> None:
    """All outputs as one uint8 array ``images`` (N, H, W, C); they must share one size."""
    from zoo.files import write_atomically

    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ZooError(f"the outputs have {len(shapes)} different sizes and cannot share an .npz: write a folder")
    stacked = np.stack(arrays)

    def save(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, images=stacked)

    write_atomically(path, save)
    written.append(path)


def _progress(total: int, show: bool) -> Callable[..., None]:
    """A progress bar's update function (a no-op when not shown)."""
    if not show:
        return lambda n, close=False: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="img", desc="translating", leave=False, dynamic_ncols=True)

    def update(n: int, close: bool = False) -> None:
        bar.update(n)
        if close:
            bar.close()

    return update
