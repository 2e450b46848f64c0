"""``zoo demo`` without a browser: what the page offers comes from the registry, each handler's result equals
the command it shows, requests are bounded and name only registered models, uploads go through the guarded
decoder, the server serves no file of the machine, and the exported Space starts.

The page itself, clicked through in Debian's chromium, is tests/test_demo_browser.py.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shlex
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from zoo import ComponentSpec, hookimpl
from zoo.demo.catalog import build_catalog, card_markdown
from zoo.demo.jobs import EXAMPLES, Demo, layer_ranges, parse_seeds, read_upload
from zoo.demo.limits import Limits, check_count
from zoo.errors import ZooError
from zoo.processes import free_port, wait_until_serving
from zoo.registry import get_registry

TASKS_WITH_LATENTS = ("unconditional-image-generation", "class-conditional-image-generation")


@pytest.fixture(scope="module")
def demo() -> Demo:
    return Demo(build_catalog(), Limits())


# --- what the page offers -----------------------------------------------------------------------------------


def test_the_catalog_is_the_registry_sorted_by_task():
    registry = get_registry()
    catalog = build_catalog()
    from zoo.hub.pull import local_weights

    here = {n for n, s in registry.checkpoints.items() if not s.unpublished and local_weights(s) is not None}
    task = {n: registry.architectures[registry.checkpoints[n].family].task for n in here}
    assert set(catalog.generators) == {n for n in here if task[n] in TASKS_WITH_LATENTS}
    assert set(catalog.translators) == {n for n in here if task[n] == "image-to-image"}
    assert len(catalog.generators) >= 5 and catalog.translators
    # the styles are the checkpoints of the families that registered a stylizer, named without the family
    for label, name in catalog.styles.items():
        assert registry.checkpoints[name].family in registry.stylizers
        assert name.endswith(label)
    assert catalog.first_generator in catalog.generators


def test_the_bundled_style_plugin_registers_its_stylizer_through_register_stylizers():
    stylizers = get_registry().stylizers
    assert stylizers, "no plugin registered a stylizer through register_stylizers"
    for family, spec in stylizers.items():
        assert family in get_registry().architectures
        assert get_registry().architectures[family].task == "image-to-image"
        assert spec.plugin  # attributed to its distribution
    assert len(build_catalog().styles) >= 5


def test_a_third_party_plugin_appears_in_the_demo_without_the_core_naming_it(zoo_registered_plugin):
    registry = get_registry()
    source = next(s for s in registry.checkpoints.values() if not s.unpublished and s.bundled and s.resolution == 32
                  and registry.architectures[s.family].task == "unconditional-image-generation")  # fmt: skip
    tasks = {name: arch.task for name, arch in registry.architectures.items()}
    translator = next(s for s in registry.checkpoints.values() if tasks[s.family] == "image-to-image")

    class ThirdParty:
        @hookimpl
        def register_architectures(register):  # noqa: N805 - pluggy calls it as a plain function
            for family, new in ((source.family, "thirdgan"), (translator.family, "thirdmap")):
                register(dataclasses.replace(registry.architectures[family], name=new, default_checkpoint=None))

        @hookimpl
        def register_checkpoints(register):  # noqa: N805
            register(dataclasses.replace(source, name="thirdgan-cifar10-32", family="thirdgan"))
            register(dataclasses.replace(translator, name="thirdmap-photos", family="thirdmap"))

        @hookimpl
        def register_stylizers(register):  # noqa: N805
            register(ComponentSpec("thirdmap", "zoo.demo.jobs:write_gif"))

    with zoo_registered_plugin(ThirdParty):
        catalog = build_catalog()
        assert "thirdgan-cifar10-32" in catalog.generators
        assert "thirdmap-photos" in catalog.translators
        assert catalog.styles.get("photos") == "thirdmap-photos"
        assert catalog.stylizers["thirdmap"].plugin
        picture = Demo(catalog, Limits()).generate("thirdgan-cifar10-32", 0, 4)
        assert picture.image.shape[2] in (1, 3)
        assert "Family** `thirdgan`" in card_markdown("thirdgan-cifar10-32")


def test_a_stylizer_that_is_not_a_component_spec_is_reported_not_registered(zoo_registered_plugin):
    class Broken:
        @hookimpl
        def register_stylizers(register):  # noqa: N805
            register("zoo.demo.jobs:write_gif")

    with pytest.warns(Warning, match="register_stylizers must register ComponentSpec"):
        with zoo_registered_plugin(Broken) as registry:
            assert "zoo.demo.jobs:write_gif" not in registry.stylizers


def test_the_model_card_panel_shows_licence_metrics_and_training_command():
    registry = get_registry()
    name = next(n for n, s in registry.checkpoints.items() if s.train_command and s.metrics)
    text = card_markdown(name)
    spec = registry.checkpoints[name]
    assert spec.license in text and spec.train_command in text
    number = next(v for k, v in spec.metrics.items() if isinstance(v, (int, float)))
    assert str(number) in text


# --- each handler makes what its command makes ---------------------------------------------------------------


@pytest.mark.slow
def test_generate_makes_the_png_of_the_zoo_sample_command_it_shows(demo, tmp_path, monkeypatch):
    from zoo.cli import main

    for name in (demo.catalog.first_generator, next(n for n in demo.catalog.generators if demo.classes(n))):
        label = demo.classes(name)[-1] if demo.classes(name) else None
        picture = demo.generate(name, 7, 9, 1.0, label)
        command = shlex.split(picture.command)
        assert command[:3] == ["zoo", "sample", name] and "--seed" in command
        monkeypatch.chdir(tmp_path)
        main(command[1:])  # returns on success (a refusal would exit 2)
        ours, theirs = np.asarray(Image.open(picture.png)), np.asarray(Image.open(tmp_path / "grid.png"))
        assert ours.shape == theirs.shape and np.array_equal(ours, theirs), name


def _run_shown(command: str, folder: Path, monkeypatch: pytest.MonkeyPatch, photo: Path | None = None) -> None:
    """Run a command the page shows, as a user would paste it (photo.jpg standing for the picture used)."""
    from zoo.cli import main

    monkeypatch.chdir(folder)
    if photo is not None:
        (folder / "photo.jpg").write_bytes(photo.read_bytes())
    words = shlex.split(command.split("   #")[0])
    assert words[0] == "zoo"
    main(words[1:])


def _frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as gif:
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append(np.asarray(gif.convert("RGB")))
        return frames


@pytest.mark.slow
def test_the_walk_mix_and_stylize_commands_shown_make_the_same_pictures(demo, tmp_path, monkeypatch):
    name = demo.catalog.style_based[0]
    gif, command = demo.walk(name, "4,5", 6)
    _run_shown(command, tmp_path, monkeypatch)
    ours, theirs = _frames(gif), _frames(tmp_path / "walk.gif")
    assert len(ours) == len(theirs) == 6 and all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))

    mix = demo.style_mix(name, "1,2", "3", next(iter(layer_ranges(demo.models.get(name).generator.num_ws))))
    _run_shown(mix.command, tmp_path, monkeypatch)
    assert np.array_equal(np.asarray(Image.open(mix.png)), np.asarray(Image.open(tmp_path / "mix.png")))

    example = EXAMPLES[next(iter(EXAMPLES))]
    style = next(iter(demo.catalog.styles))
    picture = demo.stylize(style, demo.photo(None, example.stem), 256)
    _run_shown(picture.command, tmp_path, monkeypatch, photo=example)
    assert np.array_equal(picture.image, np.asarray(Image.open(tmp_path / "out.png").convert("RGB")))

    translated = demo.translate(demo.catalog.translators[0], demo.photo(None, example.stem), 128)
    (tmp_path / "out.png").unlink()
    _run_shown(translated.command, tmp_path, monkeypatch, photo=example)
    assert np.array_equal(translated.image, np.asarray(Image.open(tmp_path / "out.png").convert("RGB")))


def test_models_are_loaded_once_and_kept(demo):
    name = demo.catalog.first_generator
    before = demo.models.loads
    demo.generate(name, 1, 4)
    loaded = demo.models.loads
    for seed in range(3):
        demo.generate(name, seed, 4)
    assert demo.models.loads == loaded <= before + 1
    assert demo.models.get(name) is demo.models.get(name)


def test_the_result_folder_stays_bounded(monkeypatch):
    import zoo.demo.jobs

    monkeypatch.setattr(zoo.demo.jobs, "KEPT_FILES", 3)
    small = Demo(build_catalog(), Limits())
    names = [small.generate(small.catalog.first_generator, seed, 1).png for seed in range(6)]
    assert sorted(small.out_dir.iterdir()) == sorted(names[-3:])


def test_the_result_folder_is_removed_with_the_demo_and_at_exit():
    import gc

    temporary = Demo(build_catalog(), Limits())
    folder = temporary.out_dir
    (folder / "grid.png").write_bytes(b"png")
    del temporary
    gc.collect()
    assert not folder.exists()
    script = (
        "from zoo.demo.catalog import build_catalog\nfrom zoo.demo.jobs import Demo\n"
        "from zoo.demo.limits import Limits\n"
        "demo = Demo(build_catalog(), Limits()); (demo.out_dir / 'a.png').write_bytes(b'png'); print(demo.out_dir)"
    )
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert not Path(printed.strip()).exists()  # the process ended while the demo still held it


def test_a_grid_has_the_expected_size(demo):
    name = demo.catalog.first_generator
    resolution = get_registry().checkpoints[name].resolution
    picture = demo.generate(name, 0, 16)
    cell = resolution * max(1, 128 // resolution)
    assert picture.image.shape[:2] == (4 * cell + 5 * 2, 4 * cell + 5 * 2)  # make_grid: 2 px of padding
    assert Image.open(picture.png).size == (4 * cell + 10, 4 * cell + 10)


def test_walk_mix_and_sweep(demo):
    name = demo.catalog.style_based[0]
    path, command = demo.walk(name, "1,2,3", 5)
    with Image.open(path) as gif:
        assert gif.n_frames == 5 + 4  # two legs of 5 sharing their middle frame
    assert command.startswith(f"zoo interpolate {name} --seeds 1,2,3 --steps 5")
    layers = next(iter(layer_ranges(demo.models.get(name).generator.num_ws)))
    mix = demo.style_mix(name, "1,2", "3,4,5", layers)
    resolution = demo.models.get(name).generator.resolution * max(1, 128 // demo.models.get(name).generator.resolution)
    assert mix.image.shape[:2] == (3 * resolution + 8, 4 * resolution + 10)
    sweep = demo.truncation_sweep(demo.catalog.truncatable[0], 3, 4)
    assert "--truncation PSI" in sweep.command


def test_layer_ranges_cover_every_style_input_once():
    for num_ws in (2, 3, 8, 10, 14):
        covered = [i for first, last in layer_ranges(num_ws).values() for i in range(first, last + 1)]
        assert covered == list(range(num_ws)), num_ws


def test_stylize_and_translate_every_image_to_image_model(demo):
    photo = demo.photo(None, next(iter(EXAMPLES)))
    for style in demo.catalog.styles:
        picture = demo.stylize(style, photo, 128)
        assert max(picture.image.shape[:2]) == 128
        assert picture.command.startswith(f"zoo stylize photo.jpg --style {style}")
    for name in demo.catalog.translators:
        translated = demo.translate(name, photo, 64)
        assert max(translated.image.shape[:2]) == 64
        assert translated.command == f"zoo translate {name} photo.jpg --size 64 -o out.png"


@pytest.mark.slow
def test_a_style_learnt_from_an_uploaded_image_reports_each_step(demo, tmp_path):
    style = tmp_path / "style.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(style)
    steps: list[tuple[int, int]] = []
    picture = demo.learn_style(demo.photo(None, next(iter(EXAMPLES))), str(style), 3, 64, lambda *s: steps.append(s))
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert max(picture.image.shape[:2]) == 64


# --- bounds and refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda d: d.generate("/etc/passwd", 0, 1), "not one of this demo's generators"),
        (lambda d: d.generate("../weights.safetensors", 0, 1), "not one of this demo's generators"),
        (lambda d: d.generate(d.catalog.first_generator, 0, 10_000), "from 1 to 64"),
        (lambda d: d.generate(d.catalog.first_generator, -1, 1), "seed must be a whole number"),
        (lambda d: d.generate(d.catalog.first_generator, 2**40, 1), "seed must be a whole number"),
        (lambda d: d.generate(d.catalog.first_generator, 0, float("nan")), "number of images"),
        (lambda d: d.generate(d.catalog.first_generator, 0, 1, 0.5), "does not support truncation"),
        (lambda d: d.generate(d.catalog.first_generator, 0, 1, 0.0), "truncation must be in (0, 1]"),
        (lambda d: d.walk(d.catalog.first_generator, "1", 4), "at least two seeds"),
        (lambda d: d.walk(d.catalog.first_generator, "1,2", 10_000), "steps must be"),
        (lambda d: d.walk(d.catalog.first_generator, ",".join(["1"] * 99), 4), "give 1 to 6"),
        (lambda d: d.style_mix(d.catalog.first_generator, "1", "2", "coarse (0-3)"), "style-based"),
        (lambda d: d.photo(None, "/etc/passwd"), "no bundled example"),
        (lambda d: d.photo(None, None), "upload a photo"),
        (lambda d: d.stylize("../../etc/passwd", None, 64), "not one of this demo's styles"),
        (lambda d: d.learn_style(None, None, 3, 64), "upload a style image"),
    ],
)
def test_bad_requests_are_one_line_messages(demo, call, fragment):
    with pytest.raises(ZooError) as error:
        call(demo)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_a_conditional_model_needs_one_of_its_classes(demo):
    name = next(n for n in demo.catalog.generators if demo.classes(n))
    with pytest.raises(ZooError, match="choose a class"):
        demo.generate(name, 0, 1, 1.0, "no-such-class")


def test_counts_from_the_page_are_whole_numbers_in_range():
    assert check_count(4.0, "n", 1, 8) == 4
    for bad in (None, True, "x", 4.5, float("inf"), 0, 9):
        with pytest.raises(ZooError):
            check_count(bad, "n", 1, 8)
    assert parse_seeds(" 3, 4 ", "seeds", 3) == [3, 4]


def test_limits_must_be_positive_integers():
    with pytest.raises(ZooError, match="max_images"):
        Limits(max_images=0)
    with pytest.raises(ZooError, match="default_steps"):
        Limits(max_steps=5, default_steps=10)


# --- uploads ---------------------------------------------------------------------------------------------------


def _png(path: Path, size: tuple[int, int]) -> Path:
    Image.new("RGB", size, (200, 30, 30)).save(path)
    return path


def test_an_upload_goes_through_the_guarded_decoder_and_is_shrunk(tmp_path):
    picture = read_upload(str(_png(tmp_path / "big.png", (1500, 300))), Limits(), "photo")
    assert picture.size == (512, 102)


def test_an_upload_is_turned_upright_as_its_exif_says(tmp_path):
    from zoo.image_io import open_image

    stored = Image.new("RGB", (60, 20), (255, 0, 0))
    stored.paste((0, 0, 255), (0, 0, 10, 20))  # a blue strip on the left of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    path = tmp_path / "phone.jpg"
    stored.save(path, exif=exif, quality=95)
    ours = read_upload(str(path), Limits(), "photo")
    cli = open_image(path).image  # zoo stylize's reader
    assert ours.size == cli.size == (20, 60)
    assert np.abs(np.asarray(ours, dtype=int) - np.asarray(cli, dtype=int)).max() <= 2


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty file"),
        (b"GIF89a not really", "not an image this demo can read"),
        (os.urandom(2000), "not an image this demo can read"),
    ],
)
def test_bad_uploads_are_refused_with_a_message(tmp_path, content, fragment):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    with pytest.raises(ZooError, match=fragment):
        read_upload(str(path), Limits(), "photo")


def test_an_upload_over_the_pixel_limit_is_refused_before_decoding(tmp_path, monkeypatch):
    path = _png(tmp_path / "wide.png", (6000, 5000))  # 30 MP of one colour: a small file
    assert path.stat().st_size < 1_000_000
    from PIL import ImageFile

    def no_decoding(*_args, **_kwargs):  # the size is read from the header; the pixels are never decoded
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ZooError, match="25,000,000 pixels"):
        read_upload(str(path), Limits(), "photo")


def test_an_upload_over_the_byte_limit_is_refused(tmp_path):
    path = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)).save(path)
    with pytest.raises(ZooError, match="over this demo's"):
        read_upload(str(path), Limits(max_upload_bytes=1000), "photo")


# --- the command line ------------------------------------------------------------------------------------------


def test_zoo_demo_without_gradio_says_how_to_install_it(monkeypatch, capsys):
    from zoo.cli import main

    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio raises ImportError
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--port", str(free_port())])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "Error: zoo demo needs Gradio, an optional extra: pip install 'gan-zoo[demo]' " \
                  "(from a clone: pip install './zoo_core[demo]')"  # fmt: skip


def test_zoo_demo_listens_on_loopback_and_shares_nothing_unless_asked(monkeypatch):
    import zoo.demo.app
    from zoo.cli import main

    calls: list[tuple[str, int, dict]] = []
    monkeypatch.setattr(zoo.demo.app, "serve", lambda host, port, **kw: calls.append((host, port, kw)))
    main(["demo", "-q"])
    main(["demo", "--host", "0.0.0.0", "--port", "8080", "--share", "-q"])
    assert calls[0][:2] == ("127.0.0.1", 7860)
    assert calls[0][2]["share"] is False and calls[0][2]["open_browser"] is False
    assert calls[1][:2] == ("0.0.0.0", 8080) and calls[1][2]["share"] is True


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--host", "http://0.0.0.0/"], "not a host name"),
        (["--host", "a b"], "not a host name"),
        (["--port", "0"], "--port must be between 1 and 65535"),
        (["--export-space", ""], "needs a directory name"),
    ],
)
def test_zoo_demo_refuses_bad_options_in_one_line(zoo_cli, args, fragment):
    result = zoo_cli("demo", *args)
    assert result.returncode == 2 and fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_port_in_use_is_one_line(zoo_cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = zoo_cli("demo", "--port", str(port), "-q")
    assert result.returncode == 2, result.stderr
    said = result.stderr.strip()
    assert said == f"Error: port {port} on 127.0.0.1 is in use: stop what uses it or choose another --port"


def test_zoo_list_imports_neither_gradio_nor_torch():
    code = "import sys; from zoo.cli import main\ntry: main(['list'])\nexcept SystemExit: pass\n" \
           "print('gradio' in sys.modules, 'torch' in sys.modules, file=sys.stderr)"  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().splitlines()[-1] == "False False", result.stderr


def test_export_space_writes_the_app_and_refuses_to_mix_with_other_files(zoo_cli, tmp_path):
    result = zoo_cli("demo", "--export-space", "space")
    assert result.returncode == 0, result.stderr
    space = tmp_path / "space"
    assert sorted(p.name for p in space.iterdir()) == ["README.md", "app.py", "requirements.txt"]
    requirements = (space / "requirements.txt").read_text()
    assert "zoo-core[demo]==" in requirements and "gradio==" in requirements
    for info in get_registry().plugins:
        if info.distribution != "zoo-core" and not info.errors:
            assert f"{info.distribution}=={info.version}" in requirements
    assert "sdk: gradio" in (space / "README.md").read_text()
    compile((space / "app.py").read_text(), "app.py", "exec")
    again = zoo_cli("demo", "--export-space", "space")
    assert again.returncode == 2 and "not empty" in again.stderr
    (tmp_path / "file").write_text("x")
    assert zoo_cli("demo", "--export-space", "file").returncode == 2
    assert zoo_cli("demo", "--export-space", "missing/space").returncode == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "space"]  # nothing half-written


# --- the server --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_exported_space_starts_and_serves_the_app_without_any_file_of_the_machine(zoo_cli, tmp_path):
    assert zoo_cli("demo", "--export-space", "space").returncode == 0
    port = free_port()
    temp = tmp_path / "temp"  # the server's temp dir: its result folder must be gone once it stops
    temp.mkdir()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1",
           "TMPDIR": str(temp)}  # fmt: skip
    server = subprocess.Popen([sys.executable, "app.py"], cwd=tmp_path / "space", env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10) as response:
            config = response.read().decode()
        for tab in ("Generate", "Explore", "Stylize", "Translate", "Model card"):
            assert f'"{tab}"' in config, tab
        secret = tmp_path / "space" / "app.py"
        for path in ("/etc/passwd", str(secret), str(Path(__file__).resolve()), str(EXAMPLES[next(iter(EXAMPLES))])):
            for prefix in ("/gradio_api/file=", "/file="):
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{prefix}{path}", timeout=10)
                assert refused.value.code in (403, 404), (prefix, path)
        too_big = _multipart("big.png", os.urandom(Limits().max_upload_bytes + 1000))
        request = urllib.request.Request(f"http://127.0.0.1:{port}/gradio_api/upload", data=too_big[1],
                                         headers={"Content-Type": too_big[0]})  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=60)
        assert refused.value.code == 413  # refused by the server before any handler sees it
        assert len(list(temp.glob("zoo-demo-*"))) == 1
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not list(temp.glob("zoo-demo-*"))  # SIGTERM stops it as Ctrl+C does, and the results go with it


def _multipart(name: str, blob: bytes) -> tuple[str, bytes]:
    """(content type, body) of a form upload of one file, as a browser sends it."""
    boundary = "zoo-demo-test-boundary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
    head += "Content-Type: application/octet-stream\r\n\r\n"
    return f"multipart/form-data; boundary={boundary}", head.encode() + blob + f"\r\n--{boundary}--\r\n".encode()


def test_every_model_event_shares_one_bounded_queue():
    from zoo.demo.app import CONCURRENCY_ID, build_app

    limits = Limits(concurrency=1, max_queue=5)
    blocks = build_app(limits, Demo(build_catalog(), limits))
    running = [fn for fn in blocks.fns.values() if fn.name != "card"]
    assert {fn.name for fn in running} >= {"generate", "walk", "mix", "sweep", "stylize", "translate"}
    for fn in running:
        assert fn.queue and fn.concurrency_id == CONCURRENCY_ID and fn.concurrency_limit == 1, fn.name
    assert blocks._queue.max_size == 5


def test_an_upload_is_decoded_by_the_zoo_not_by_the_web_framework(demo, tmp_path, monkeypatch):
    """A PNG's bytes reach decode_image: a file that only claims to be a PNG gets the zoo's message."""
    calls: list[str] = []
    import zoo.image_io

    real = zoo.image_io.decode_image

    def spy(blob: bytes, where: str, max_pixels: int = zoo.image_io.MAX_PIXELS):
        calls.append(where)
        return real(blob, where, max_pixels)

    monkeypatch.setattr(zoo.image_io, "decode_image", spy)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30)).save(buffer, format="PNG")
    path = tmp_path / "photo.png"
    path.write_bytes(buffer.getvalue())
    assert demo.photo(str(path), None).size == (40, 30)
    assert calls == ["the photo 'photo.png'"]
