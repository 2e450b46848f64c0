"""What zoo.load says about files that are not a model's weights: one line naming what to pass instead."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import zoo
from zoo.checkpoint import save_training_state
from zoo.errors import ZooError
from zoo.weights import apply_state

TINY = {"resolution": 32, "z_dim": 8, "width": 4, "channels": 3}


def test_a_training_checkpoint_is_recognised_and_the_run_suggested(tmp_path):
    """It used to list every generator., discriminator. and optim. key as a mismatch (about 5,000 characters)."""
    gan = zoo.build("dcgan", **TINY)
    optimiser = torch.optim.Adam(gan.generator.parameters())
    path = tmp_path / "checkpoint.safetensors"
    modules = {"generator": gan.generator, "discriminator": gan.discriminator}
    save_training_state(
        path, family="dcgan", config=gan.config, modules=modules, optimizers={"g": optimiser}, progress={"step": 1}
    )
    with pytest.raises(ZooError, match="is a training checkpoint .*: pass the run directory or its model.safetensors"):
        zoo.load(str(path))


def test_a_file_that_is_not_safetensors_gets_what_load_takes_not_corruption_advice(tmp_path, monkeypatch):
    np.savez(tmp_path / "tiny.npz", images=np.zeros((2, 32, 32, 3), np.uint8))
    monkeypatch.chdir(tmp_path)
    for name in (str(tmp_path / "tiny.npz"), "tiny.npz"):  # a bare name that is a file here was 'unknown model'
        with pytest.raises(ZooError, match="is not a weights file: zoo.load takes a registered name") as info:
            zoo.load(name)
        assert "delete it" not in str(info.value)
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 40)
    with pytest.raises(ZooError, match="not a valid safetensors file .*: delete it and pull or export it again"):
        zoo.load("broken.safetensors")


def test_a_mismatch_lists_a_few_keys_and_counts_the_rest():
    wide = zoo.build("dcgan", with_discriminator=False, **{**TINY, "width": 8}).generator
    narrow = zoo.build("dcgan", with_discriminator=False, **TINY).generator
    renamed = {f"other.{key}": value for key, value in wide.state_dict().items()}
    with pytest.raises(ZooError) as missing:
        apply_state(narrow, renamed, "w.safetensors")
    keys = len(renamed)
    assert f"and {keys - 4} more; unexpected " in str(missing.value) and len(str(missing.value)) < 400
    with pytest.raises(ZooError) as shapes:
        apply_state(narrow, wide.state_dict(), "w.safetensors")
    assert "more mismatched keys" in str(shapes.value) and len(str(shapes.value)) < 600
