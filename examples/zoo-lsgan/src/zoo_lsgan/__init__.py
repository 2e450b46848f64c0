"""Example gan-zoo plugin: registers the ``lsgan-tiny`` family. Imports no torch, so listing stays fast."""

from __future__ import annotations

from collections.abc import Callable

from zoo import ArchitectureSpec, hookimpl

ZOO_PLUGIN_API = 1
__version__ = "0.1.0"


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    register(
        ArchitectureSpec(
            name="lsgan-tiny",
            task="unconditional-image-generation",
            generator="zoo_lsgan.model:Generator",
            discriminator="zoo_lsgan.model:Discriminator",
            default_config={"resolution": 32, "z_dim": 64, "width": 32, "channels": 3},
            tiny_config={"resolution": 32, "z_dim": 8, "width": 4, "channels": 3},
            recipes={
                # Mao et al. 2017: least-squares loss, Adam(2e-4, beta1 = 0.5).
                "default": {"loss": "lsgan", "lr_g": 2e-4, "lr_d": 2e-4, "batch_size": 64, "steps": 10_000},
            },
            paper="Mao et al. 2017, arXiv:1611.04076",
            description="Example plugin: a tiny conv least-squares GAN, 32 px.",
        )
    )
