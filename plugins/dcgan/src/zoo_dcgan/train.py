"""The loop that trained the published ``dcgan-cifar10-32`` checkpoint (``zoo dcgan train``).

Kept so that checkpoint's card command stays reproducible; new runs should use the shared
engine (``zoo train dcgan``), which has the same recipe. It follows
the paper's recipe (Adam 2e-4, β1 = 0.5, non-saturating BCE) and adds what makes CPU training
practical and the result better: bf16 autocast, channels-last, horizontal flips, an EMA of the
generator (Karras et al. 2018) whose batch-norm statistics are re-estimated before export
("standing statistics", Brock et al. 2018).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from zoo.checkpoint import load_training_state, save_training_state
from zoo.errors import ZooError
from zoo.files import write_atomically
from zoo.images import make_grid, save_png, to_uint8
from zoo.losses import NonSaturatingLoss
from zoo.training.data import load_training_data, random_flip, to_float
from zoo.training.export import recalibrate_batchnorm, update_ema
from zoo.weights import save_weights

from zoo_dcgan.model import Discriminator, Generator

FAMILY = "dcgan"


@dataclass
class TrainConfig:
    """Everything that decides a run; stored in the run directory so it can be reproduced."""

    data: str
    resolution: int = 32
    width: int = 64
    z_dim: int = 100
    steps: int = 10_000
    batch_size: int = 128
    lr: float = 2e-4
    beta1: float = 0.5
    ema_decay: float = 0.999
    seed: int = 0
    bf16: bool = True
    sample_every: int = 1000
    checkpoint_every: int = 500
    command: str = ""

    def model_config(self) -> dict[str, int]:
        """The architecture config stored with the weights."""
        return {"resolution": self.resolution, "width": self.width, "z_dim": self.z_dim, "channels": 3}


def _batch(data: torch.Tensor, indices: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Real images in [-1, 1], half of them flipped horizontally."""
    return random_flip(to_float(data[indices]), generator).contiguous(memory_format=torch.channels_last)


def _log(run: Path, record: dict) -> None:
    """Append one JSON line to the run's progress log."""
    with open(run / "progress.jsonl", "a") as handle:
        handle.write(json.dumps(record) + "\n")


def train(config: TrainConfig, out: Path, resume: bool = False, quiet: bool = False) -> Path:
    """Train, checkpointing atomically to ``out``; return the exported ``model.safetensors``."""
    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "checkpoint.safetensors"
    if checkpoint.exists() and not resume:
        raise ZooError(f"{out} already holds a run: pass --resume to continue it or choose another --out")
    torch.manual_seed(config.seed)
    data = load_training_data(config.data, config.resolution, conditional=False).images
    G = Generator(config.resolution, config.z_dim, config.width).to(memory_format=torch.channels_last)
    D = Discriminator(config.resolution, config.width).to(memory_format=torch.channels_last)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False)
    opt_g = torch.optim.Adam(G.parameters(), config.lr, betas=(config.beta1, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), config.lr, betas=(config.beta1, 0.999))
    modules = {"generator": G, "discriminator": D, "generator_ema": G_ema}
    optimizers = {"generator": opt_g, "discriminator": opt_d}
    step = 0
    if resume and checkpoint.exists():
        step = load_training_state(checkpoint, modules=modules, optimizers=optimizers)["step"]
    write_atomically(out / "train_config.json", lambda p: p.write_text(json.dumps(asdict(config), indent=2)))
    loss = NonSaturatingLoss()
    fixed_z = G.sample_latents(64, torch.Generator().manual_seed(1234))
    order_gen = torch.Generator().manual_seed(config.seed + step)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16)
    bar = tqdm(total=config.steps, initial=step, disable=quiet, desc="dcgan")
    started, images_seen = time.perf_counter(), 0
    while step < config.steps:
        indices = torch.randint(len(data), (config.batch_size,), generator=order_gen)
        real = _batch(data, indices, order_gen)
        z = torch.randn(config.batch_size, config.z_dim)
        with autocast:
            fake = G(z)
            d_loss = loss.d_loss(D(real), D(fake.detach()))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        with autocast:
            g_loss = loss.g_loss(D(fake))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        update_ema(G_ema, G, config.ema_decay)
        step += 1
        images_seen += config.batch_size
        if not (torch.isfinite(d_loss) and torch.isfinite(g_loss)):
            raise ZooError(f"losses became non-finite at step {step}; the last good checkpoint is {checkpoint}")
        if step % 50 == 0 or step == config.steps:
            rate = images_seen / (time.perf_counter() - started)
            record = {
                "step": step,
                "d_loss": round(d_loss.item(), 4),
                "g_loss": round(g_loss.item(), 4),
                "img_per_s": round(rate, 1),
            }
            _log(out, record)
            bar.set_postfix(d=record["d_loss"], g=record["g_loss"], ips=record["img_per_s"])
        bar.update(1)
        if step % config.checkpoint_every == 0 or step == config.steps:
            progress = {"step": step}
            save_training_state(
                checkpoint,
                family=FAMILY,
                config=config.model_config(),
                modules=modules,
                optimizers=optimizers,
                progress=progress,
            )
        if step % config.sample_every == 0 or step == config.steps:
            with torch.no_grad():
                grid = make_grid(to_uint8(G_ema(fixed_z)).numpy(), nrow=8)
            (out / "samples").mkdir(exist_ok=True)
            save_png(out / "samples" / f"step-{step:06d}.png", grid)
    bar.close()
    final = copy.deepcopy(G_ema).float().to(memory_format=torch.contiguous_format)
    recalibrate_batchnorm(final, batches=64, batch_size=256, seed=config.seed)
    save_weights(out / "model.safetensors", final.state_dict(), family=FAMILY, config=config.model_config())
    with torch.no_grad():
        save_png(out / "samples" / "final.png", make_grid(to_uint8(final(fixed_z)).numpy(), nrow=8))
    return out / "model.safetensors"
