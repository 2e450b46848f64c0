"""Hostile inputs to zoo push, zoo cards check and zoo eval --compare: one clean line each, nothing written.

Pushes go from the registered ``dcgan-cifar10-32`` (its weights ship with the plugin), so no run is trained
and no Hub is needed: ``--dry-run`` writes the folder, a real push is refused offline or its upload is faked.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zlib
from pathlib import Path

import pytest
import zoo
from zoo.cards import HUB_LICENSES, check_metrics, checkpoint_from_card, license_problem, read_card, validate_card
from zoo.errors import ZooError

NAME = "dcgan-cifar10-32"
PUSH = ("push", NAME, "--repo", "me/x", "--out", "pushed")
DRY = (*PUSH, "--dry-run")


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test works in its own folder with its own zoo cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "zoo-home"))


def _refused(result: tuple[int, str, str], *fragments: str) -> str:
    """An in-process CLI result that is a one-line exit-2 error holding ``fragments``."""
    code, _, err = result
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, (code, err)
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _registered_card() -> str:
    """The text of the registered checkpoint's own card."""
    from zoo.registry import get_registry

    return Path(get_registry().checkpoints[NAME].card).read_text(encoding="utf-8")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that is only a header claiming ``width`` x ``height`` pixels (a decompression bomb's calling card)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


# --- 1. NaN and infinite metrics ---------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        '{"protocol": "x", "fid": NaN}',
        '{"protocol": "x", "fid": Infinity}',
        '{"protocol": "x", "kid": 0.1, "fid": -Infinity}',
        '{"protocol": "x", "fid": {"value": NaN}}',
        '{"protocol": "x", "fid": 3.0, "other": {"protocol": "y", "fid": NaN}}',
    ],
)
def test_push_refuses_non_finite_metrics_before_writing(zoo_here, document: str) -> None:
    Path("metrics.json").write_text(document)
    _refused(zoo_here(*DRY, "--metrics", "metrics.json"), "--metrics", "is not a finite number")
    assert not Path("pushed").exists()


def test_push_refuses_a_metric_that_is_no_number_with_the_card_check(zoo_here) -> None:
    Path("metrics.json").write_text(json.dumps({"protocol": "FID-10k vs train, zoo eval", "fid": "low"}))
    line = _refused(zoo_here(*DRY, "--metrics", "metrics.json"), "zoo.metrics: 'fid' is 'low', not a number")
    assert "missing" not in line  # the option hint is for absent fields only
    assert not Path("pushed").exists()


def test_python_push_refuses_nan_metrics() -> None:
    with pytest.raises(ZooError, match=r"metric fid is not a finite number \(nan\)"):
        zoo.push(NAME, "me/x", dry_run=True, out="pushed", metrics={"protocol": "x", "fid": float("nan")}, say=print)
    assert not Path("pushed").exists()


def _nan_card(folder: Path) -> Path:
    """The registered card with its first FID replaced by NaN (same protocol, so --compare would pair it)."""
    text = _registered_card()
    start = text.index("fid: ", text.index("metrics:")) + len("fid: ")
    end = text.index("\n", start)
    card = folder / "nan-card.md"
    card.write_text(text[:start] + ".nan" + text[end:], encoding="utf-8")
    return card


def test_compare_refuses_a_card_with_nan_metrics(zoo_here, tmp_path: Path) -> None:
    card = _nan_card(tmp_path)
    _refused(zoo_here("eval", "--compare", str(card), NAME), "nan-card.md", "metric fid is not a finite number (nan)")


def test_cards_check_refuses_nan_metrics(tmp_path: Path) -> None:
    problems = validate_card(_nan_card(tmp_path), draft=False)
    assert any("zoo.metrics: metric fid is not a finite number (nan)" in p for p in problems), problems


def test_metrics_check_takes_finite_numbers() -> None:
    check_metrics({"protocol": "x", "fid": 3.5, "kid": {"value": 0.01}, "is": 2}, "ok")
    with pytest.raises(ZooError, match="not a finite number"):
        check_metrics({"protocol": "x", "fid": math.inf}, "card")


# --- 2. sample grids that are no PNG, or a bomb ------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"hello, I am text\n", "is not a PNG file"),
        (b"\x89PNG\r\n\x1a\ntruncated", "could not be decoded"),
        (_png_header(50_000, 50_000), "samples.png"),
    ],
    ids=["text", "truncated", "bomb"],
)
def test_push_refuses_a_samples_file_that_is_no_image(zoo_here, content: bytes, fragment: str) -> None:
    Path("samples.png").write_bytes(content)
    _refused(zoo_here(*DRY, "--samples", "samples.png"), "--samples", fragment)
    assert not Path("pushed").exists()


def test_push_takes_a_real_png_grid(zoo_here) -> None:
    from PIL import Image

    Image.new("RGB", (8, 8), (10, 20, 30)).save("grid.png")
    code, _, err = zoo_here(*DRY, "--samples", "grid.png")
    assert code == 0, err
    assert Path("pushed/samples.png").read_bytes() == Path("grid.png").read_bytes()


# --- 3. card files that are not UTF-8 or not regular files -------------------------------------


