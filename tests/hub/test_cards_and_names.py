"""Card validation and name checks: no server needed, run in-process through ``zoo.cli.main``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
import zoo
from zoo.cards import validate_card
from zoo.cli import main
from zoo.hub import HubRef, parse_model_name

GOOD = {
    "license": "mit",
    "library_name": "gan-zoo",
    "zoo": {
        "name": "dcgan-toy32",
        "family": "dcgan",
        "config": {"resolution": 32, "z_dim": 8, "width": 4, "channels": 3},
        "dataset": "toy images",
        "dataset_sha256": "a" * 64,
        "resolution": 32,
        "repo_id": "gan-zoo/dcgan-toy32",
        "revision": "0123456789abcdef0123456789abcdef01234567",
        "filename": "model.safetensors",
        "sha256": "b" * 64,
        "size": 1234,
        "metrics": {"protocol": "FID-10k vs train", "fid": 40.5},
        "train_command": "zoo train dcgan --data toy.npz --out runs/toy",
    },
}


def write_card(folder: Path, changes: dict, name: str = "dcgan-toy32.md", sample: bool = True) -> Path:
    """A card file with ``changes`` applied to the zoo block (None removes a field)."""
    meta = yaml.safe_load(yaml.safe_dump(GOOD))
    for key, value in changes.items():
        target = meta if key == "license" else meta["zoo"]
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    body = "# toy\n\n![samples](samples.png)\n" if sample else "# toy\n"
    (folder / "samples.png").write_bytes(b"\x89PNG")
    path = folder / name
    path.write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n{body}")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``zoo ARGS`` in-process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
        raise SystemExit(0)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_a_complete_card_has_no_problems(tmp_path: Path) -> None:
    assert validate_card(write_card(tmp_path, {}), registry=zoo.get_registry()) == []


def test_metrics_may_hold_a_second_protocol_as_a_group(tmp_path: Path) -> None:
    both = {
        "protocol": "zoo-cifar10-resnet FID-10k",
        "fid": 6.4,
        "squeezenet": {"protocol": "SqueezeNet FID", "fid": 30.1},
    }
    assert validate_card(write_card(tmp_path, {"metrics": both}), registry=zoo.get_registry()) == []


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"sha256": None}, "zoo.sha256", "missing"),
        ({"dataset_sha256": "abc"}, "zoo.dataset_sha256", "64 lower-case hex"),
        ({"license": None}, "license", "missing"),
        ({"filename": "pytorch_model.bin"}, "zoo.filename", "pickle"),
        ({"filename": "../model.safetensors"}, "zoo.filename", "plain file name"),
        ({"revision": "main"}, "zoo.revision", "branch or tag"),
        ({"revision": None}, "zoo.revision", "missing"),
        ({"repo_id": "no-slash"}, "zoo.repo_id", "ORG/NAME"),
        ({"metrics": {"fid": 40.5}}, "zoo.metrics", "protocol"),
        ({"metrics": None}, "zoo.metrics", "missing"),
        (
            {
                "metrics": {
                    "protocol": "FID-10k",
                    "fid": 4,
                    "squeezenet": {"protocol": "SqueezeNet FID-10k", "fid": "x"},
                }
            },
            "zoo.metrics",
            "'squeezenet' 'fid' is 'x', not a number",
        ),
        ({"train_command": None}, "zoo.train_command", "missing"),
        ({"resolution": 64}, "zoo.resolution", "differs"),
        ({"family": "no-such-family"}, "zoo.family", "not provided by any installed plugin"),
        ({"config": {"resolution": 32, "depth": 3}}, "zoo.config", "no key(s) depth"),
        ({"size": "big"}, "zoo.size", "bytes"),
        ({"colour": "red"}, "zoo.colour", "unknown field"),
    ],
)
def test_each_problem_names_the_file_and_the_field(tmp_path: Path, changes: dict, field: str, fragment: str) -> None:
    path = write_card(tmp_path, changes)
    problems = validate_card(path, registry=zoo.get_registry())
    assert any(p.startswith(f"{path}: {field}: ") and fragment in p for p in problems), problems


def test_sample_grid_and_file_name_are_checked(tmp_path: Path) -> None:
    path = write_card(tmp_path, {}, name="other-name.md", sample=False)
    problems = validate_card(path)
    assert any(": body: no sample grid" in p for p in problems), problems
    assert any(": zoo.name: " in p and "other-name.md" in p for p in problems), problems
    assert validate_card(path, draft=True) == [
        f"{path}: zoo.name: 'dcgan-toy32' differs from the file name 'other-name.md'"
    ]


def test_a_repo_readme_need_not_pin_its_own_commit(tmp_path: Path) -> None:
    assert validate_card(write_card(tmp_path, {"revision": None}, name="README.md")) == []


def test_cards_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    write_card(good, {})
    path = write_card(bad, {"filename": "model.ckpt"})
    code, out, err = run_cli(capsys, "cards", "check", str(good))
    assert (code, out.strip()) == (0, "1 card(s) ok"), err
    code, out, err = run_cli(capsys, "cards", "check", str(path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "1 problem(s)" in err
    assert f"{path}: zoo.filename: 'model.ckpt' is a pickle" in out


@pytest.mark.parametrize(
    "name",
    ["../dcgan", "dcgan/../../etc", "a/b", "dcgan;rm -rf ~", "$(id)", "dc gan", "hf-hub:../x", "hf-hub:org/repo/extra",
     "hf-hub:org/re$po", "hf-hub:org/repo@../main", "hf-hub:org/repo@", "hf-hub:org/..", "hf-hub:org"],
)  # fmt: skip
def test_unsafe_names_are_refused(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "pull", name)
    assert code == 2 and out == "", (out, err)
    (line,) = err.strip().splitlines()
    assert "invalid" in line or "give a revision" in line, line
    with pytest.raises(zoo.ZooError):
        parse_model_name(name)


def test_hub_names_parse() -> None:
    assert parse_model_name("hf-hub:Org-1/My_Model.v2@v1.0") == HubRef("Org-1/My_Model.v2", "v1.0")
    assert parse_model_name("hf-hub:org/model") == HubRef("org/model", None)
    assert parse_model_name("dcgan-cifar10-32") == "dcgan-cifar10-32"
    assert str(HubRef("org/model", "abc")) == "hf-hub:org/model@abc"


def test_load_refuses_bad_hub_names_before_any_network() -> None:
    with pytest.raises(zoo.ZooError, match="invalid"):
        zoo.load("hf-hub:org/../../etc")


def test_pinned_card_after_upload_is_a_valid_registry_card(pushed: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    from zoo.hub.publish import pinned_card

    folder = tmp_path / "folder"
    shutil.copytree(pushed["tiny"], folder)
    card = pinned_card(folder, "gan-zoo-test/dcgan-tiny", "0123456789abcdef" * 2 + "01234567")
    assert card == folder / "dcgan-tiny.md"
    text = card.read_text()
    assert "revision: 0123456789abcdef" in text and "/gan-zoo-test/dcgan-tiny/resolve/0123456789abcdef" in text
    assert validate_card(card, registry=zoo.get_registry()) == []


@pytest.mark.parametrize(
    ("task", "pipeline_tag", "task_tag"),
    [
        ("class-conditional-image-generation", "unconditional-image-generation", "class-conditional"),
        ("unconditional-image-generation", "unconditional-image-generation", None),
        ("image-to-image", "image-to-image", None),
    ],
)
def test_pushed_cards_use_a_pipeline_tag_the_hub_knows(task: str, pipeline_tag: str, task_tag: str | None) -> None:
    from zoo.hub.publish import PushPlan, _card_text

    plan = PushPlan("gan-zoo/toy", Path("model.safetensors"), "toy", {"resolution": 32}, fields={"name": "toy"})
    meta = yaml.safe_load(_card_text(plan, "b" * 64, 10, task).split("---")[1])
    assert meta["pipeline_tag"] == pipeline_tag
    assert ("class-conditional" in meta["tags"]) == (task_tag is not None)
