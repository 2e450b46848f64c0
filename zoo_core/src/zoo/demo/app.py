"""The demo's page (Gradio Blocks): five tabs over the handlers of ``zoo.demo.jobs``, and how it is served.

The only module of the core that imports Gradio, and only when ``zoo demo`` or an exported Space runs.
A ``ZooError`` from a handler becomes a message in the page (``gr.Error``); nothing else reaches the browser.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.demo.catalog import card_markdown, catalog
from zoo.demo.jobs import EXAMPLES, Demo, layer_ranges
from zoo.demo.limits import Limits
from zoo.errors import ZooError
from zoo.processes import signal_handlers

if TYPE_CHECKING:
    import gradio as gr

INSTALL_HINT = (
    "zoo demo needs Gradio, an optional extra: pip install 'gan-zoo[demo]' "
    "(from a clone: pip install './zoo_core[demo]')"
)
OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",  # no usage reports, no version check against the network
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_MCP_SERVER": "False",
}
TITLE = "gan-zoo demo"
CSS = "#generate-image img, #mix-image img, #walk-image img { image-rendering: pixelated; }"
CONCURRENCY_ID = "zoo-models"
UPLOAD_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"]


def import_gradio() -> Any:
    """Gradio, set up to work offline, or a ZooError with the one command that installs it."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    try:
        import gradio
    except ImportError:
        raise ZooError(INSTALL_HINT) from None
    return gradio


def _theme(gr: Any) -> Any:
    """Gradio's default look with system fonts: the page loads nothing from Google Fonts or any CDN."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def _rgb(image: np.ndarray) -> np.ndarray:
    """Grayscale models' images as RGB for the browser (the PNG download keeps one channel, as zoo sample)."""
    return np.repeat(image, 3, axis=2) if image.ndim == 3 and image.shape[2] == 1 else image


