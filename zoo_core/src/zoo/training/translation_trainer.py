"""The trainer every image-to-image family shares: Pix2Pix's paired loop and CycleGAN's two-way one.

- One-way models on paired data (Isola et al. 2017, arXiv:1611.07004): G(A) should be B. D judges B, or
  G(A), beside A when it is ``conditional``; G minimises the adversarial loss plus ``l1_weight`` · |G(A) − B|.
- Two-way models (Zhu et al. 2017, arXiv:1703.10593) on unpaired (or paired) data: a2b and b2a, one critic per
  direction, plus ``cycle_weight`` · (|b2a(a2b(A)) − A| + |a2b(b2a(B)) − B|) and ``identity_weight`` ·
  ``cycle_weight`` · (|a2b(B) − B| + |b2a(A) − A|); D sees fakes through an image pool of ``pool_size``.

L1 terms are taken on the [-1, 1] scale the papers' weights were chosen for. The D objective is not
halved as in the papers' code: Adam's steps do not depend on a constant factor of the loss.
It reuses the GAN trainer's run directory, checkpoint (resume to the bit), SIGTERM handling, EMA,
``eval_every``, logging and DDP; each optimiser step is one forward of a DDP-wrapped module.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from zoo.errors import ZooError
from zoo.images import make_grid
from zoo.interfaces import ImageToImageDiscriminator, Loss, translation_route
from zoo.specs import ArchitectureSpec
from zoo.training import distributed
from zoo.training.settings import TrainSettings
from zoo.training.trainer import Trainer, _component, _step_seed
from zoo.training.translation_batches import AugmentedBatches, ImagePool, as_tensor
from zoo.training.translation_streaming import open_translation_batches
from zoo.translation_data import TranslationData, load_translation_data

SAMPLE_ROWS = 8  # fixed images in every sample grid


def _signed(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1], the scale the papers' discriminators and L1 weights use."""
    return images * 2 - 1


def check_translation_settings(
    name: str, s: TrainSettings, generator: nn.Module, discriminator: nn.Module, channels: tuple[int, int]
) -> None:
    """Refuse a recipe whose terms this model cannot use, naming the key (also ``zoo.testing``'s recipe check).

    ``channels``: (A's, B's), as the run will have them.
    """
    directions = tuple(getattr(generator, "directions", ("a2b",)))
    two_way = directions == ("a2b", "b2a")
    if not isinstance(discriminator, ImageToImageDiscriminator) and not hasattr(discriminator, "critic"):
        raise ZooError(
            f"{name}'s discriminator {type(discriminator).__name__} is not a zoo.interfaces."
            "ImageToImageDiscriminator: the translation trainer needs forward(x, condition) (and critic() "
            "for two-way models)"
        )
    if two_way and getattr(discriminator, "directions", ("a2b",)) != directions:
        raise ZooError(f"{name}: a two-way generator needs a discriminator with critic('a2b') and critic('b2a')")
    if two_way and getattr(discriminator, "conditional", False):
        raise ZooError(f"{name}: a two-way model's critics judge one domain each: they cannot be conditional")
    if not two_way and (s.cycle_weight or s.identity_weight or s.pool_size):
        used = [k for k in ("cycle_weight", "identity_weight", "pool_size") if getattr(s, k)]
        verb = "needs" if len(used) == 1 else "need"
        raise ZooError(f"{', '.join(used)} {verb} a two-way model (a2b and b2a); {name} translates one way")
    if two_way and s.l1_weight:
        raise ZooError("l1_weight is Pix2Pix's paired term: a two-way model uses cycle_weight instead")
    if two_way and s.cycle_weight <= 0:
        raise ZooError(f"{name} is two-way: set cycle_weight (CycleGAN's is 10) to train it")
    if two_way and s.identity_weight and channels[0] != channels[1]:
        raise ZooError(
            f"identity_weight needs as many channels in A as in B (A has {channels[0]}, B has {channels[1]}): "
            "--set identity_weight=0"
        )


class TranslationPass(nn.Module):
    """Everything G computes in one step as one forward, so DDP syncs one graph per backward."""

    def __init__(self, generator: nn.Module, directions: tuple[str, ...], identity: bool) -> None:
        super().__init__()
        self.generator = generator
        self.two_way = len(directions) == 2
        self.identity = identity

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, torch.Tensor]:
        a2b = self.generator.translator("a2b") if self.two_way else translation_route(self.generator, "a2b")[0]
        out = {"fake_b": a2b(a)}
        if self.two_way:
            b2a = self.generator.translator("b2a")
            out["fake_a"] = b2a(b)
            out["rec_a"] = b2a(out["fake_b"])
            out["rec_b"] = a2b(out["fake_a"])
            if self.identity:
                out["idt_b"], out["idt_a"] = a2b(b), b2a(a)
        return out


