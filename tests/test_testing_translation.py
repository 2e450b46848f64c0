"""zoo.testing's checks of image-to-image families with a discriminator: each one passes a sound toy and fails,
in one line naming the family and the fix, on a toy broken in exactly the way it guards against."""

from __future__ import annotations

import pytest
import torch
from translation_toys import ConditionalCritic, OneWay, TwoCritics, TwoWay, patch_critic, toy_plugin
from zoo.interfaces import Discriminator
from zoo.testing import check_architecture

__all__ = ["OneWay", "TwoWay"]  # the sound generators, registered by name below

CONFIG = {"resolution": 8, "in_channels": 3, "channels": 3}
PAIRED = {"loss": "bce", "l1_weight": 100.0, "ema_decay": 0.0, "batch_size": 2}
UNPAIRED = {"loss": "lsgan", "cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 4, "ema_decay": 0.0}


class Conditional(ConditionalCritic):
    """Sound: Pix2Pix's conditional patch critic."""


class PerDirection(TwoCritics):
    """Sound: one critic per direction, as CycleGAN's."""


class MeanOverBatch(Conditional):
    """Broken on purpose: averages the batch away, so the losses cannot tell real images from fakes."""

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(x, condition).mean(0)


class BlindToCondition(Conditional):
    """Broken on purpose: declares itself conditional, never looks at the input image."""

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(x, torch.zeros_like(condition))


class Detaching(Conditional):
    """Broken on purpose: judges detached images, so no gradient reaches the generator."""

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(x.detach(), condition)


class ConditionalTwoWay(PerDirection):
    """Broken on purpose: the trainer gives a two-way model's critics no input image."""

    conditional = True


class LatentStyle(Discriminator):
    """Broken on purpose: the latent GANs' interface, forward(x, y), not a translation critic."""

    def __init__(self, resolution: int = 8, in_channels: int = 3, channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels)
        self.net = patch_critic(channels)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).flatten(1).mean(1)


def _check(zoo_registered_plugin, generator: str, discriminator: str, recipe: dict, train: bool = False) -> None:  # type: ignore[no-untyped-def]
    with zoo_registered_plugin(toy_plugin([("toy-i2i", generator, discriminator, recipe)], CONFIG, __name__)):
        check_architecture("toy-i2i", train=train)


@pytest.mark.parametrize(
    ("generator", "discriminator", "recipe"),
    [("OneWay", "Conditional", PAIRED), ("TwoWay", "PerDirection", UNPAIRED)],
    ids=["paired", "two-way"],
)
def test_sound_translators_pass_every_check_including_two_steps_of_zoo_train(
    zoo_registered_plugin, generator, discriminator, recipe
):
    _check(zoo_registered_plugin, generator, discriminator, recipe, train=True)


@pytest.mark.parametrize(
    ("generator", "discriminator", "recipe", "message"),
    [
        ("OneWay", "LatentStyle", PAIRED, "must subclass zoo.interfaces.ImageToImageDiscriminator"),
        ("OneWay", "MeanOverBatch", PAIRED, r"logits with the batch first.* it returned \(1, 2, 2\)"),
        ("TwoWay", "Conditional", UNPAIRED, "translates a2b and b2a but the discriminator judges a2b: give"),
        ("OneWay", "PerDirection", PAIRED, "translates a2b but the discriminator judges a2b and b2a"),
        ("TwoWay", "ConditionalTwoWay", UNPAIRED, "set conditional = False"),
        ("OneWay", "BlindToCondition", PAIRED, "conditional but its logits ignore the condition"),
        ("OneWay", "Detaching", PAIRED, "no gradient reaches the generator's"),
        ("OneWay", "Conditional", {**PAIRED, "n_critic": 5}, "n_critic is read only by the GAN trainer"),
        ("OneWay", "Conditional", {**PAIRED, "cycle_weight": 10.0}, "cycle_weight needs a two-way model"),
        ("TwoWay", "PerDirection", {**UNPAIRED, "l1_weight": 100.0}, "l1_weight is Pix2Pix's paired term"),
    ],
)
def test_each_discriminator_and_recipe_check_fails_in_one_line_naming_the_family(
    zoo_registered_plugin, generator, discriminator, recipe, message
):
    with pytest.raises(AssertionError, match=message) as failure:
        _check(zoo_registered_plugin, generator, discriminator, recipe)
    assert _message(failure.value).startswith("toy-i2i: ")


def _message(error: AssertionError) -> str:
    """The check's own message: one line (pytest's assertion rewriting appends the failed expression below it)."""
    message = str(error).split("\nassert ")[0]
    assert "\n" not in message, message
    return message


def test_the_training_check_fails_on_what_only_training_finds(zoo_registered_plugin):
    """A jitter load_size below the model's size passes the schema and the model checks; zoo.train refuses it."""
    with pytest.raises(AssertionError, match="toy-i2i: 2 steps of zoo.train on tiny paired .* load_size=4") as failure:
        _check(zoo_registered_plugin, "OneWay", "Conditional", {**PAIRED, "load_size": 4}, train=True)
    _message(failure.value)


def test_a_translator_with_an_extra_input_channel_passes_every_check(zoo_registered_plugin):
    """RGB plus a mask in, RGB out (inpainting): the two training steps run on 4-channel tiny pairs."""
    plugin = toy_plugin([("toy-i2i", "OneWay", "Conditional", PAIRED)], {**CONFIG, "in_channels": 4}, __name__)
    with zoo_registered_plugin(plugin):
        check_architecture("toy-i2i", train=True)
