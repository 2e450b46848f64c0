"""StyleGAN-lite for gan-zoo: StyleGAN2 (Karras et al. 2019, 2020) at 32 or 64 px and small width.

Registers the ``stylegan-lite`` family, its recipes and its checkpoints. This module must stay
free of torch: the registry imports it to list models.
"""

from __future__ import annotations

from collections.abc import Callable

from zoo import ArchitectureSpec, CheckpointSpec, hookimpl

ZOO_PLUGIN_API = 1
__version__ = "0.1.0"

# ffhq64: recipe only ('unpublished:' in its card); celeba64 is the published face model.
_CARDS = ("stylegan-lite-emoji64", "stylegan-lite-celeba64", "stylegan-lite-ffhq64")

# StyleGAN2 (Karras et al. 2020, Appendix B) and StyleGAN2-ADA (Karras et al. 2020b, its 'auto'
# config for 64 px): non-saturating loss, Adam(lr 0.0025, β = (0, 0.99)), R1 with
# γ = 0.0002·res²/batch = 0.0256, lazily every 16 D steps with Adam's lr and β adjusted by
# 16/17 (c = reg_every / (reg_every + 1)), generator EMA with a half-life of 10k images.
# The official code runs R1 as its own D update (17 updates per 16 steps), which c corrects for;
# the zoo's trainer folds R1 into every 16th D step, so here the rate is 6 % lower than needed.
# Kept as it is: stylegan-lite-emoji64 was trained with it and its card promises reproducibility.
# γ scales with res²: at 32 px use --set reg_weight=0.0064.
_LAZY = 16 / 17
_STYLEGAN2 = {
    "loss": "bce",
    "regulariser": "r1",
    "reg_weight": 0.0256,
    "reg_every": 16,
    "lr_g": 0.0025,
    "lr_d": round(0.0025 * _LAZY, 7),
    "betas_g": [0.0, 0.99],
    "betas_d": [0.0, round(0.99**_LAZY, 6)],
    "batch_size": 32,
    "ema_decay": round(0.5 ** (32 / 10_000), 6),
    "checkpoint_every": 500,
    "sample_every": 1000,
}


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    register(
        ArchitectureSpec(
            name="stylegan-lite",
            task="unconditional-image-generation",
            generator="zoo_stylegan_lite.model:Generator",
            discriminator="zoo_stylegan_lite.model:Discriminator",
            default_config={
                "resolution": 64,
                "z_dim": 128,
                "w_dim": 128,
                "width": 16,  # 16, 32, 64, 128, 128 feature maps at 64, 32, 16, 8, 4 px: trainable on a CPU
                "mapping_layers": 8,
                "channels": 3,
                "mixing_prob": 0.9,
                "float32_layers": 0,  # synthesis layers kept whole in float32 under bf16 autocast (a card may set it)
            },
            tiny_config={"resolution": 32, "z_dim": 8, "w_dim": 8, "width": 4, "mapping_layers": 2, "channels": 3},
            recipes={
                # emoji64 (3,780 images): the StyleGAN2 recipe plus DiffAugment (Zhao et al. 2020),
                # whose paper pairs it with StyleGAN2 for small datasets; 640k images (170 epochs).
                "default": {**_STYLEGAN2, "diffaug": "color,translation", "steps": 20_000},
                # celeba64 (10,000 aligned CelebA faces, 64 px): the small-data choice of emoji64 (DiffAugment,
                # Zhao et al. 2020) at the default width, so one CPU thread trains it (~0.6 s/step); 960k images.
                "celeba64": {**_STYLEGAN2, "diffaug": "color,translation", "steps": 30_000},
                # FFHQ (70,000 faces) at 64 px: wider networks, no augmentation, 3.2M images.
                "ffhq64": {**_STYLEGAN2, "steps": 100_000, "model": {"width": 64, "z_dim": 256, "w_dim": 256}},
            },
            default_checkpoint="stylegan-lite-emoji64",
            paper="Karras, Laine & Aila 2019, arXiv:1812.04948; Karras et al. 2020, arXiv:1912.04958",
            description="StyleGAN2 at 32/64 px: mapping net, modulated convs, noise, style mixing, R1, truncation.",
        )
    )


@hookimpl
def register_checkpoints(register: Callable[[CheckpointSpec], None]) -> None:
    from zoo.cards import register_cards

    register_cards(register, __name__, _CARDS)
