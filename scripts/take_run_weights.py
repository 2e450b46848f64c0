"""Give a bundled checkpoint a run's weights, with every figure its card's front matter records about them (#32).

    python scripts/take_run_weights.py NAME RUN --data-dir DIR [--draw "zoo sample NAME ... -o cards/NAME.png"] ...

RUN is a run directory (its ``best.safetensors``, else ``model.safetensors``) or a weights file. In order:

1. the weights, cast to the bundled file's dtype and given the card's ``config``, replace the plugin's file;
2. the card's ``sha256``, ``size`` and ``step`` describe the new file;
3. ``benchmarks/check_bf16_accuracy.py NAME --write-cards`` records the bf16 error (it picks the path ``zoo
   eval`` samples on, so it comes before the metrics);
4. every metric group is measured again by the card's own ``zoo eval`` commands (found as
   ``benchmarks/check_card_metrics.py`` finds them, data from ``--data-dir``) and its numbers rewritten
   (4 significant digits);
5. the ``--draw`` commands redraw the card's images (each writes beside the card);
6. ``scripts/checkpoint_table.py --write`` updates the README's table (for this repository's cards).

The run's weights are taken only for a lower headline number (FID, else KID, of the card's first
group): otherwise, and on any error, every file is put back as it was (exit 1, or 2 for bad input). What only a
person can write is listed at the end: the ``train_command`` legs, the Training and Evaluation text and
tables, what each redrawn image shows, the curve (``scripts/card_quality.py``).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "benchmarks")]

from card_fields import CardFieldError, replace_field, replace_group_values  # noqa: E402
from check_card_metrics import measure_groups, zoo_eval_groups  # noqa: E402

HEADLINES = ("fid", "fid_a2b", "kid")
DRAW_COMMANDS = ("sample", "interpolate", "style-mix", "translate")
BY_HAND = (
    "train_command: every leg of the run (`; from step N: ... --resume`)",
    "the Training section: CPU, legs, hours, and the previous weights' figures",
    "the Evaluation section's table and text",
    "what each redrawn image shows: look at it",
    "the FID curve: python scripts/card_quality.py cards/NAME.md RUN --note ...",
)


class TakeError(Exception):
    """Bad input or a failed step: one line for the user, and everything put back."""


class NotBetter(TakeError):
    """The run's weights measure no better than the card's: the card keeps its own."""


def run_weights(run: Path) -> Path:
    """The weights a run directory offers (its best evaluation's, else its last export), or the file given."""
    if run.is_file() and run.suffix == ".safetensors":
        return run
    for name in ("best.safetensors", "model.safetensors"):
        if (run / name).is_file():
            return run / name
    raise TakeError(f"{run} is neither a run directory with best.safetensors or model.safetensors nor a weights file")


def draw_target(command: str, name: str, card: Path) -> Path:
    """Where a ``--draw`` command writes: it must draw ``name`` into an image beside the card."""
    try:
        words = shlex.split(command)
    except ValueError as error:  # an unclosed quote
        raise TakeError(f"--draw {command!r} is not a command line ({error})") from None
    if len(words) < 3 or words[0] != "zoo" or words[1] not in DRAW_COMMANDS or words[2] != name:
        raise TakeError(f"--draw {command!r}: give 'zoo {'|'.join(DRAW_COMMANDS)} {name} ... -o IMAGE'")
    option = next((i for i, word in enumerate(words) if word in ("-o", "--output")), None)
    if option is None or option + 1 >= len(words):
        raise TakeError(f"--draw {command!r} names no -o IMAGE: the card's image to redraw")
    target = Path(words[option + 1]).resolve()
    if target.parent != card.parent:
        raise TakeError(f"--draw {command!r} writes {target}, not beside the card in {card.parent}")
    return target


def export(source: Path, target: Path, family: str, config: Mapping[str, Any], like: Path) -> None:
    """Write ``source``'s tensors as ``like``'s floating dtype, with the card's family and config, to ``target``."""
    from safetensors import safe_open
    from zoo.weights import META_FAMILY, META_STEP, read_metadata, save_cast

    metadata = read_metadata(source)
    if "zoo.training_state" in metadata:
        raise TakeError(f"{source} is a training checkpoint: give the run directory or its exported weights")
    if META_STEP not in metadata:
        raise TakeError(f"{source} records no training step (zoo.step): give weights a zoo train run exported")
    if metadata.get(META_FAMILY) != family:
        raise TakeError(f"{source} holds {metadata.get(META_FAMILY) or 'no zoo'} weights, the card {family}")
    with safe_open(str(like), "pt") as bundled:
        dtype = next((t.dtype for k in bundled.keys() if (t := bundled.get_tensor(k)).is_floating_point()), None)
    save_cast(source, target, dtype=dtype, family=family, config=config)


@contextmanager
def put_back_on_failure(paths: Sequence[Path]) -> Iterator[None]:
    """Keep a copy of each file (or note its absence); restore them all if the block raises."""
    from zoo.files import write_atomically

    with tempfile.TemporaryDirectory(prefix="take-run-weights-") as saved:
        copies = {}
        for index, path in enumerate(paths):
            copies[path] = Path(saved) / str(index) if path.is_file() else None
            if copies[path] is not None:
                shutil.copyfile(path, copies[path])
        try:
            yield
        except BaseException:
            for path, copy in copies.items():
                if copy is None:
                    path.unlink(missing_ok=True)
                else:
                    write_atomically(path, lambda tmp, copy=copy: shutil.copyfile(copy, tmp))
            raise


def run_step(label: str, *arguments: str) -> None:
    """Run ``arguments`` with this interpreter; on failure, ``label`` and the step's last error line."""
    done = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise TakeError(f"{label} failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    print(done.stdout.strip())


def judge_against(groups: Sequence[tuple[str, Mapping[str, float]]]) -> Callable[[Mapping[str, float]], None]:
    """A check of the first group's new numbers: its FID (else KID) must be lower than the card's."""
    first = groups[0][1] if groups else {}
    key = next((k for k in HEADLINES if k in first), None)

    def judge(values: Mapping[str, float]) -> None:
        if key is not None and key in values and not values[key] < first[key]:
            raise NotBetter(
                f"the run's {key} {values[key]:.4g} is not lower than the card's {first[key]:.4g}: "
                "the card keeps its weights (--keep-worse takes them anyway)"
            )

    return judge


def remeasure(
    name: str, card: Path, data_dir: Path, keep_worse: bool
) -> list[tuple[str, dict[str, float], dict[str, float]]]:
    """(protocol, card values, measured values) of every group, each measured by one of the card's commands.

    Unless ``keep_worse``, the first group is judged as soon as it is measured (NotBetter), before the rest run."""
    from zoo.cards import read_card

    metrics = (read_card(str(card), "model card")[0].get("zoo") or {}).get("metrics") or {}
    groups = zoo_eval_groups(name, metrics)
    judge = judge_against(groups)
    measured: dict[str, dict[str, float]] = {}
    for command, measurement, matches in measure_groups(name, groups, card.read_text(encoding="utf-8"), data_dir):
        if isinstance(measurement, RuntimeError):
            raise TakeError(f"`{command}` failed: {measurement}")
        print("  measured: " + ", ".join(f"{k} {v:.6g}" for k, v in measurement.values.items()), flush=True)
        for protocol, _ in matches:
            if protocol == groups[0][0] and protocol not in measured and not keep_worse:
                judge(measurement.values)
            measured.setdefault(protocol, measurement.values)
    results = []
    for protocol, values in groups:
        if protocol not in measured:
            raise TakeError(f"no command on the card measures the group {protocol[:80]}…: give one in its text")
        missing = sorted(set(values) - set(measured[protocol]))
        if missing:
            raise TakeError(f"the card's command for {protocol[:60]}… does not measure {', '.join(missing)}")
        results.append((protocol, values, measured[protocol]))
    return results


def take(args: argparse.Namespace) -> None:
    """Steps 1–6, every file put back if one fails or the weights are no better."""
    from zoo.files import write_atomically
    from zoo.registry import get_registry
    from zoo.specs import bundled_path
    from zoo.weights import read_step, sha256_file

    spec = get_registry().checkpoints.get(args.name)
    bundled = bundled_path(spec) if spec is not None else None
    if spec is None or bundled is None or not spec.card:
        raise TakeError(f"{args.name} is not a checkpoint with a card and bundled weights: see zoo list")
    if not args.data_dir.is_dir():
        raise TakeError(f"--data-dir {args.data_dir} is not a folder: give the one holding the card's data files")
    card, source = Path(spec.card).resolve(), run_weights(args.run)
    images = [draw_target(command, args.name, card) for command in args.draw]
    readme = ROOT / "README.md" if card.parent == ROOT / "cards" else None

    with tempfile.TemporaryDirectory(prefix="take-run-weights-") as work:
        staged = Path(work) / bundled.name
        export(source, staged, spec.family, spec.config, like=bundled)
        _check_loads(staged)
        with put_back_on_failure([bundled, card, *images, *([readme] if readme else [])]):
            write_atomically(bundled, lambda tmp: shutil.copyfile(staged, tmp))
            text = replace_field(card.read_text(encoding="utf-8"), "sha256", f'"{sha256_file(bundled)}"')
            text = replace_field(text, "size", str(bundled.stat().st_size))
            step = read_step(bundled)
            text = replace_field(text, "step", str(step))
            write_atomically(card, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            bf16_script = str(ROOT / "benchmarks" / "check_bf16_accuracy.py")
            run_step(f"{bf16_script} {args.name}", bf16_script, args.name, "--write-cards")
            measured = remeasure(args.name, card, args.data_dir, args.keep_worse)
            text = card.read_text(encoding="utf-8")
            for protocol, values, values_now in measured:
                text = replace_group_values(text, protocol, {k: values_now[k] for k in values})
            write_atomically(card, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            for command in args.draw:  # zoo's own CLI, run with this interpreter
                run_step(f"`{command}`", "-m", "zoo", *shlex.split(command)[1:])
            if readme is not None:
                table_script = str(ROOT / "scripts" / "checkpoint_table.py")
                run_step(f"{table_script} --write", table_script, "--write")
            _report(measured, step)


def _check_loads(weights: Path) -> None:
    """The zoo builds the card's architecture from the file (shapes and config agree), before anything changes."""
    import zoo
    from zoo.errors import ZooError

    try:
        zoo.load(str(weights), dtype="float32")
    except ZooError as error:
        raise TakeError(f"the run's weights do not fit the card's config: {error}") from None


def _report(measured: Sequence[tuple[str, Mapping[str, float], Mapping[str, float]]], step: int) -> None:
    """Each number the card held beside the one it holds now."""
    print(f"weights of step {step:,}")
    for protocol, values, values_now in measured:
        print(f"  {protocol[:70]}…")
        for key, value in values.items():
            print(f"    {key:<10} {value:<12.4g} -> {values_now[key]:.4g}")


def main(argv: Sequence[str] | None = None) -> int:
    """Take the weights; one line and exit 2 on bad input or a failed step, 1 when they are not better."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the bundled checkpoint whose card takes the weights")
    parser.add_argument("run", type=Path, help="the run directory (or weights file) to take them from")
    parser.add_argument("--data-dir", type=Path, required=True, help="the folder holding the card's data files")
    parser.add_argument("--draw", action="append", default=[], help="a zoo command redrawing one of the card's images")
    parser.add_argument("--keep-worse", action="store_true", help="take the weights even if the FID is not lower")
    args = parser.parse_args(argv)
    from zoo.errors import ZooError

    try:
        take(args)
    except NotBetter as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (TakeError, CardFieldError, ZooError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("left to write by hand (the card's prose):")
    for item in BY_HAND:
        print(f"  - {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