def _in_page(gr: Any, function: Callable[..., Any]) -> Callable[..., Any]:
    """Run a handler; its ZooError becomes the message the page shows (a toast), never a traceback."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ZooError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    return run


def _picture(gr: Any, label: str, elem_id: str, animated: bool = False) -> Any:
    """An output image: PNG (a GIF file for animations), with download and full-screen buttons, no share button."""
    if animated:
        return gr.Image(label=label, type="filepath", format="gif", buttons=["download"], elem_id=elem_id,
                        interactive=False)  # fmt: skip
    return gr.Image(label=label, format="png", buttons=["download", "fullscreen"], elem_id=elem_id, interactive=False)


def build_app(limits: Limits | None = None, demo: Demo | None = None) -> gr.Blocks:
    """The whole page; ``demo`` holds the loaded models (one per process, shared by every visitor)."""
    gr = import_gradio()
    demo = demo or Demo(catalog(), limits or Limits())
    limits = demo.limits
    cat = demo.catalog
    page = functools.partial(_in_page, gr)
    first = cat.first_generator

    # Gradio's copies of results and uploads older than an hour are deleted every hour (a Space runs for days)
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as blocks:
        gr.Markdown(
            f"# {TITLE}\nEvery installed model, on this machine's CPU: {len(cat.generators)} generators, "
            f"{len(cat.translators)} image-to-image models. Each result shows the `zoo` command that makes it."
        )
        with gr.Tab("Generate", id="generate"):
            with gr.Row():
                with gr.Column(scale=1):
                    g_model = gr.Dropdown(list(cat.generators), value=first, label="Checkpoint", elem_id="gen-model")
                    g_seed = gr.Number(0, label="Seed", precision=0, minimum=0, elem_id="gen-seed")
                    g_n = gr.Slider(1, limits.max_images, value=16, step=1, label="Images", elem_id="gen-n")
                    g_trunc = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Truncation ψ (1 = none)")
                    g_class = gr.Dropdown([], label="Class", visible=False, elem_id="gen-class")
                    g_button = gr.Button("Generate", variant="primary", elem_id="gen-button")
                with gr.Column(scale=2):
                    g_image = _picture(gr, "Samples", "generate-image")
                    g_command = gr.Code(label="The same grid from the command line", language="shell",
                                        elem_id="gen-command")  # fmt: skip
                    g_download = gr.DownloadButton("Download PNG", elem_id="gen-download")

        with gr.Tab("Explore", id="explore"):
            with gr.Row():
                e_model = gr.Dropdown(list(cat.generators), value=first, label="Checkpoint", elem_id="walk-model")
                e_seeds = gr.Textbox("1,2,3", label="Seeds to walk through", elem_id="walk-seeds")
                e_steps = gr.Slider(2, limits.max_walk_steps, value=12, step=1, label="Frames per leg")
                e_class = gr.Dropdown([], label="Class", visible=False)
            e_button = gr.Button("Walk", variant="primary", elem_id="walk-button")
            e_image = _picture(gr, "Latent walk", "walk-image", animated=True)
            e_command = gr.Code(label="Command", language="shell", elem_id="walk-command")
            gr.Markdown("### Style mixing (style-based generators)")
            styled = cat.style_based[0] if cat.style_based else None
            with gr.Row():
                m_model = gr.Dropdown(list(cat.style_based), value=styled, label="Checkpoint", elem_id="mix-model")
                m_rows = gr.Textbox("1,2,3", label="Row seeds (keep their styles)")
                m_cols = gr.Textbox("4,5,6", label="Column seeds (lend the layers)")
                ranges = list(layer_ranges(demo.models.get(styled).generator.num_ws)) if styled else []
                m_layers = gr.Dropdown(ranges, value=ranges[0] if ranges else None, label="Layers taken")
            m_button = gr.Button("Mix styles", elem_id="mix-button")
            m_image = _picture(gr, "Style mixing", "mix-image")
            m_command = gr.Code(label="Command", language="shell", elem_id="mix-command")
            gr.Markdown("### Truncation sweep (ψ from 1 down to 0.1)")
            swept = cat.truncatable[0] if cat.truncatable else None
            with gr.Row():
                t_model = gr.Dropdown(list(cat.truncatable), value=swept, label="Checkpoint")
                t_seed = gr.Number(0, label="Seed", precision=0, minimum=0)
                t_count = gr.Slider(2, limits.max_sweep, value=6, step=1, label="Images")
            t_button = gr.Button("Sweep", elem_id="sweep-button")
            t_image = _picture(gr, "Truncation sweep", "sweep-image")
            t_command = gr.Code(label="Command", language="shell", elem_id="sweep-command")

        examples = list(EXAMPLES)
        with gr.Tab("Stylize", id="stylize"):
            with gr.Row():
                with gr.Column():
                    s_upload = gr.File(label="Your photo", file_types=UPLOAD_TYPES, elem_id="style-upload")
                    s_example = gr.Dropdown(examples, value=examples[0] if examples else None,
                                            label="…or a bundled example", elem_id="style-example")  # fmt: skip
                    style_names = [*cat.styles, *(["my style image (optimisation)"] if cat.stylizers else [])]
                    s_style = gr.Radio(style_names, value=style_names[0] if style_names else None, label="Style",
                                       elem_id="style-choice")  # fmt: skip
                    s_style_upload = gr.File(label="Style image (for 'my style image')", file_types=UPLOAD_TYPES,
                                             elem_id="style-image-upload")  # fmt: skip
                    s_steps = gr.Slider(1, limits.max_steps, value=limits.default_steps, step=1,
                                        label="Optimisation steps (style image only)")  # fmt: skip
                    s_size = gr.Slider(64, limits.max_side, value=min(256, limits.max_side), step=16,
                                       label="Longest side (px)")  # fmt: skip
                    s_button = gr.Button("Stylize", variant="primary", elem_id="style-button")
                with gr.Column():
                    s_image = _picture(gr, "Stylised", "style-image")
                    s_command = gr.Code(label="Command", language="shell", elem_id="style-command")
                    s_download = gr.DownloadButton("Download PNG", elem_id="style-download")

        with gr.Tab("Translate", id="translate"):
            with gr.Row():
                with gr.Column():
                    x_model = gr.Dropdown(list(cat.translators), value=cat.translators[0] if cat.translators else None,
                                          label="Image-to-image model", elem_id="tr-model")  # fmt: skip
                    x_upload = gr.File(label="Your photo", file_types=UPLOAD_TYPES, elem_id="tr-upload")
                    x_example = gr.Dropdown(examples, value=examples[0] if examples else None,
                                            label="…or a bundled example")  # fmt: skip
                    x_size = gr.Slider(64, limits.max_side, value=min(256, limits.max_side), step=16,
                                       label="Longest side (px)")  # fmt: skip
                    x_button = gr.Button("Translate", variant="primary", elem_id="tr-button")
                with gr.Column():
                    x_image = _picture(gr, "Result", "tr-image")
                    x_command = gr.Code(label="The same with zoo", language="shell", elem_id="tr-command")

        with gr.Tab("Model card", id="card"):
            c_model = gr.Dropdown(list(cat.checkpoints), value=first, label="Checkpoint", elem_id="card-model")
            c_text = gr.Markdown(card_markdown(first) if first else "No models installed.", elem_id="card-text")

        # --- events -------------------------------------------------------------------------------------------
        def classes_for(name: str) -> Any:
            names = demo.classes(name)
            return gr.Dropdown(choices=list(names), value=names[0] if names else None, visible=bool(names))

        def generate(name: str, seed: float, n: float, psi: float, label: str | None) -> tuple[Any, ...]:
            done = demo.generate(name, seed, n, psi, label)
            return _rgb(done.image), done.command, str(done.png), name

        def walk(name: str, seeds: str, steps: float, label: str | None) -> tuple[str, str]:
            path, command = demo.walk(name, seeds, steps, label)
            return str(path), command

        def mix(name: str, rows: str, cols: str, layers: str) -> tuple[Any, str]:
            done = demo.style_mix(name, rows, cols, layers)
            return _rgb(done.image), done.command

        def mix_layers(name: str) -> Any:
            choices = list(layer_ranges(demo.models.get(cat.require(name, cat.style_based, "models")).generator.num_ws))
            return gr.Dropdown(choices=choices, value=choices[0])

        def sweep(name: str, seed: float, count: float) -> tuple[Any, str]:
            done = demo.truncation_sweep(name, seed, count)
            return _rgb(done.image), done.command

        def stylize(
            upload: str | None, example: str | None, style: str, style_upload: str | None, steps: float, size: float,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's way of asking for a progress bar
        ) -> tuple[Any, str, str]:  # fmt: skip
            picture = demo.photo(upload, example)
            if style in cat.styles:
                done = demo.stylize(style, picture, size)
            else:
                progress((0, int(steps)), desc="learning the style", unit="steps")
                done = demo.learn_style(
                    picture, style_upload, steps, size,
                    on_step=lambda step, total: progress((step, total), desc="learning the style", unit="steps"),
                )  # fmt: skip
            return done.image, done.command, str(done.png)

        def translate(name: str, upload: str | None, example: str | None, size: float) -> tuple[Any, str]:
            done = demo.translate(name, demo.photo(upload, example), size)
            return done.image, done.command

        def card(name: str) -> str:
            return card_markdown(cat.require(name, cat.checkpoints, "checkpoints"))

        # Every event that runs a model shares one queue slot group: at most limits.concurrency run at once,
        # whichever tab they come from; the rest wait (at most limits.max_queue of them), then are turned away.
        def on(event: Any, function: Callable[..., Any], inputs: Any, outputs: Any, name: str | None = None) -> None:
            visibility = "public" if name else "private"  # the buttons are the API; the dropdowns' helpers are not
            event(page(function), inputs, outputs, api_name=name, api_visibility=visibility,
                  concurrency_id=CONCURRENCY_ID, concurrency_limit=limits.concurrency)  # fmt: skip

        on(g_model.change, classes_for, g_model, g_class)
        on(e_model.change, classes_for, e_model, e_class)
        on(m_model.change, mix_layers, m_model, m_layers)
        on(g_button.click, generate, [g_model, g_seed, g_n, g_trunc, g_class],
           [g_image, g_command, g_download, c_model], "generate")  # fmt: skip
        on(e_button.click, walk, [e_model, e_seeds, e_steps, e_class], [e_image, e_command], "walk")
        on(m_button.click, mix, [m_model, m_rows, m_cols, m_layers], [m_image, m_command], "style_mix")
        on(t_button.click, sweep, [t_model, t_seed, t_count], [t_image, t_command], "truncation_sweep")
        on(s_button.click, stylize, [s_upload, s_example, s_style, s_style_upload, s_steps, s_size],
           [s_image, s_command, s_download], "stylize")  # fmt: skip
        on(x_button.click, translate, [x_model, x_upload, x_example, x_size], [x_image, x_command], "translate")
        c_model.change(page(card), c_model, c_text, queue=False, api_visibility="private")  # a card: no model runs
        if first:
            on(blocks.load, classes_for, g_model, g_class)
    blocks.queue(default_concurrency_limit=limits.concurrency, max_size=limits.max_queue)
    return blocks


def launch_options(limits: Limits) -> dict[str, Any]:
    """What every launch shares (``zoo demo`` and a Space): bounded uploads, no SSR or MCP, offline look."""
    gr = import_gradio()
    return {
        "max_file_size": limits.max_upload_bytes,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "show_error": False,  # only our one-line messages reach the page, never an exception's text
        "theme": _theme(gr),
        "css": CSS,
        "footer_links": ["gradio"],
    }


def warm_up(demo: Demo) -> threading.Thread:
    """Load the first generator in the background, so the first click does not wait for it."""

    def load() -> None:
        try:
            if demo.catalog.generators:
                demo.generate(demo.catalog.generators[0], 0, 1)
        except ZooError:
            pass  # the click will say what is wrong

    thread = threading.Thread(target=load, name="zoo-demo-warm-up", daemon=True)
    thread.start()
    return thread


def serve(
    host: str, port: int, *, share: bool = False, open_browser: bool = False, say: Callable[[str], None] = print
) -> None:
    """Serve the demo until interrupted (``zoo demo``); ``say`` hears where it is served."""
    limits = Limits()
    demo = Demo(catalog(), limits)
    blocks = build_app(limits, demo)
    try:
        blocks.launch(
            server_name=host, server_port=port, share=share, inbrowser=open_browser, quiet=True,
            prevent_thread_lock=True, **launch_options(limits),
        )  # fmt: skip
    except OSError as exc:
        if "empty port" in str(exc):
            raise ZooError(f"port {port} on {host} is in use: stop what uses it or choose another --port") from None
        raise ZooError(f"cannot listen on {host}:{port} ({exc}): choose another --port or --host") from None
    warm_up(demo)  # only once the server is up: a failed start leaves no thread behind
    say(f"zoo demo: serving http://{host}:{port} (Ctrl+C stops it)")
    if share and blocks.share_url:
        say(f"zoo demo: public link {blocks.share_url} (anyone with it can use this machine's CPU)")
    serve_until_stopped(blocks, demo)


def serve_until_stopped(blocks: Any, demo: Demo) -> None:
    """Block until Ctrl+C or SIGTERM, which close the server, then remove the demo's result folder.

    SIGTERM (a service manager's or a test's stop) is turned into the KeyboardInterrupt Gradio's
    ``block_thread`` handles; by default it would end the process before any cleanup ran.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        with signal_handlers((signal.SIGTERM,), interrupt):
            blocks.block_thread()  # until Ctrl+C or SIGTERM, which close the server
    finally:
        demo.close()


def space_main() -> None:
    """An exported Space's ``app.py``: the same app, on the address and port the Space sets (GRADIO_SERVER_*)."""
    limits = Limits()
    demo = Demo(catalog(), limits)
    blocks = build_app(limits, demo)
    blocks.launch(share=False, prevent_thread_lock=True, **launch_options(limits))
    warm_up(demo)
    serve_until_stopped(blocks, demo)