def test_a_non_utf8_card_is_one_line_everywhere(zoo_here) -> None:
    Path("binary.md").write_bytes(b"---\nlicense: mit\n\xff\xfe\x00zoo:\n---\n")
    _refused(zoo_here(*DRY, "--card", "binary.md"), "binary.md", "is not UTF-8 text")
    assert not Path("pushed").exists()
    _refused(zoo_here("eval", "--compare", "binary.md", NAME), "binary.md", "is not UTF-8 text")
    code, out, _ = zoo_here("cards", "check", "binary.md")
    assert code == 2 and "is not UTF-8 text" in out, out
    with pytest.raises(ZooError, match="is not UTF-8 text"):
        checkpoint_from_card("binary.md")  # what plugins register their cards with


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_reading_a_fifo_card_is_refused_at_once() -> None:
    os.mkfifo("pipe.md")
    with pytest.raises(ZooError, match="FIFO"):
        read_card("pipe.md")


# --- 4. control characters in one-line fields --------------------------------------------------


@pytest.mark.parametrize("field", ["train_command", "dataset", "license", "name"])
@pytest.mark.parametrize("bad", ["\n---\nevil: yes", "\r", "\x00", "\t", "\u2028", "\x85"])
def test_push_refuses_control_characters_in_every_one_line_field(field: str, bad: str) -> None:
    value = ("mit" if field == "license" else "zoo train") + bad
    with pytest.raises(ZooError, match="control character"):
        zoo.push(NAME, "me/x", dry_run=True, out="pushed", say=print, **{field: value})
    assert not Path("pushed").exists()


def test_cli_push_refuses_a_newline_in_the_train_command(zoo_here) -> None:
    _refused(zoo_here(*DRY, "--train-command", "zoo train\n---\nevil: yes"), "--train-command", "control character")
    assert not Path("pushed").exists()


def test_cards_check_refuses_a_control_character_in_a_one_line_field(tmp_path: Path) -> None:
    card = tmp_path / f"{NAME}.md"
    text = _registered_card()
    card.write_text(text.replace("  dataset: ", '  dataset: "two\\nlines" #', 1), encoding="utf-8")
    problems = validate_card(card, draft=True)
    assert any("zoo.dataset: holds the control character" in p for p in problems), problems


# --- 5. licence identifiers --------------------------------------------------------------------


def test_push_refuses_a_licence_the_hub_does_not_know(zoo_here) -> None:
    _refused(zoo_here(*DRY, "--license", "not a licence"), "'not a licence'", "Hugging Face Hub licence")
    _refused(zoo_here(*DRY, "--license", "MIT"), "did you mean mit")
    _refused(zoo_here(*DRY, "--license", "apache2"), "did you mean apache-2.0")
    assert not Path("pushed").exists()
    code, _, err = zoo_here(*DRY, "--license", "cc-by-nc-4.0")
    assert code == 0, err


def test_cards_check_refuses_an_unknown_licence(tmp_path: Path) -> None:
    card = tmp_path / f"{NAME}.md"
    lines = _registered_card().splitlines(keepends=True)
    lines.insert(1, "license: not a licence\n")
    card.write_text("".join(line for i, line in enumerate(lines) if i < 2 or not line.startswith("license:")))
    problems = validate_card(card, draft=True)
    assert any("license: 'not a licence' is not a Hugging Face Hub licence" in p for p in problems), problems


def test_the_hub_licence_list_holds_the_common_ones() -> None:
    for licence in ("mit", "apache-2.0", "bsd-3-clause", "cc-by-4.0", "cc-by-nc-sa-4.0", "openrail++", "other"):
        assert licence in HUB_LICENSES and license_problem(licence) is None
    assert "did you mean cc-by-4.0" in str(license_problem("cc-by-4"))


# --- 6. a real push offline, and a failed upload -----------------------------------------------


def test_real_push_offline_is_refused_before_writing(zoo_cli, clean_error, tmp_path: Path) -> None:
    result = zoo_cli(*PUSH, "--license", "mit", "--no-metrics", env={"HF_HUB_OFFLINE": "1"})
    clean_error(result, "zoo push uploads, and HF_HUB_OFFLINE=1 forbids it", "--dry-run")
    assert not (tmp_path / "pushed").exists()


def _upload_env(hub) -> dict[str, str]:
    """A real upload attempt to the loopback Hub, which (a read-only mirror) refuses every upload."""
    return {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_TOKEN": "hf_zoo_tests_only"}


def test_failed_upload_removes_the_folder_it_created(zoo_cli, zoo_local_hub, tmp_path: Path) -> None:
    result = zoo_cli("push", NAME, "--repo", "me/x", "--out", "new/pushed", "--license", "mit",
                     env=_upload_env(zoo_local_hub))  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "new").exists()


def test_failed_upload_keeps_a_folder_that_was_there(zoo_cli, zoo_local_hub, tmp_path: Path) -> None:
    (tmp_path / "pushed").mkdir()
    (tmp_path / "pushed" / "notes.txt").write_text("mine")
    result = zoo_cli("push", NAME, "--repo", "me/x", "--out", "pushed", "--license", "mit",
                     env=_upload_env(zoo_local_hub))  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert (tmp_path / "pushed" / "notes.txt").read_text() == "mine"


def test_dry_run_still_writes_the_folder(zoo_here) -> None:
    code, _, err = zoo_here(*DRY, "--license", "mit")
    assert code == 0, err
    assert json.loads(Path("pushed/config.json").read_text())["family"] == "dcgan"
