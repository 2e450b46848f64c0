"""Run under torchrun by test_training.py: train a tiny DCGAN on every rank, save each rank's weights.

The run uses a gradient penalty, so every critic step makes two D forwards before one backward.
"""

from __future__ import annotations

import sys
from pathlib import Path

from zoo.registry import get_registry
from zoo.training.distributed import exit_worker
from zoo.training.settings import resolve_settings
from zoo.training.trainer import Trainer
from zoo.weights import save_weights

data, out = sys.argv[1], Path(sys.argv[2])
arch = get_registry().architecture("dcgan")
overrides = {"batch_size": "8", "model.width": "4", "model.z_dim": "8", "steps": "3"}
overrides |= {"loss": "wasserstein", "regulariser": "gp", "reg_weight": "10"}
settings = resolve_settings(arch, None, overrides)
(out / "run").mkdir(exist_ok=True)
trainer = Trainer(arch, settings, data, out / "run", device="cpu", quiet=True)
rank = trainer.context.rank
assert trainer.context.world == 2, "expected two processes"


def parameters() -> dict:
    """Learned weights of G and D (BN running statistics are per-rank by DDP's design)."""
    return {
        f"{prefix}.{k}": v.detach().clone()
        for prefix, m in (("G", trainer.G), ("D", trainer.D))
        for k, v in m.named_parameters()
    }


if rank == 0:
    save_weights(out / "initial.safetensors", parameters(), family="dcgan", config={})
trainer.run()
save_weights(out / f"rank{rank}.safetensors", parameters(), family="dcgan", config={})
exit_worker(trainer.context)
