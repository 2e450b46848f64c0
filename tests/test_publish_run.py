"""``zoo train`` → ``zoo eval`` → ``zoo push``: the card gets the evaluation, the run's grid and no local paths.

One real tiny run (4 steps of a 4-wide DCGAN on 32 random images) is trained once for the module;
each test copies it. Pushes are ``--dry-run`` in this process: no Hub server is needed.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from zoo.cli import main
from zoo.errors import ZooError
from zoo.metrics.summary import protocol_line
from zoo.weights import sha256_file

TINY = ["--set", "batch_size=8", "--set", "model.width=4", "--set", "model.z_dim=8"]
EVAL = ["--metrics", "kid", "-n", "16", "--extractor", "zoo-cifar10-resnet", "--no-progress"]


def _zoo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: (exit code, stdout, stderr); sys.argv is what a run records as its command."""
    saved, sys.argv = sys.argv, ["zoo", *args]
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = saved
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the shared trainer: weights saved at step 4 (checkpoint_every=4), grids at steps 2 and 4."""
    root = tmp_path_factory.mktemp("trained")
    data = root / "data" / "tiny.npz"
    data.parent.mkdir()
    rng = np.random.default_rng(0)
    np.savez(data, x_train=rng.integers(0, 256, (32, 32, 32, 3), dtype=np.uint8))
    args = ["train", "dcgan", "--data", str(data), "--out", str(root / "run"), "--steps", "4", *TINY]
    args += ["--set", "checkpoint_every=4", "--set", "sample_every=2", "--quiet"]
    saved, sys.argv = sys.argv, ["zoo", *args]
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(args)
            raise SystemExit(0)
    finally:
        sys.argv = saved
    assert exit_info.value.code == 0
    return root / "run"


@pytest.fixture
def run(trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the trained run (the data stays where it was trained from), and a private zoo cache."""
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "zoo-home"))
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    return copy


def _card(folder: Path) -> tuple[dict, str]:
    _, front, body = (folder / "README.md").read_text().split("---\n", 2)
    return yaml.safe_load(front), body


def _push(capsys, run: Path, *extra: str) -> tuple[int, str, str, Path]:
    out = run.parent / "pushed"
    code, stdout, stderr = _zoo(capsys, "push", str(run), "--repo", "me/tiny", "--dry-run", "--out", str(out), *extra)
    return code, stdout, stderr, out


def test_eval_then_push_puts_the_evaluation_on_the_card(capsys, run: Path) -> None:
    data = json.loads((run / "train_config.json").read_text())["data"]
    assert _zoo(capsys, "eval", str(run), "--data", data, *EVAL)[0] == 0
    code, out, err, folder = _push(capsys, run, "--license", "mit")
    assert code == 0, err
    assert "card:" not in out, out
    assert "metrics from" in out and "the evaluation of these weights" in out
    metrics = _card(folder)[0]["zoo"]["metrics"]
    evaluation = json.loads((run / "metrics.json").read_text())["evaluations"][0]
    assert metrics["kid"] == pytest.approx(evaluation["results"]["kid"], rel=5e-3)
    assert "kid_std" not in metrics, "one KID subset: its std of 0 is left out"
    assert "16 generated" in metrics["protocol"] and "zoo-cifar10-resnet" in metrics["protocol"]
    assert "random 16 of 32 train images of tiny.npz (seed 0)" in metrics["protocol"]


def test_push_metrics_takes_the_file_zoo_eval_wrote(capsys, run: Path, tmp_path: Path) -> None:
    data = json.loads((run / "train_config.json").read_text())["data"]
    results = tmp_path / "ev.json"
    weights = str(run / "model.safetensors")
    assert _zoo(capsys, "eval", weights, "--data", data, *EVAL, "-o", str(results))[0] == 0
    code, out, err, folder = _push(capsys, run, "--license", "mit", "--metrics", str(results))
    assert code == 0, err
    assert "card:" not in out, out
    assert _card(folder)[0]["zoo"]["metrics"]["kid"] > 0


def test_hand_written_metrics_are_kept(capsys, run: Path, tmp_path: Path) -> None:
    handmade = tmp_path / "metrics.json"
    handmade.write_text(json.dumps({"protocol": "FID-10k vs train, zoo eval", "fid": 31.25}))
    code, out, err, folder = _push(capsys, run, "--license", "mit", "--metrics", str(handmade))
    assert code == 0 and "card:" not in out, out + err
    assert _card(folder)[0]["zoo"]["metrics"] == {"protocol": "FID-10k vs train, zoo eval", "fid": 31.25}


