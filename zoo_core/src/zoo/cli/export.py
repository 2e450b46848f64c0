"""``zoo export``: a generator as ONNX or a torch.export program (options for :func:`zoo.exporter.export`)."""

from __future__ import annotations

from pathlib import Path

import click

from zoo.cli.options import quiet_option, status_printer


@click.command("export")
@click.argument("name")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="generator.onnx or generator.pt2")
@click.option("--opset", type=click.IntRange(max=99), default=18, show_default=True, help="ONNX opset version.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option(
    "--direction", type=click.Choice(["a2b", "b2a"]), default=None, help="Two-way image-to-image models: a2b or b2a."
)
@quiet_option
def export_command(name: str, output: Path, opset: int, force: bool, direction: str | None, quiet: bool) -> None:
    """Export NAME's generator: z (and y for conditional models) -> images in [-1, 1], dynamic batch.

    An image-to-image model's file takes images (N, C, H, W) in [0, 1] and returns them translated.

    The file carries the zoo's metadata (name, family, config, classes, weights sha256). ONNX needs
    onnx and onnxscript (pip install 'zoo-core[export]'); .pt2 is torch.export's format.
    """
    from zoo.exporter import export

    written = export(name, output, opset=opset, overwrite=force, direction=direction, say=status_printer(quiet))
    runner = "torch.export.load" if written.suffix == ".pt2" else "onnxruntime"
    click.echo(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB): run it with {runner}")
