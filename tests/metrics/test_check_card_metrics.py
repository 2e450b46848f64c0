"""benchmarks/check_card_metrics.py: a card's numbers are re-measured with the card's own ``zoo eval`` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_modules import load_script

NAME = "dcgan-cifar10-32"


def _checker():
    """The script as a module."""
    return load_script("benchmarks/check_card_metrics.py")


def _command(data: Path, n: int = 60) -> str:
    return f"zoo eval {NAME} --data {data.name} --metrics kid -n {n} --extractor zoo-cifar10-resnet --precision float32"


@pytest.fixture(scope="module")
def measured(tiny_cifar: Path):
    """One real measurement of the bundled DCGAN on tiny data, as a card would publish it."""
    return _checker().measure(_command(tiny_cifar), tiny_cifar.parent)


def test_the_commands_a_card_gives_are_found_once_each_however_they_wrap():
    checker = _checker()
    text = (
        f"Command: `zoo eval {NAME} --data a.npz\n-n 10` and `zoo eval\n{NAME} --data c.npz -n 3`, again\n"
        f"`zoo eval {NAME} --data a.npz -n 10`;\n"
        f"not `zoo eval {NAME} …`, `zoo eval RUN --data a.npz`, `zoo eval --compare {NAME} x`\n"
        "or `zoo eval other --data a.npz`."
    )
    protocols = [f"features (...), 10 generated; zoo eval {NAME} --data b.npz -n 5"]
    assert checker.eval_commands(NAME, text, protocols) == [
        f"zoo eval {NAME} --data b.npz -n 5",
        f"zoo eval {NAME} --data a.npz -n 10",
        f"zoo eval {NAME} --data c.npz -n 3",
    ]


def test_a_card_whose_numbers_its_command_measures_passes(measured, tiny_cifar, capsys):
    metrics = {"protocol": measured.protocol, "kid": round(measured.values["kid"], 6)}
    problems = _checker().check_card(NAME, metrics, f"`{_command(tiny_cifar)}`", tiny_cifar.parent, 0.01)
    assert problems == []
    assert "ok" in capsys.readouterr().out


def test_a_number_off_by_more_than_the_tolerance_is_reported(measured, tiny_cifar):
    metrics = {"protocol": measured.protocol, "kid": measured.values["kid"] * 1.05}
    problems = _checker().check_card(NAME, metrics, f"`{_command(tiny_cifar)}`", tiny_cifar.parent, 0.01)
    assert len(problems) == 1 and problems[0].startswith(f"{NAME}: kid ")


def test_a_group_without_a_written_command_is_measured_by_the_command_its_protocol_describes(measured, tiny_cifar):
    metrics = {"protocol": measured.protocol, "kid": round(measured.values["kid"], 6)}
    assert _checker().check_card(NAME, metrics, "no command in this text", tiny_cifar.parent, 0.01) == []


def test_a_group_no_command_measures_is_reported(measured, tiny_cifar):
    """The group's KID took other subsets than any command gives: its numbers are not what a command measures."""
    subsets = measured.protocol.split("KID ")[1].split(" subset")[0]
    metrics = {"protocol": measured.protocol.replace(f"KID {subsets} subset", "KID 7 subset"), "kid": 1.0}
    problems = _checker().check_card(NAME, metrics, f"`{_command(tiny_cifar, 40)}`", tiny_cifar.parent, 0.01)
    assert [p for p in problems if "no command on the card measures the group" in p]


@pytest.mark.parametrize(
    ("published", "measured_value", "expected"),
    [(1.217, 1.2175, True), (1.217, 1.235, False), (965.6, 970.0, True), (965.6, 980.0, False), (0.0, 0.0, True)],
)
def test_agreement_allows_the_tolerance_and_the_cards_rounding(published, measured_value, expected):
    assert _checker().agrees(published, measured_value, 0.01) is expected


def test_a_group_another_script_measured_is_left_to_that_script(tmp_path, capsys):
    """Style transfer's faithfulness numbers come from check_style_faithfulness.py, not from zoo eval."""
    metrics = {"protocol": "faithfulness to an output; python benchmarks/check_style_faithfulness.py", "r": 0.98}
    assert _checker().check_card("style-transfer-candy", metrics, "", tmp_path, 0.01) == []
    assert "not a zoo eval group" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--cards", "nope-model"], "no published card named nope-model"), ([], "is not a folder")],
)
def test_bad_arguments_get_one_line_and_exit_status_2(tmp_path, capsys, args, fragment):
    data_dir = tmp_path if args else tmp_path / "missing"
    with pytest.raises(SystemExit) as caught:
        _checker().main(["--data-dir", str(data_dir), *args])
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert caught.value.code == 2 and fragment in error