def _evaluation(kid: float, date: str, model_sha256: str | None = None) -> dict:
    protocol = {"extractor": "inception-v3-fid", "num_generated": 100, "num_real": 100, "generator_seed": 0,
                "reference": {"data": "d.npz", "split": "train", "subset": "all"}}  # fmt: skip
    entry = {"model": "runs/x", "results": {"kid": kid, "kid_std": 0.0012345}, "protocol": protocol, "date": date}
    return {**entry, "model_sha256": model_sha256} if model_sha256 else entry


@pytest.mark.parametrize(
    "reference",
    [
        {"data": "c.npz", "split": "train", "subset": "random 1000 of 50000, seed 0", "total": 50000, "subset_seed": 0},
        {"data": "c.npz", "split": "train", "subset": "random 1000 of 50000, seed 0"},  # an older metrics.json
    ],
)
def test_a_random_reference_subset_is_described_in_words(reference: dict) -> None:
    from zoo.metrics.summary import reference_text

    assert reference_text(reference, 1000) == "random 1,000 of 50,000 train images of c.npz (seed 0)"


def test_of_several_evaluations_the_one_of_the_pushed_weights_is_used() -> None:
    from zoo.metrics.summary import card_metrics

    ours, other = "a" * 64, "b" * 64
    document = {"evaluations": [_evaluation(0.123456, "2026-01-02", ours), _evaluation(9.0, "2026-03-01", other)]}
    metrics, note = card_metrics(document, ours, "m.json")
    assert metrics["kid"] == 0.123 and metrics["kid_std"] == 0.00123
    assert metrics["protocol"].startswith("inception-v3-fid features, 100 generated (seed 0) vs all 100 train images")
    assert "the evaluation of these weights" in note


def test_without_recorded_weights_the_latest_evaluation_is_used_and_said() -> None:
    from zoo.metrics.summary import card_metrics

    document = {"evaluations": [_evaluation(2.0, "2026-03-01"), _evaluation(1.0, "2026-01-02")]}
    metrics, note = card_metrics(document, "a" * 64, "m.json")
    assert metrics["kid"] == 2.0
    assert "does not record which weights" in note and "latest of 2" in note and "2026-03-01" in note


def test_every_evaluation_of_the_pushed_weights_reaches_the_card_each_under_its_protocol() -> None:
    """fid+kid, then ppl on the same weights: both groups; a metric measured again keeps only its newest value."""
    from zoo.metrics.summary import card_metrics

    ours = "a" * 64
    fid_kid = _evaluation(0.5, "2026-01-02", ours)
    fid_kid["results"] |= {"fid": 40.0}
    walk = {**_evaluation(0.0, "2026-01-03", ours), "results": {"ppl": 70.04, "ppl-face": 32.6}}
    walk["protocol"] = {**walk["protocol"], "ppl": "W space, 100 pairs"}
    kid_again = _evaluation(0.25, "2026-01-04", ours)
    other = {**_evaluation(9.0, "2026-01-05", "b" * 64), "results": {"ppl": 1.0, "fid": 1.0}}
    metrics, note = card_metrics({"evaluations": [fid_kid, walk, kid_again, other]}, ours, "m.json")
    assert metrics["fid"] == 40.0 and metrics["protocol"] == protocol_line(fid_kid["protocol"])
    assert metrics["ppl"] == {"protocol": protocol_line(walk["protocol"]), "ppl": 70.0, "ppl-face": 32.6}
    assert {k for k, v in metrics.items() if isinstance(v, float)} == {"fid"}, "kid was measured again, later"
    assert metrics["kid"]["kid"] == 0.25 and metrics["kid"]["protocol"] == protocol_line(kid_again["protocol"])
    assert "3 evaluations of these weights" in note and "2026-01-03: ppl, ppl-face" in note, note
    assert card_metrics({"evaluations": [fid_kid]}, ours, "m.json")[0]["kid"] == 0.5  # alone: one flat block


def test_a_nested_metric_group_is_a_nested_list_in_the_card_body() -> None:
    from zoo.hub.publish import _metric_lines

    lines = _metric_lines({"protocol": "p", "fid": 4.0, "ppl": {"protocol": "q", "ppl": 70.0}})
    assert lines == ["- protocol: p", "- fid: 4.0", "- ppl:", "  - protocol: q", "  - ppl: 70.0"]