class Judging(nn.Module):
    """Every critic call of one step as one forward: {direction: (images, condition)} -> {direction: logits}."""

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.discriminator = discriminator

    def forward(self, inputs: dict[str, tuple[torch.Tensor, torch.Tensor | None]]) -> dict[str, torch.Tensor]:
        critic = getattr(self.discriminator, "critic", None)
        logits = {}
        for direction, (images, condition) in inputs.items():
            network = critic(direction) if critic is not None else self.discriminator
            logits[direction] = network(images) if condition is None else network(images, condition)
        return logits


class TranslationTrainer(Trainer):
    """Owns the networks, optimisers and run directory of one image-to-image training run."""

    def __init__(
        self,
        arch: ArchitectureSpec,
        settings: TrainSettings,
        data: str,
        out: Path,
        *,
        device: str = "auto",
        quiet: bool = False,
        command: str = "",
        data_sha256: str | None = None,
    ) -> None:
        self._open_run(arch, settings, data, out, device, quiet, command, data_sha256)
        self.directions: tuple[str, ...] = tuple(getattr(self.G, "directions", ("a2b",)))
        self.two_way = self.directions == ("a2b", "b2a")
        if not self.two_way and self.directions != ("a2b",):
            raise ZooError(f"{arch.name}: directions {self.directions} are not ('a2b',) or ('a2b', 'b2a')")
        self.conditional = bool(getattr(self.D, "conditional", False))
        self.channels = translation_route(self.G, "a2b")[1]  # (A's channels, B's channels)
        check_translation_settings(arch.name, settings, self.G, self.D, self.channels)
        self.loss = _component("loss", settings.loss, Loss)
        self.num_classes = 0
        self.G_train = distributed.wrap(TranslationPass(self.G, self.directions, self._identity), self.context)
        self.D_train = distributed.wrap(Judging(self.D), self.context)
        pool_channels = {"a2b": self.channels[1], "b2a": self.channels[0]}
        self.pools = nn.ModuleDict(
            {d: ImagePool(settings.pool_size, pool_channels[d], self.G.resolution) for d in self.directions}
        ).to(self.context.device)

    @property
    def _identity(self) -> bool:
        return self.two_way and self.settings.identity_weight > 0

    # ---- state -----------------------------------------------------------------------------

    def _modules(self) -> dict[str, torch.nn.Module]:
        return super()._modules() | {"image_pool": self.pools}

    # ---- data ------------------------------------------------------------------------------

    def run(self, until: int | None = None) -> Path:
        """Train to ``settings.steps`` (or stop at ``until``, checkpointed); return the exported weights."""
        batches = open_translation_batches(
            self.data_path, self.channels, self.settings, crop_size=self.G.resolution, rank=self.context.rank,
            world=self.context.world, two_domains=self.two_way,  # CycleGAN draws B apart from A, pairs or not
        )  # fmt: skip
        try:
            if not batches.paired and not self.two_way:
                raise ZooError(
                    f"{self.arch.name} learns from pairs, and {self.data_path} holds two unpaired domains: give "
                    "paired data (A and B arrays, A/ and B/ folders with the same file names, or side-by-side images)"
                )
            if self.conditional and not batches.paired:
                raise ZooError(f"{self.arch.name}'s discriminator is conditional: it needs paired data")
            self.fixed_pairs = self._fixed_pairs(batches.head(SAMPLE_ROWS))
            return self._run(batches, until)
        finally:
            batches.close()

    def _fixed_pairs(self, train: TranslationData) -> tuple[torch.Tensor, torch.Tensor]:
        """The held-out images every grid shows (the test split when there is one, else the first training ones)."""
        try:
            shown = load_translation_data(self.data_path, "test")
        except ZooError:
            shown = train
        rows = min(SAMPLE_ROWS, len(shown.a), len(shown.b))
        sides = []
        for images, channels, side in ((shown.a, self.channels[0], "A"), (shown.b, self.channels[1], "B")):
            tensor = as_tensor(images[:rows], channels, f"{self.data_path} {side}").float() / 255
            size = self.G.resolution
            sides.append(F.interpolate(tensor, size=(size, size), mode="bicubic", antialias=True).clamp(0, 1))
        return sides[0], sides[1]

    def _fixed_inputs(self) -> Any:
        return self.fixed_pairs

    # ---- one step --------------------------------------------------------------------------

    def train_step(self, batches: AugmentedBatches) -> dict[str, float]:  # type: ignore[override]
        """One G update, then one D update on the new fakes (through the pool), the EMA; seeded by step."""
        s = self.settings
        if s.lr_decay:
            self._set_learning_rates()
        seed = _step_seed(s.seed, self.step, self.context.rank)
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        a, b = batches.batch(self.step, gen)
        a, b = a.to(self.context.device), b.to(self.context.device)
        stats, fakes = self._g_step(a, b)
        stats.update(self._d_step(a, b, fakes, gen))
        self._update_ema()
        values = {key: float(value) for key, value in stats.items()}
        if not distributed.all_ranks(all(math.isfinite(v) for v in values.values()), self.context):
            raise ZooError(self._diverged(f"losses became non-finite at step {self.step + 1} ({values})"))
        self.step += 1
        return values

    def _judge(self, a: torch.Tensor, b: torch.Tensor, fakes: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Logits of each direction's critic on ``fakes`` (outputs in [0, 1]); Pix2Pix's critic also sees A."""
        inputs = {"a2b": (_signed(fakes["a2b"]), _signed(a) if self.conditional else None)}
        if self.two_way:
            inputs["b2a"] = (_signed(fakes["b2a"]), None)
        with self._autocast():
            return {d: v.float() for d, v in self.D_train(inputs).items()}

    def _g_step(self, a: torch.Tensor, b: torch.Tensor) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        s = self.settings
        with self._autocast():
            out = {k: v.float() for k, v in self.G_train(a, b).items()}
        fakes = {"a2b": out["fake_b"]} | ({"b2a": out["fake_a"]} if self.two_way else {})
        logits = self._judge(a, b, fakes)
        stats: dict[str, Any] = {}
        loss = torch.zeros((), device=a.device)
        for direction, value in logits.items():
            adversarial = self.loss.g_loss(value)
            stats[f"g_loss_{direction}" if self.two_way else "g_loss"] = adversarial.detach()
            loss = loss + adversarial
        if s.l1_weight > 0:
            l1 = F.l1_loss(_signed(out["fake_b"]), _signed(b))
            stats["l1"] = l1.detach()
            loss = loss + s.l1_weight * l1
        if self.two_way:
            cycle = F.l1_loss(_signed(out["rec_a"]), _signed(a)) + F.l1_loss(_signed(out["rec_b"]), _signed(b))
            stats["cycle"] = cycle.detach()
            loss = loss + s.cycle_weight * cycle
            if self._identity:
                identity = F.l1_loss(_signed(out["idt_b"]), _signed(b)) + F.l1_loss(_signed(out["idt_a"]), _signed(a))
                stats["identity"] = identity.detach()
                loss = loss + s.identity_weight * s.cycle_weight * identity
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return stats, {d: f.detach() for d, f in fakes.items()}

    def _d_step(
        self, a: torch.Tensor, b: torch.Tensor, fakes: dict[str, torch.Tensor], gen: torch.Generator
    ) -> dict[str, Any]:
        shown = {d: self.pools[d].query(f, gen) for d, f in fakes.items()}
        reals = {"a2b": b, "b2a": a}
        condition = _signed(a) if self.conditional else None
        inputs: dict[str, tuple[torch.Tensor, torch.Tensor | None]] = {}
        for direction, fake in shown.items():
            both = torch.cat([_signed(reals[direction]), _signed(fake)])
            inputs[direction] = (both, None if condition is None else torch.cat([condition, condition]))
        with self._autocast():
            logits = {d: v.float() for d, v in self.D_train(inputs).items()}
        stats: dict[str, Any] = {}
        loss = torch.zeros((), device=a.device)
        for direction, value in logits.items():
            real_logits, fake_logits = value.split([len(reals[direction]), len(shown[direction])])
            d_loss = self.loss.d_loss(real_logits, fake_logits)
            stats[f"d_loss_{direction}" if self.two_way else "d_loss"] = d_loss.detach()
            loss = loss + d_loss
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return stats

    # ---- what a person looks at ------------------------------------------------------------

    def _sample_grid(self, fixed: tuple[torch.Tensor, torch.Tensor]) -> np.ndarray:
        """One row per held-out image: A | a2b(A) | B (paired), or A | a2b(A) | B | b2a(B) (two-way)."""
        a, b = (x.to(self.context.device) for x in fixed)
        with torch.no_grad():
            columns = [a, translation_route(self.G_ema, "a2b")[0](a).float(), b]
            if self.two_way:
                columns.append(self.G_ema.translator("b2a")(b).float())
        # An input's extra channel (a mask, alpha: 2 or 4 channels) is left out: the grid shows its picture.
        pictures = [c[:, : 1 if c.shape[1] < 3 else 3] for c in columns]
        rgb = [c.expand(-1, 3, -1, -1) if c.shape[1] == 1 else c for c in pictures]
        tiles = torch.stack(rgb, dim=1).flatten(0, 1).clamp(0, 1)
        images = (tiles * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        return make_grid(images, nrow=len(columns))
