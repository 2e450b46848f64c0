"""One schema for training settings: every way settings arrive is checked the same way, before any work.

The cases are the classes of the hidden tables of #31 (NaN and infinity, out-of-range and work-multiplying
values, wrong types inside lists, unknown names, a bad value overridden by a later --set); new keys are
covered by the schema's own ranges rather than by new checks.
"""

from __future__ import annotations

import numpy as np
import pytest
import zoo
from zoo import ArchitectureSpec, hookimpl
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.testing import check_architecture
from zoo.training.settings import SETTING_NAMES, TrainSettings, resolve_settings, saved_settings

HOSTILE = [
    ("lr_g", "NaN", "lr_g must be a finite number"),
    ("lr_g", "1e309", "lr_g must be a finite number"),
    ("lr_g", "abc", "lr_g must be a valid number"),
    ("lr_g", "0", "lr_g must be greater than 0"),
    ("betas_g", "[NaN,0.9]", "betas_g must be a finite number"),
    ("betas_g", "[-5,2]", "betas_g must be greater than or equal to 0"),
    ("betas_g", '["a","b"]', "betas_g must be a valid number"),
    ("betas_g", "[0.5]", "betas_g"),
    ("seed", str(10**23), "seed must be less than"),
    ("seed", "-1", "seed must be greater than or equal to 0"),
    ("n_critic", "1000000000", "n_critic must be less than or equal to 100"),
    ("data_workers", "100000", "data_workers must be less than or equal to 64"),
    ("ortho_weight", "NaN", "ortho_weight must be a finite number"),
    ("reg_weight", "NaN", "reg_weight must be a finite number"),
    ("steps", "2.5", "steps must be a valid integer"),
    ("steps", "true", "steps must be a valid integer"),
    ("flip", "1", "flip must be a valid boolean"),
    ("bf16", "fast", "bf16 must be true, false or auto"),
    ("lr_decay", "cosine", "lr_decay must be '' or 'linear'"),
    ("best_metric", "bogus", "best_metric 'bogus' is not reported"),
    ("eval_metrics", "bogus", "unknown metric(s) 'bogus'"),
    ("loss", "bogus", "loss 'bogus' is not registered"),
    ("diffaug", "color,zoom", "diffaug zoom is unknown"),
    ("bogus", "1", "unknown --set key 'bogus'"),
]


@pytest.mark.parametrize(("key", "raw", "fragment"), HOSTILE)
def test_hostile_values_are_one_clear_line(key, raw, fragment):
    with pytest.raises(ZooError, match=None) as error:
        resolve_settings(get_registry().architecture("dcgan"), None, {key: raw})
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_work_multiplying_values_are_bounded_together():
    with pytest.raises(ZooError, match="steps × batch_size × n_critic"):
        resolve_settings(get_registry().architecture("dcgan"), None, {"steps": "100000000", "batch_size": "65536"})


def test_every_numeric_setting_has_a_finite_range():
    """A new key without bounds fails here: the schema, not a hand-written check, keeps values sane."""
    for name in SETTING_NAMES:
        field = TrainSettings.model_fields[name]
        if field.annotation in (int, float):
            bounds = {type(item).__name__ for item in field.metadata}
            assert bounds & {"Ge", "Gt"} and bounds & {"Le", "Lt"}, f"{name} needs a lower and an upper bound"


def test_the_python_api_is_checked_by_the_same_schema(tmp_path):
    data = tmp_path / "d.npz"
    np.savez(data, images=np.zeros((16, 32, 32, 3), np.uint8))
    cases = (({"lr_g": float("nan")}, "lr_g must be a finite number"), ({"l1_weight": 1}, "l1_weight"))
    for settings, fragment in cases:
        with pytest.raises(ZooError, match=None) as error:
            zoo.train("dcgan", data, tmp_path / "run", settings=settings)
        assert fragment in str(error.value)
    assert not (tmp_path / "run").exists(), "a refused start leaves nothing behind"


def test_a_bad_value_is_not_dropped_by_a_later_set(zoo_cli, clean_error, tmp_path):
    np.savez(tmp_path / "d.npz", images=np.zeros((16, 32, 32, 3), np.uint8))
    result = zoo_cli("train", "dcgan", "--data", "d.npz", "--out", "run", "--set", "lr_g=abc", "--set", "lr_g=1e-4")
    clean_error(result, "lr_g must be a valid number, got 'abc'")
    assert not (tmp_path / "run").exists()


def test_a_recorded_run_is_read_through_the_schema():
    with pytest.raises(ZooError, match="train_config.json: lr_g must be a finite number"):
        saved_settings({"lr_g": float("nan")})
    assert saved_settings({"steps": 7}).reuse_fakes is False  # recorded before the key existed


@pytest.mark.parametrize(
    "key,message",
    [
        ("l2_weight", "unknown setting 'l2_weight'"),
        ("l1_weight", "l1_weight is read only by the image-to-image trainer"),  # Pix2Pix's, not a latent GAN's
    ],
)
def test_a_plugin_recipe_with_a_key_its_trainer_does_not_read_fails_check_plugin_and_zoo_train(
    zoo_registered_plugin, key, message
):
    """check_plugin passed a recipe with 'l1_weight', and zoo train then died in a TypeError."""

    class Plugin:
        @staticmethod
        @hookimpl
        def register_architectures(register):  # type: ignore[no-untyped-def]
            register(
                ArchitectureSpec(
                    name="dcgan-l1", task="unconditional-image-generation", generator="zoo_dcgan.model:Generator",
                    discriminator="zoo_dcgan.model:Discriminator", default_config={"resolution": 32},
                    recipes={"default": {key: 100.0}}, plugin="zoo-dcgan-l1",
                )
            )  # fmt: skip

    with zoo_registered_plugin(Plugin):
        with pytest.raises(AssertionError, match=f"recipe 'default' cannot train: .*{message}"):
            check_architecture("dcgan-l1")
        with pytest.raises(ZooError, match=message):
            resolve_settings(get_registry().architecture("dcgan-l1"), None, {})