def test_evaluations_against_other_images_than_the_newest_stay_off_the_card() -> None:
    from zoo.metrics.summary import card_metrics

    ours = "a" * 64
    on_train = {**_evaluation(0.5, "2026-01-02", ours), "results": {"fid": 40.0, "kid": 0.5}}
    on_other = _evaluation(0.25, "2026-01-03", ours)
    on_other["protocol"] = {**on_other["protocol"], "reference": {"data": "other.npz", "split": "test"}}
    metrics, note = card_metrics({"evaluations": [on_train, on_other]}, ours, "m.json")
    assert metrics["kid"] == 0.25 and "fid" not in metrics and "other.npz" in metrics["protocol"], metrics
    assert "the evaluation of these weights" in note, note


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"evaluations": [_evaluation(1.0, "2026-01-02", "b" * 64)]}, "evaluates other weights"),
        ({"evaluations": []}, "holds no evaluations"),
        ({"evaluations": [{"results": {"kid": "n/a"}, "protocol": {}}]}, "no numeric results"),
    ],
)
def test_metrics_that_cannot_be_used_say_what_to_pass(document: dict, fragment: str) -> None:
    from zoo.metrics.summary import card_metrics

    with pytest.raises(ZooError, match=fragment) as error:
        card_metrics(document, "a" * 64, "m.json")
    assert "--metrics FILE" in str(error.value) and "\n" not in str(error.value)


def test_push_uses_the_grid_of_the_step_the_weights_were_saved_at(capsys, run: Path) -> None:
    grids = run / "samples"
    assert sorted(p.name for p in grids.iterdir()) == ["step-000002.png", "step-000004.png"]
    shutil.copyfile(grids / "step-000002.png", grids / "step-000006.png")  # sampled after the last save
    code, out, err, folder = _push(capsys, run, "--license", "mit")
    assert code == 0, err
    assert f"sample grid: {grids / 'step-000004.png'}" in out
    assert (folder / "samples.png").read_bytes() == (grids / "step-000004.png").read_bytes()
    assert "![samples](samples.png)" in _card(folder)[1]


def test_the_weights_know_their_step_so_a_run_copied_without_its_checkpoint_finds_its_grid(capsys, run: Path) -> None:
    from zoo.weights import META_STEP, read_metadata

    assert read_metadata(run / "model.safetensors")[META_STEP] == "4"
    (run / "checkpoint.safetensors").unlink()
    shutil.copyfile(run / "samples" / "step-000002.png", run / "samples" / "step-000006.png")
    code, out, err, _ = _push(capsys, run, "--license", "mit")
    assert code == 0 and f"sample grid: {run / 'samples' / 'step-000004.png'}" in out, err


def test_push_falls_back_to_the_newest_grid_then_final_png(capsys, run: Path) -> None:
    grids = run / "samples"
    (grids / "step-000004.png").unlink()
    assert _push(capsys, run, "--license", "mit")[0] == 0
    assert (run.parent / "pushed" / "samples.png").read_bytes() == (grids / "step-000002.png").read_bytes()
    (grids / "step-000002.png").rename(grids / "final.png")  # a run made before grids were numbered
    assert _push(capsys, run, "--license", "mit")[0] == 0
    assert (run.parent / "pushed" / "samples.png").read_bytes() == (grids / "final.png").read_bytes()


