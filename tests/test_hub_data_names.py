"""A malformed ``hf:`` dataset name is refused before any request: it used to cost 37 s of retries first."""

from __future__ import annotations

import time

import pytest
from zoo.data_formats import parse_hub_spec
from zoo.errors import ZooError

BAD = ["hf:org/name@", "hf:org/name:", "hf:org/name@../../x", "hf:../x", "hf:org/", "hf:org/name:@main", "hf:a/b/c"]


@pytest.mark.parametrize("spec", BAD)
def test_malformed_names_are_refused_by_the_parser(spec):
    with pytest.raises(ZooError, match="hf:ORG/NAME"):
        parse_hub_spec(spec)


@pytest.mark.parametrize(("spec", "parsed"), [
    ("hf:zoo/faces", ("zoo/faces", "train", None)),
    ("hf:zoo/faces:test@main", ("zoo/faces", "test", "main")),
    ("hf:zoo/faces@refs/pr/1", ("zoo/faces", "train", "refs/pr/1")),
])  # fmt: skip
def test_well_formed_names_parse(spec, parsed):
    assert parse_hub_spec(spec) == parsed


@pytest.mark.parametrize("command", ["train", "eval"])
@pytest.mark.parametrize("spec", BAD[:3])
def test_train_and_eval_refuse_them_at_once(zoo_cli, clean_error, tmp_path, command, spec):
    args = [command, "dcgan", "--data", spec, *(["--out", "run"] if command == "train" else [])]
    started = time.perf_counter()
    result = zoo_cli(*args, env={"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"})
    clean_error(result, spec)
    assert time.perf_counter() - started < 30, "refused before any request (a subprocess start is about 3 s)"
    assert not list(tmp_path.iterdir()), "nothing written"
