"""SAGAN for gan-zoo (Zhang et al. 2018). Registers the family and its recipe; no torch here."""

from __future__ import annotations

from collections.abc import Callable

from zoo import ArchitectureSpec, CheckpointSpec, hookimpl

ZOO_PLUGIN_API = 1
__version__ = "0.1.0"

_CHECKPOINTS = ("sagan-cifar10-32", "sagan-fashion-mnist-32")


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    register(
        ArchitectureSpec(
            name="sagan",
            task="class-conditional-image-generation",
            generator="zoo_sagan.model:Generator",
            discriminator="zoo_sagan.model:Discriminator",
            default_config={"resolution": 32, "z_dim": 128, "width": 64, "channels": 3, "num_classes": 10},
            tiny_config={"resolution": 32, "z_dim": 8, "width": 8, "channels": 3, "num_classes": 3},
            recipes={
                # Zhang et al. 2018, §5: hinge loss, TTUR lr_G = 1e-4 / lr_D = 4e-4,
                # Adam(β = (0, 0.9)), one D step per G step.
                "default": {
                    "loss": "hinge",
                    "n_critic": 1,
                    "lr_g": 1e-4,
                    "lr_d": 4e-4,
                    "betas_g": [0.0, 0.9],
                    "betas_d": [0.0, 0.9],
                    "batch_size": 64,
                    "steps": 100_000,
                    "ema_decay": 0.9999,
                },
            },
            default_checkpoint="sagan-cifar10-32",
            paper="Zhang, Goodfellow, Metaxas & Odena 2018, arXiv:1805.08318",
            description="Self-attention GAN with spectral norm, conditional BN and a projection discriminator.",
        )
    )


@hookimpl
def register_checkpoints(register: Callable[[CheckpointSpec], None]) -> None:
    from zoo.cards import register_cards

    register_cards(register, __name__, _CHECKPOINTS)
