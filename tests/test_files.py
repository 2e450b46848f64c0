"""Atomic writes (zoo.files): files the user makes get the permissions open() would give them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from zoo.files import atomic_path, write_atomically


@pytest.fixture
def umask_022():
    """Run the test under umask 022 (the usual default), restoring the caller's afterwards."""
    previous = os.umask(0o022)
    yield 0o644
    os.umask(previous)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_atomic_write_respects_the_umask_like_open(tmp_path: Path, umask_022: int) -> None:
    write_atomically(tmp_path / "a.txt", lambda tmp: tmp.write_text("a"))
    (tmp_path / "b.txt").write_text("b")
    assert _mode(tmp_path / "a.txt") == _mode(tmp_path / "b.txt") == umask_022


def test_a_writer_that_replaces_the_temporary_file_still_gets_normal_permissions(
    tmp_path: Path, umask_022: int
) -> None:
    # safetensors' save_file writes its own private temporary file and renames it over the path it is given
    def replacing_writer(tmp: Path) -> None:
        private = tmp.with_name("private")
        private.write_bytes(b"weights")
        os.chmod(private, 0o600)
        os.replace(private, tmp)

    with atomic_path(tmp_path / "model.safetensors") as tmp:
        replacing_writer(tmp)
    assert _mode(tmp_path / "model.safetensors") == umask_022


def test_saved_weights_are_readable_by_others_under_umask_022(tmp_path: Path, umask_022: int) -> None:
    import torch
    from zoo.weights import save_weights

    save_weights(tmp_path / "w.safetensors", {"x": torch.zeros(2)}, family="toy", config={})
    assert _mode(tmp_path / "w.safetensors") == umask_022


def test_a_run_named_like_a_registered_checkpoint_is_shown_as_a_path():
    """'zoo train … --out cyclegan-horse2zebra-128' once said zoo.load('cyclegan-horse2zebra-128'): the bundled one."""
    from zoo.files import path_argument

    assert path_argument("cyclegan-horse2zebra-128") == "./cyclegan-horse2zebra-128"
    assert path_argument("runs/dcgan") == "runs/dcgan" and path_argument("/tmp/run") == "/tmp/run"
    assert path_argument("./run") == "./run"
