"""WGAN-GP for gan-zoo (Gulrajani et al. 2017). Registers the family, its recipe and checkpoint; no torch here."""

from __future__ import annotations

from collections.abc import Callable

from zoo import ArchitectureSpec, CheckpointSpec, hookimpl

ZOO_PLUGIN_API = 1
__version__ = "0.1.0"

_CHECKPOINTS = ("wgan-gp-cifar10-32",)


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    register(
        ArchitectureSpec(
            name="wgan-gp",
            task="unconditional-image-generation",
            generator="zoo_wgan_gp.model:Generator",
            discriminator="zoo_wgan_gp.model:Critic",
            default_config={"resolution": 32, "z_dim": 128, "width": 128, "channels": 3},
            tiny_config={"resolution": 32, "z_dim": 8, "width": 8, "channels": 3},
            recipes={
                # Gulrajani et al. 2017, Appendix F (CIFAR-10 ResNet): λ = 10, n_critic = 5, Adam(1e-4,
                # β = (0, 0.9)); the authors' CIFAR-10 ResNet code decays both rates linearly to 0 over
                # the 100k generator steps.
                "default": {
                    "loss": "wasserstein",
                    "regulariser": "gp",
                    "reg_weight": 10.0,
                    "n_critic": 5,
                    "lr_g": 1e-4,
                    "lr_d": 1e-4,
                    "betas_g": [0.0, 0.9],
                    "betas_d": [0.0, 0.9],
                    "batch_size": 64,
                    "steps": 100_000,
                    "lr_decay": "linear",
                    "ema_decay": 0.999,
                },
            },
            default_checkpoint="wgan-gp-cifar10-32",
            paper="Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville 2017, arXiv:1704.00028",
            description="ResNet generator and critic trained with the Wasserstein loss and a gradient penalty.",
        )
    )


@hookimpl
def register_checkpoints(register: Callable[[CheckpointSpec], None]) -> None:
    from zoo.cards import register_cards

    register_cards(register, __name__, _CHECKPOINTS)
