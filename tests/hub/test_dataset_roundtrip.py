"""``--data hf:ORG/NAME`` end to end against the loopback Hub: a dataset repo read through ``datasets``."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow

README = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
  - split: test
    path: data/test-*
---
# tiny faces (random pixels, for tests)
"""
TRAIN = ["--steps", "4", "--set", "batch_size=8", "--set", "model.width=4", "--set", "model.z_dim=8"]


def _parquet(images: np.ndarray, labels: list[int]) -> bytes:
    """One Parquet shard as ``datasets`` writes it: Image structs and a ClassLabel column (names in metadata)."""
    datasets = pytest.importorskip("datasets")
    features = datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=["left", "right"])})
    rows = {"image": [Image.fromarray(image) for image in images], "label": labels}
    out = io.BytesIO()
    datasets.Dataset.from_dict(rows, features=features).to_parquet(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def dataset_repo(hub_server) -> tuple[str, str]:
    """(repo id, commit) of a dataset repo with a train and a test split of 40 and 12 RGB 32x32 images."""
    rng = np.random.default_rng(3)
    files = {
        "README.md": README,
        "data/train-00000-of-00001.parquet": _parquet(rng.integers(0, 256, (40, 32, 32, 3), np.uint8), [0, 1] * 20),
        "data/test-00000-of-00001.parquet": _parquet(rng.integers(0, 256, (12, 32, 32, 3), np.uint8), [1, 0] * 6),
    }
    repo = "gan-zoo-test/tiny-faces"
    return repo, hub_server.publish(None, repo, files, repo_type="dataset")


def test_training_and_evaluation_read_a_hub_dataset_and_work_offline_from_its_cache(zoo_env, dataset_repo):
    repo, commit = dataset_repo
    spec = f"hf:{repo}"
    trained = zoo_env.run("train", "dcgan", "--data", spec, "--out", "run", "--until", "2", *TRAIN, timeout=300)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "data: in memory (40 images" in trained.stderr  # small: auto keeps it in memory
    record = json.loads((zoo_env.cwd / "run" / "train_config.json").read_text())
    identity = f"{spec}@{commit}:train"  # the exact data: repo, revision, split
    assert record["data"] == spec and record["data_sha256"] == hashlib.sha256(identity.encode()).hexdigest()

    offline = {"HF_HUB_OFFLINE": "1"}  # the dataset is in HF_HOME's cache now: no server needed
    resumed = zoo_env.run(
        "train", "dcgan", "--data", spec, "--out", "run", "--resume", *TRAIN, "--set", "data_loading=stream",
        env=offline, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "data: streamed by 2 DataLoader workers (40 images; as set)" in resumed.stderr

    evaluation = zoo_env.run(
        "eval", "run", "--data", f"{spec}:test", "--metrics", "kid", "-n", "12",
        "--extractor", "zoo-cifar10-resnet", "--no-progress", env=offline, timeout=300,
    )  # fmt: skip
    assert evaluation.returncode == 0, evaluation.stderr[-2000:]
    assert f"vs all 12 test images of {spec}:test;" in evaluation.stdout


def test_a_missing_hub_dataset_is_a_one_line_error(zoo_env, dataset_repo):
    result = zoo_env.run("train", "dcgan", "--data", "hf:gan-zoo-test/absent", "--out", "run", *TRAIN)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "hf:gan-zoo-test/absent" in lines[0] and "HF_ENDPOINT" in lines[0]
    malformed = zoo_env.run("train", "dcgan", "--data", "hf:no-org", "--out", "run", *TRAIN)
    assert malformed.returncode == 2 and "hf:ORG/NAME[:SPLIT][@REVISION]" in malformed.stderr