def test_missing_card_fields_name_the_push_option_that_supplies_them(capsys, run: Path) -> None:
    shutil.rmtree(run / "samples")
    code, out, err, _ = _push(capsys, run)
    assert code == 0, err
    problems = [line for line in out.splitlines() if line.startswith("card:")]
    assert any("license: missing: pass --license" in line for line in problems), problems
    assert any("body: no sample grid: pass --samples PATH.png" in line for line in problems), problems
    assert any("zoo.metrics: missing: run 'zoo eval RUN" in line for line in problems), problems
    assert not any("![samples]" in line for line in problems), "push writes README.md: editing it is no fix"


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({}, "zoo.metrics: missing: run 'zoo eval RUN"),  # empty counts as absent: push can supply it
        # a value that is no number is refused before writing: tests/test_push_inputs.py
    ],
)
def test_the_option_hint_is_for_absent_fields_only(capsys, run: Path, tmp_path: Path, metrics, expected) -> None:
    handmade = tmp_path / "metrics.json"
    handmade.write_text(json.dumps(metrics))
    code, out, err, _ = _push(capsys, run, "--license", "mit", "--metrics", str(handmade))
    assert code == 0, err
    problems = [line for line in out.splitlines() if line.startswith("card:") and "zoo.metrics" in line]
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.slow
def test_the_card_command_stops_where_the_weights_were_saved(capsys, run: Path, tmp_path: Path) -> None:
    data = json.loads((run / "train_config.json").read_text())["data"]
    staged = tmp_path / "staged"
    train = ["train", "dcgan", "--data", data, "--out", str(staged), "--quiet"]
    assert _zoo(capsys, *train, "--steps", "6", "--until", "3", *TINY)[0] == 0
    assert _push(capsys, staged, "--license", "mit")[0] == 0
    command = _card(staged.parent / "pushed")[0]["zoo"]["train_command"]
    assert "--steps 6 " in command and command.endswith(" --until 3") and command.count("--until") == 1, command
    assert _zoo(capsys, *train, "--until", "5", "--resume")[0] == 0
    command = _card(_push(capsys, staged, "--license", "mit")[3])[0]["zoo"]["train_command"]
    assert command.endswith("model.z_dim=8 --until 5") and "--until 3" not in command, command
    assert _zoo(capsys, *train, "--resume")[0] == 0
    command = _card(_push(capsys, staged, "--license", "mit")[3])[0]["zoo"]["train_command"]
    assert "--until" not in command and "--steps 6" in command, "trained to the end: no --until"


def test_a_resume_that_extends_the_schedule_is_on_the_card(capsys, run: Path, tmp_path: Path) -> None:
    data = json.loads((run / "train_config.json").read_text())["data"]
    staged = tmp_path / "staged"
    train = ["train", "dcgan", "--data", data, "--out", str(staged), "--quiet"]
    assert _zoo(capsys, *train, "--steps", "3", *TINY)[0] == 0
    assert _zoo(capsys, *train, "--steps", "5", "--resume")[0] == 0
    command = _card(_push(capsys, staged, "--license", "mit")[3])[0]["zoo"]["train_command"]
    first, _, resume = command.partition("; from step 3: ")
    assert "--steps 3" in first and "--resume" in resume and "--steps 5" in resume, command


def test_a_resume_that_only_continues_is_not_on_the_card(capsys, run: Path, tmp_path: Path) -> None:
    """The same --set again (a resume repeats its run's command) trains the same weights: one command on the card."""
    data = json.loads((run / "train_config.json").read_text())["data"]
    staged = tmp_path / "staged"
    train = ["train", "dcgan", "--data", data, "--out", str(staged), "--quiet", "--steps", "4", *TINY]
    assert _zoo(capsys, *train, "--until", "2")[0] == 0
    assert _zoo(capsys, *train, "--resume")[0] == 0
    command = _card(_push(capsys, staged, "--license", "mit")[3])[0]["zoo"]["train_command"]
    assert "from step" not in command and "--resume" not in command, command


def test_only_resumes_before_the_weights_step_that_change_the_schedule_are_legs() -> None:
    from zoo.hub.publish import _legs_behind_weights

    first = "zoo train x --data d.npz --steps 10 --set lr_g=0.001 --set eval_every=5"
    legs = [
        {"step": 2, "command": "zoo train x --resume --set eval_every=5 --set=lr_g=0.001"},  # the same again
        {"step": 4, "command": "zoo train x --resume --set lr_g=0.002"},  # changes the weights
        {"step": 6, "command": "zoo train x --resume --set lr_g=0.002 --until 8"},  # continues
        {"step": 8, "command": "zoo train x --resume --steps 20"},  # after the weights below
    ]
    assert [leg["step"] for leg in _legs_behind_weights(first, legs, 7)] == [4]
    assert [leg["step"] for leg in _legs_behind_weights(first, legs, None)] == [4, 8]
    assert _legs_behind_weights(first, legs, 4) == []  # a leg starting at the weights' step came after them


def test_the_card_names_the_data_file_not_its_local_path(capsys, run: Path) -> None:
    data = json.loads((run / "train_config.json").read_text())["data"]
    code, _, err, folder = _push(capsys, run, "--license", "mit")
    assert code == 0, err
    card = (folder / "README.md").read_text()
    block = _card(folder)[0]["zoo"]
    assert block["dataset"] == "tiny.npz" and block["dataset_sha256"] == sha256_file(data)
    assert str(Path(data).parent) not in card and str(run) not in card
    assert "--data tiny.npz --out run --steps 4" in block["train_command"]
