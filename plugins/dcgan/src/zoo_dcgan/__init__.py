"""DCGAN for gan-zoo (Radford et al. 2015). Registers the family and its checkpoints; ``zoo train dcgan`` trains it.

This module must stay free of torch: the registry imports it to list models.
"""

from __future__ import annotations

from collections.abc import Callable

from zoo import ArchitectureSpec, CheckpointSpec, hookimpl

ZOO_PLUGIN_API = 1
__version__ = "0.1.0"

_CHECKPOINTS = ("dcgan-celeba64", "dcgan-cifar10-32", "dcgan-fashion-mnist-32")


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    register(
        ArchitectureSpec(
            name="dcgan",
            task="unconditional-image-generation",
            generator="zoo_dcgan.model:Generator",
            discriminator="zoo_dcgan.model:Discriminator",
            default_config={"resolution": 32, "z_dim": 100, "width": 64, "channels": 3},
            tiny_config={"resolution": 32, "z_dim": 8, "width": 4, "channels": 3},
            recipes={
                # The paper's recipe: Adam(2e-4, β1 = 0.5), non-saturating loss, batch 128.
                "default": {
                    "loss": "bce",
                    "lr_g": 2e-4,
                    "lr_d": 2e-4,
                    "betas_g": [0.5, 0.999],
                    "betas_d": [0.5, 0.999],
                    "batch_size": 128,
                    "steps": 15_000,
                },
            },
            default_checkpoint="dcgan-cifar10-32",
            paper="Radford, Metz & Chintala 2015, arXiv:1511.06434",
            description="Deep convolutional GAN: transposed convs with batch norm, 32 or 64 px.",
        )
    )


@hookimpl
def register_checkpoints(register: Callable[[CheckpointSpec], None]) -> None:
    from zoo.cards import register_cards

    register_cards(register, __name__, _CHECKPOINTS)
