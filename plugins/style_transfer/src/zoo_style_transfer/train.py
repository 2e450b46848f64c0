"""Training a fast style network (Johnson, Alahi & Fei-Fei 2016): one network per style, perceptual loss.

The run directory holds ``model.safetensors`` (zoo metadata: loads with ``zoo.load(RUN)``),
``train_config.json`` (the exact command and settings), ``progress.jsonl`` and ``sample.png``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset
from zoo.errors import ZooError
from zoo.files import write_atomically

from zoo_style_transfer.loss_weights import LossWeights
from zoo_style_transfer.losses import PerceptualLoss

FAMILY = "style-transfer"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
WEIGHTS, RUN_CONFIG, PROGRESS, SAMPLE = "model.safetensors", "train_config.json", "progress.jsonl", "sample.png"


@dataclass
class TrainSettings:
    """Johnson et al.: 256 px crops, batch 4, Adam 1e-3, 40k steps (2 epochs of COCO)."""

    style: str
    data: str
    steps: int = 40_000
    batch_size: int = 4
    image_size: int = 256
    style_size: int = 512
    lr: float = 1e-3
    weights: LossWeights = field(default_factory=LossWeights)
    backbone: str | None = None  # None: vgg19.tv_in1k, or the bundled squeezenet1_1 where VGG cannot be fetched
    content_layers: tuple[str, ...] | None = None
    style_layers: tuple[str, ...] | None = None
    pretrained_backbone: bool = True
    width: int = 32
    res_blocks: int = 5
    seed: int = 0
    save_every: int = 1000
    log_every: int = 10

    def check(self) -> None:
        for name in ("steps", "batch_size", "image_size", "style_size", "width", "save_every", "log_every"):
            if getattr(self, name) < 1:
                raise ZooError(f"{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.image_size < 16:
            raise ZooError(f"image-size must be at least 16 px, got {self.image_size}")
        if not self.lr > 0:
            raise ZooError(f"lr must be > 0, got {self.lr}")
        self.weights.check()


def content_files(folder: str | Path) -> list[Path]:
    """Every image file under ``folder`` (recursively), sorted so a seed gives the same order."""
    root = Path(folder)
    if not root.exists():
        raise ZooError(f"content folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise ZooError(f"--data {str(root)!r} is not a folder: give a folder of content images (e.g. COCO train2014)")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ZooError(f"content folder {str(root)!r} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


class ContentImages(Dataset):
    """Random square crops of the content photos: shorter side scaled to ``size``, then cropped."""

    def __init__(self, files: list[Path], size: int, seed: int) -> None:
        self.files, self.size, self.rng = files, size, random.Random(seed)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> torch.Tensor:
        from zoo.image_io import open_image, to_tensor

        image = open_image(self.files[index], what="content image").image
        scale = self.size / min(image.size)
        image = image.resize((max(self.size, round(image.width * scale)), max(self.size, round(image.height * scale))))
        left = self.rng.randint(0, image.width - self.size)
        top = self.rng.randint(0, image.height - self.size)
        return to_tensor(image.crop((left, top, left + self.size, top + self.size)))[0]


def _batches(loader: DataLoader):  # type: ignore[no-untyped-def]
    """Endless batches: epochs follow each other, reshuffled."""
    while True:
        yield from loader


def _record(settings: TrainSettings, command: str, style_sha256: str) -> dict:
    data = asdict(settings)
    data["weights"] = asdict(settings.weights)
    return {"family": FAMILY, "command": command, "style_sha256": style_sha256, "settings": data}


def train(settings: TrainSettings, out: Path, *, device: str = "cpu", progress: bool = True, command: str = "") -> Path:
    """Train one style network into ``out``; returns the weights file. Saves atomically every ``save_every`` steps."""
    from tqdm import tqdm
    from zoo.image_io import open_image, to_pil, to_tensor
    from zoo.weights import save_weights, sha256_file

    from zoo_style_transfer.features import feature_net
    from zoo_style_transfer.transformer import TransformerNet

    settings.check()
    files = content_files(settings.data)
    style = open_image(settings.style, max_side=settings.style_size, what="style image").image
    if (out / WEIGHTS).exists():
        raise ZooError(f"{out} already holds a trained network: choose another --out")
    torch.manual_seed(settings.seed)
    target = torch.device(device)
    features, fallback = feature_net(
        settings.backbone, settings.content_layers, settings.style_layers, pretrained=settings.pretrained_backbone
    )
    if fallback:
        print(f"note: {fallback}", file=sys.stderr)
    loss_fn = PerceptualLoss(features.to(target), to_tensor(style).to(target), settings.weights)
    # Record what was used, not what was asked: the run must say which features and weights trained it.
    settings = replace(settings, backbone=features.backbone_name, weights=loss_fn.weights)
    settings = replace(settings, content_layers=features.layers.content, style_layers=features.layers.style)
    config = {
        "width": settings.width,
        "res_blocks": settings.res_blocks,
        "channels": 3,
        "resolution": settings.image_size,
    }
    net = TransformerNet(**config).to(target).train()
    opt = torch.optim.Adam(net.parameters(), lr=settings.lr)
    loader = DataLoader(
        ContentImages(files, settings.image_size, settings.seed),
        batch_size=min(settings.batch_size, len(files)),
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(settings.seed),
    )
    out.mkdir(parents=True, exist_ok=True)
    record = _record(settings, command, sha256_file(settings.style))
    write_atomically(out / RUN_CONFIG, lambda tmp: tmp.write_text(json.dumps(record, indent=2) + "\n"))
    meta = {"zoo.style": Path(settings.style).name, "zoo.backbone": settings.backbone}

    def save() -> None:
        save_weights(out / WEIGHTS, net.state_dict(), family=FAMILY, config=config, metadata=meta)

    log = (out / PROGRESS).open("a")
    started = time.monotonic()
    bar = tqdm(total=settings.steps, desc=f"training {Path(settings.style).stem}", unit="step", disable=not progress)
    try:
        for step, batch in zip(range(1, settings.steps + 1), _batches(loader), strict=False):
            batch = batch.to(target)
            terms = loss_fn(net(batch), loss_fn.content_targets(batch))
            opt.zero_grad(set_to_none=True)
            terms["total"].backward()
            opt.step()
            values = {name: float(value.detach()) for name, value in terms.items()}
            if not all(map(lambda v: v == v and abs(v) != float("inf"), values.values())):
                raise ZooError(f"the loss diverged at step {step}: lower --lr or --style-weight")
            bar.update(1)
            bar.set_postfix({k: f"{v:.3g}" for k, v in values.items()}, refresh=False)
            if step % settings.log_every == 0 or step == 1 or step == settings.steps:
                log.write(json.dumps({"step": step, "seconds": round(time.monotonic() - started, 2), **values}) + "\n")
                log.flush()
            if step % settings.save_every == 0 or step == settings.steps:
                save()
    finally:
        bar.close()
        log.close()
    net.eval()
    with torch.no_grad():
        sample = open_image(files[0], max_side=settings.image_size * 2, what="content image").image
        stylised = to_pil(net(to_tensor(sample).to(target)))
    write_atomically(out / SAMPLE, lambda tmp: stylised.save(tmp, format="PNG"))
    return out / WEIGHTS
