"""``zoo demo``: the web demo on this machine (loopback by default), or its export as a Hugging Face Space."""

from __future__ import annotations

import re

import click

from zoo.cli.options import quiet_option, status_printer
from zoo.demo.limits import DEFAULT_HOST, DEFAULT_PORT, MAX_PORT, check_port
from zoo.errors import ZooError

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*|[0-9A-Fa-f:.]{2,45})$")


def check_host(host: str) -> str:
    """A host name or IP address to listen on (no URL, no path, no spaces)."""
    if not host or len(host) > 253 or not _HOST.match(host):
        shown = host if len(host) <= 60 else f"{host[:60]}…"
        raise ZooError(f"--host {shown!r} is not a host name or IP address: use 127.0.0.1 (this machine) or 0.0.0.0")
    return host


@click.command("demo")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on; 0.0.0.0 serves everyone on your network.")  # fmt: skip
@click.option("--port", type=click.IntRange(max=MAX_PORT), default=DEFAULT_PORT, show_default=True, help="TCP port.")
@click.option("--share", is_flag=True, help="Also publish a temporary public gradio.live link (never implied).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in your browser.")
@click.option(
    "--export-space",
    type=click.Path(),  # a str: Path("") would read as "." and write into the current directory
    default=None,
    help="Write app.py, requirements.txt and README.md for a Hugging Face Space into this new directory and exit.",
)
@quiet_option
def demo_command(host: str, port: int, share: bool, open_browser: bool, export_space: str | None, quiet: bool) -> None:
    """A web app over every installed model: generate, explore, stylize, translate, read the cards.

    Needs Gradio (pip install 'gan-zoo[demo]'). Works offline on a CPU; stop it with Ctrl+C.
    """
    check_host(host)
    check_port(port)
    if export_space is not None:
        from zoo.demo.space import export_space as export

        written = export(export_space)
        click.echo(f"wrote {', '.join(path.name for path in written)} to {export_space}: python app.py serves it")
        return
    from zoo.demo.app import import_gradio, serve

    import_gradio()  # the install hint before anything slow
    serve(host, port, share=share, open_browser=open_browser, say=status_printer(quiet))
