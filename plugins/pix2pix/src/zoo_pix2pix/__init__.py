"""Pix2Pix for gan-zoo (Isola et al. 2017, arXiv:1611.07004): paired image-to-image translation.

Registers the ``pix2pix`` family (a U-Net generator and a conditional 70×70 PatchGAN) with the paper's
recipe and two for this project's 64-px paired sets; ``zoo train pix2pix`` trains it with the core's
translation trainer. No checkpoint is published yet. This module must stay free of torch: the registry
imports it to list models.
"""

from __future__ import annotations

from collections.abc import Callable

from zoo import ArchitectureSpec, CheckpointSpec, hookimpl

ZOO_PLUGIN_API = 1
__version__ = "0.1.0"

_CHECKPOINTS = ("pix2pix-colorize-celeba64", "pix2pix-edges2emoji-64")

# The paper's optimisation (Section 4 and Appendix 6.2): Adam(2e-4, β = (0.5, 0.999)), the non-saturating
# GAN loss plus λ = 100 times L1 to the target, no EMA of the generator, random jitter (resize 286, crop 256)
# and mirroring. The authors' code keeps the rate for the first half of the epochs, then takes it linearly to 0.
_PAPER = {
    "loss": "bce",
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "betas_g": [0.5, 0.999],
    "betas_d": [0.5, 0.999],
    "l1_weight": 100.0,
    "ema_decay": 0.0,
    "lr_decay": "linear",
    "flip": True,
}

# 64-px recipes, sized for a 2-core CPU. Batch 4, as the paper trains its larger sets (edges2shoes,
# edges2handbags, day2night; Appendix 6.2), since these have thousands of pairs, not facades' 400; with instance
# norm a batch of 4 is four batch-1 updates averaged, not a change of normalisation. 20,000 steps × 4 = 80,000
# pairs: about 23 epochs of edges2emoji64's 3,402 training pairs and 9 of colorize_celeba64's 9,000 (the paper:
# 15 epochs of edges2shoes' 50k), the rate constant for 10,000 steps then linear to 0. Jitter as the paper's
# 286 / 256, scaled: resize to 72, crop 64. The critic has 2 stride-2 layers (34×34 patches): the paper's 70×70
# patch is wider than a 64-px image, which makes the critic judge whole images (its ImageGAN, Table 3).
_SMALL = {
    **_PAPER,
    "batch_size": 4,
    "steps": 20_000,
    "lr_decay_from": 0.5,
    "load_size": 72,
}
# Narrower than the paper's 64 (set for 256 px). At 64 px, width 16 stops the U-Net's six levels at 128
# channels: 1.8M parameters, 3.7 MB of fp16 weights, and a 200-step run in 8.6 s against 22 s at width 32
# (one thread, A B A B, Intel Xeon with AMX). Colourisation keeps its quality at width 16 (the card compares
# both runs); edges -> emoji did not (rainbow noise inside the shapes), so it keeps width 32: 7.3M parameters,
# 15 MB.
_SMALL_MODEL = {"resolution": 64, "d_layers": 2, "width": 16}


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    register(
        ArchitectureSpec(
            name="pix2pix",
            task="image-to-image",
            generator="zoo_pix2pix.model:UNetGenerator",
            discriminator="zoo_pix2pix.model:PatchDiscriminator",
            default_config={
                "resolution": 256,
                "in_channels": 3,
                "channels": 3,
                "width": 64,
                "norm": "instance",
                "dropout": 0.5,
                "d_layers": 3,
            },
            tiny_config={"resolution": 32, "in_channels": 3, "channels": 3, "width": 4, "d_layers": 2},
            recipes={
                # The paper's facades run: 400 pairs, batch 1, 200 epochs = 80,000 steps (decay from 40,000).
                "default": {**_PAPER, "batch_size": 1, "steps": 80_000, "lr_decay_from": 0.5, "load_size": 286},
                # scripts/make_translation_pairs.py edges emoji64.npz: one-channel edge map -> colour emoji.
                "edges2emoji64": {**_SMALL, "model": {**_SMALL_MODEL, "width": 32, "in_channels": 1, "channels": 3}},
                # scripts/make_translation_pairs.py grey: luma -> colour (the paper's colourisation task).
                "colorize64": {**_SMALL, "model": {**_SMALL_MODEL, "in_channels": 1, "channels": 3}},
            },
            default_checkpoint="pix2pix-colorize-celeba64",
            paper="Isola, Zhu, Zhou & Efros 2017, arXiv:1611.07004",
            description="Paired translation: U-Net generator, conditional 70×70 PatchGAN, GAN + λ·L1 loss.",
        )
    )


@hookimpl
def register_checkpoints(register: Callable[[CheckpointSpec], None]) -> None:
    from zoo.cards import register_cards

    register_cards(register, __name__, _CHECKPOINTS)
