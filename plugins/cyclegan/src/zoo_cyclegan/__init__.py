"""CycleGAN for gan-zoo (Zhu et al. 2017, arXiv:1703.10593): unpaired image-to-image translation, both ways.

Registers the ``cyclegan`` family (two ResNet generators, two 70×70 PatchGAN critics) with the paper's recipe
and one for this project's 128-px horse2zebra; ``zoo train cyclegan`` trains it with the core's translation
trainer. No checkpoint is published yet. This module must stay free of torch: the registry imports it to
list models.
"""

from __future__ import annotations

from collections.abc import Callable

from zoo import ArchitectureSpec, CheckpointSpec, hookimpl

ZOO_PLUGIN_API = 1
__version__ = "0.1.0"

_CHECKPOINTS = ("cyclegan-horse2zebra-128",)

# The paper's recipe (Section 4, Appendix 7.1): the least-squares GAN loss, λ = 10 cycle consistency, the identity
# term at 0.5 λ (its photo <-> painting runs; the authors' code turns it on by default), a history of 50 generated
# images shown to the critics, Adam(2e-4, β = (0.5, 0.999)), batch 1, no EMA; the rate constant for the first half
# of training and then linearly to 0. Jitter as the authors' code: resize to 286, random crop 256, mirror.
_PAPER = {
    "loss": "lsgan",
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "betas_g": [0.5, 0.999],
    "betas_d": [0.5, 0.999],
    "batch_size": 1,
    "cycle_weight": 10.0,
    "identity_weight": 0.5,
    "pool_size": 50,
    "ema_decay": 0.0,
    "lr_decay": "linear",
    "flip": True,
}


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    register(
        ArchitectureSpec(
            name="cyclegan",
            task="image-to-image",
            generator="zoo_cyclegan.model:CycleGANGenerator",
            discriminator="zoo_cyclegan.model:CycleGANDiscriminator",
            # n_blocks 0: the paper's count for the resolution, 9 at 256 px and 6 below
            default_config={
                "resolution": 256,
                "in_channels": 3,
                "channels": 3,
                "width": 64,
                "n_blocks": 0,
                "d_layers": 3,
            },
            tiny_config={"resolution": 32, "in_channels": 3, "channels": 3, "width": 4, "n_blocks": 1, "d_layers": 2},
            recipes={
                # The paper's horse2zebra at 256 px: 200 epochs of max(1,067 horses, 1,334 zebras) = 266,800 steps.
                "default": {**_PAPER, "steps": 266_800, "lr_decay_from": 0.5, "load_size": 286},
                # horse2zebra128.npz (the paper's set at 128 px), 6 blocks as the paper's 128-px runs. 200 epochs
                # would take weeks on a 2-core CPU, so 20,000 steps (15 epochs of the 1,334 zebras; the rate constant
                # for 10,000, then linear to 0); jitter 286 / 256 scaled: resize to 143, crop 128. Width 32 (half
                # the paper's 64 filters): 2.65x the steps/s of width 64 on one CPU thread and a quarter the weights.
                "horse2zebra128": {
                    **_PAPER,
                    "steps": 20_000,
                    "lr_decay_from": 0.5,
                    "load_size": 143,
                    "model": {"resolution": 128, "width": 32},
                },
            },
            default_checkpoint="cyclegan-horse2zebra-128",
            paper="Zhu, Park, Isola & Efros 2017, arXiv:1703.10593",
            description="Unpaired two-way translation: ResNet generators, 70×70 PatchGAN critics, cycle loss.",
        )
    )


@hookimpl
def register_checkpoints(register: Callable[[CheckpointSpec], None]) -> None:
    from zoo.cards import register_cards

    register_cards(register, __name__, _CHECKPOINTS)
