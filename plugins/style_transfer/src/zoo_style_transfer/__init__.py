"""Neural style transfer for gan-zoo: Gatys et al. 2016 (optimisation) and Johnson et al. 2016 (fast networks).

Registers the ``style-transfer`` family, the five classic style checkpoints (bundled), ``zoo stylize`` and
the trainer behind ``zoo train style-transfer``; ``from zoo_style_transfer import stylize`` is ``zoo stylize``
in Python. This module must stay free of torch: ``stylize`` is imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zoo import ArchitectureSpec, CheckpointSpec, ComponentSpec, hookimpl

if TYPE_CHECKING:
    from zoo_style_transfer.api import stylize

__all__ = ["stylize"]

ZOO_PLUGIN_API = 1
__version__ = "0.1.0"

_CHECKPOINTS = (
    "style-transfer-candy",
    "style-transfer-mosaic",
    "style-transfer-pointilism",
    "style-transfer-rain-princess",
    "style-transfer-udnie",
)


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    register(
        ArchitectureSpec(
            name="style-transfer",
            task="image-to-image",
            generator="zoo_style_transfer.transformer:TransformerNet",
            # pixel_range / output: 1 + sigmoid for networks the zoo trains; 255 + clamp for the classic ports.
            default_config={
                "width": 32,
                "res_blocks": 5,
                "channels": 3,
                "resolution": 256,
                "pixel_range": 1.0,
                "output": "sigmoid",
            },
            tiny_config={"width": 4, "res_blocks": 1, "channels": 3, "resolution": 32},
            default_checkpoint="style-transfer-candy",
            trainer="zoo_style_transfer.cli:train_command",
            paper="Johnson, Alahi & Fei-Fei 2016, arXiv:1603.08155; Gatys, Ecker & Bethge 2016, CVPR",
            description="Fast style networks (instance norm) and Gatys optimisation over timm features.",
        )
    )


@hookimpl
def register_checkpoints(register: Callable[[CheckpointSpec], None]) -> None:
    from zoo.cards import register_cards

    register_cards(register, __name__, _CHECKPOINTS)


@hookimpl
def register_stylizers(register: Callable[[ComponentSpec], None]) -> None:
    # the family's checkpoints are the styles; this learns a new one from a style image (zoo demo's Stylize tab)
    register(ComponentSpec("style-transfer", "zoo_style_transfer.api:learn_style", "Gatys et al. optimisation"))


@hookimpl
def register_commands(cli: Any) -> None:
    from zoo_style_transfer.cli import stylize_command

    cli.add_command(stylize_command)


def __getattr__(name: str) -> Any:
    """``stylize`` on first use, so that listing models (which imports this module) never imports torch."""
    if name == "stylize":
        from zoo_style_transfer.api import stylize

        return stylize
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
