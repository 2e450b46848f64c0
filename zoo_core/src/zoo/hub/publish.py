"""``zoo push``: write the Hub repo layout (weights, config.json, card, sample grid) and upload it.

Kept apart from ``zoo.hub.pull`` (the download side) so each module stays small; both go through
``huggingface_hub`` only. The repo's card cannot pin its own commit, so after an upload the
card with the pinned revision is written into the folder afterwards, for ``cards/``.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zoo.data_formats import public_dataset
from zoo.errors import ZooError
from zoo.files import read_json, require_regular_file, write_atomically
from zoo.hub.errors import hub_error
from zoo.hub.names import (
    CARD_FILENAME,
    CONFIG_FILENAME,
    LIBRARY_NAME,
    SAMPLES_FILENAME,
    WEIGHTS_FILENAME,
    check_repo_id,
)
from zoo.hub.pull import checkpoint_weights
from zoo.hub.transfer import endpoint
from zoo.specs import IMAGE_TO_IMAGE, check_name, import_object
from zoo.training.plots import QUALITY_PLOT
from zoo.training.settings import CHECKPOINT, RUN_CONFIG
from zoo.weights import META_TRAINING_STATE, read_metadata, read_step, sha256_file

_BLOCK_ORDER = (
    "name", "family", "config", "dataset", "dataset_sha256", "resolution", "repo_id", "filename",
    "sha256", "size", "metrics", "train_command", "step", "source", "classes",
)  # fmt: skip
_RELATIVE_IMAGE = re.compile(r"(!\[[^\]]*\]\()(?!\w+://)([^)\s]+)(\))")


@dataclass
class PushPlan:
    """What a push writes: the weights, the facts read from them, and the card's other fields."""

    repo_id: str
    weights: Path
    family: str
    config: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    samples: Path | None = None
    dtype: str | None = None
    card_dir: Path | None = None  # where the images the body links to are (the card's folder)
    notes: list[str] = field(default_factory=list)  # what push chose on its own, said to the user
    quality: Path | None = None  # the run's quality.png: FID against step and wall-clock hours
    evaluations: list[dict[str, Any]] = field(default_factory=list)  # the run's eval_every rows behind it

    @property
    def name(self) -> str:
        return str(self.fields["name"])


def _base_card(path: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(HF front matter, zoo block, body) of an existing card used as the starting point."""
    from zoo.cards import read_card

    meta, body = read_card(path, "--card")
    block = meta.pop("zoo", None)
    return meta, dict(block) if isinstance(block, Mapping) else {}, body


_ABSOLUTE_PATH = re.compile(r"(?<![\w/.~-])/[^\s'\"]+")


_UNTIL = re.compile(r"\s+--until(?:=|\s+)\S+")


def public_command(command: str, data: str | None) -> str:
    """The training command with the data path as its name and other absolute paths as their last part."""
    if data:  # as a whole argument only (--data PATH, --data=PATH, quoted or not)
        command = re.sub(rf"(?<![^\s='\"]){re.escape(data)}(?![^\s'\"])", lambda _: public_dataset(data), command)
    return _ABSOLUTE_PATH.sub(lambda m: Path(m.group(0)).name or m.group(0), command)


def _weights_step(run: Path) -> int | None:
    """The training step a run's weights were exported at: their metadata, else the checkpoint saved with them."""
    weights, checkpoint = run / WEIGHTS_FILENAME, run / CHECKPOINT
    try:
        step = read_step(weights) if weights.is_file() else None
        if step is None and checkpoint.is_file():
            state = read_metadata(checkpoint).get(META_TRAINING_STATE)
            step = int(json.loads(state)["progress"]["step"]) if state else None
    except (ZooError, ValueError, TypeError, KeyError):
        return None  # no step known: run_grid falls back to the newest grid
    return step


def run_grid(run: Path) -> Path | None:
    """The sample grid of a run's weights: the newest grid at or before the step they were saved at, else
    ``samples/final.png`` or ``samples.png`` of runs made before grids were numbered."""
    grids = sorted((run / "samples").glob("step-*.png"))
    step = _weights_step(run)
    if step is not None:  # never a grid sampled after the weights were saved
        grids = [grid for grid in grids if grid.stem.removeprefix("step-").isdigit() and int(grid.stem[5:]) <= step]
    if grids:
        return grids[-1]
    return next((p for p in (run / "samples" / "final.png", run / SAMPLES_FILENAME) if p.is_file()), None)


def _until_weights_step(command: str, step: int | None, settings: Any) -> str:
    """The command that stops where the weights were saved: ``--until STEP`` when that is before the schedule's end.

    A run trained in sessions records whatever ``--until`` its first command had; the weights may be of a later one.
    """
    command = _UNTIL.sub("", command)
    steps = settings.get("steps") if isinstance(settings, Mapping) else None
    if isinstance(step, int) and isinstance(steps, int) and step < steps:
        command += f" --until {step}"
    return command


def _schedule(command: Any) -> dict[str, str]:
    """A command's ``--steps N`` and ``--set KEY=VALUE`` as {key: value}: what a resume can change in the weights."""
    try:
        words = shlex.split(str(command))
    except ValueError:
        words = str(command).split()
    found: dict[str, str] = {}
    for word, following in zip(words, [*words[1:], ""], strict=True):
        for flag in ("--steps", "--set"):
            if word == flag:
                text = following
            elif word.startswith(flag + "="):
                text = word[len(flag) + 1 :]
            else:
                continue
            key, _, value = text.partition("=") if flag == "--set" else ("steps", "", text)
            found[key] = value
    return found


def _legs_behind_weights(command: str, resumed: Any, step: int | None) -> list[dict[str, Any]]:
    """The resumes that shaped the weights: started before their step and changing ``--steps`` or a ``--set`` value.

    Resumes that only continue (``--until``, or the same ``--set`` again) are not part of how the weights
    came about (a run trained in sessions equals one straight run); resumes after the weights were saved
    (a best checkpoint published while the run went on) are not either.
    """
    effective = _schedule(command)
    legs = []
    for leg in resumed if isinstance(resumed, list) else []:
        if not (isinstance(leg, dict) and isinstance(leg.get("step"), int)):
            continue
        if step is not None and leg["step"] >= step:
            continue
        changes = {k: v for k, v in _schedule(leg.get("command")).items() if effective.get(k) != v}
        if changes:
            legs.append(leg)
            effective.update(changes)
    return legs


def _run_fields(run: Path) -> tuple[dict[str, Any], Path | None]:
    """Card fields a training run directory records (dataset, command, metrics) and its sample grid."""
    fields: dict[str, Any] = {}
    train_config = run / RUN_CONFIG
    data: dict[str, Any] = {}
    if train_config.is_file():
        data = read_json(train_config)
    dataset = data.get("data") or data.get("dataset")
    if isinstance(dataset, str):
        fields["dataset"] = public_dataset(dataset)
        if isinstance(data.get("data_sha256"), str):
            fields["dataset_sha256"] = data["data_sha256"]  # recorded by the trainer when it read the data
        elif Path(dataset).exists():
            from zoo.data import dataset_fingerprint

            fields["dataset_sha256"] = dataset_fingerprint(dataset)
    command = data.get("command") or data.get("train_command")
    if isinstance(command, str):
        step = _weights_step(run)
        legs = _legs_behind_weights(command, data.get("resumed"), step)
        command += "".join(f"; from step {leg['step']}: {leg['command']}" for leg in legs)
        command = _until_weights_step(command, step, data.get("settings"))
        fields["train_command"] = public_command(command, dataset if isinstance(dataset, str) else None)
    if data.get("classes") and isinstance(data["classes"], list):
        fields["classes"] = data["classes"]
    metrics = run / "metrics.json"
    if metrics.is_file():
        fields["metrics"] = read_json(metrics)
    return fields, run_grid(run)


def _article(word: str) -> str:
    """'An' before a vowel's letter ('An inpaint model'), else 'A' ('A dcgan generator')."""
    return "An" if word[:1].lower() in "aeiou" else "A"


def run_batch_size(run: Path) -> int | None:
    """The run's batch size from its train_config.json: it times logs older than their clock."""
    settings = read_json(run / RUN_CONFIG).get("settings", {}) if (run / RUN_CONFIG).is_file() else {}
    batch = settings.get("batch_size") if isinstance(settings, dict) else None
    return batch if isinstance(batch, int) and batch > 0 else None


def _run_quality(run: Path) -> tuple[Path | None, list[dict[str, Any]]]:
    """The run's quality-over-time plot and the evaluations it joins, when the run evaluated itself (eval_every)."""
    from zoo.training.timeline import evaluations, read_progress

    plot = run / QUALITY_PLOT
    rows = evaluations(read_progress(run), run_batch_size(run))
    return (plot if plot.is_file() and len(rows) > 1 else None), rows


def quality_section(rows: list[dict[str, Any]], image: str | None) -> str:
    """Markdown: each evaluation's step, cumulative wall-clock hours and values, and the plot of them."""
    from zoo.training.timeline import quality_metric

    names = quality_metric(rows)
    lines = [
        "## Quality against training time",
        "",
        "Measured during training (`eval_every`), on the weights of each step; hours are wall-clock, every leg added.",
        "",
        "| step | hours | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    if any(row.get("hours_estimated") for row in rows):
        lines[2] += " Hours marked ≈ are estimated from the logged images/s (the log began before it kept a clock)."
    for row in rows:
        hours = "—" if row.get("hours") is None else ("≈" if row.get("hours_estimated") else "") + f"{row['hours']:.2f}"
        values = " | ".join(f"{row[name]:.4g}" if name in row else "—" for name in names)
        lines.append(f"| {row['step']:,} | {hours} | {values} |")
    if image:
        lines += ["", f"![{' and '.join(names)} against step and wall-clock hours]({image})"]
    return "\n".join(lines)


def plan_push(
    source: str,
    repo_id: str,
    *,
    name: str | None = None,
    card: Path | None = None,
    samples: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> PushPlan:
    """Work out what to publish from a run directory, a .safetensors file or a registered checkpoint."""
    from zoo.registry import get_registry

    check_repo_id(repo_id)
    registry = get_registry()
    meta: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    body = ""
    run_samples = None
    quality, rows = None, []
    card_dir = None
    metrics_source = f"{source}/metrics.json"
    path = Path(source)
    if not path.exists() and source in registry.checkpoints:
        spec = registry.checkpoints[source]
        weights = checkpoint_weights(spec)
        fields = {
            k: v for k, v in asdict(spec).items() if k not in ("plugin", "card", "bundled", "revision", "repo_id")
        }
        fields["classes"] = list(spec.classes)
        if spec.card and Path(spec.card).is_file():
            meta, _, body = _base_card(Path(spec.card))
            card_dir = Path(spec.card).parent
        family, config = spec.family, dict(spec.config)
    else:
        if not path.exists():
            raise ZooError(
                f"{source!r} is neither a run directory, a .safetensors file nor a checkpoint name: see 'zoo list'"
            )
        weights = path / WEIGHTS_FILENAME if path.is_dir() else path
        if not weights.is_file() or weights.suffix != ".safetensors":
            raise ZooError(f"{source} holds no {WEIGHTS_FILENAME}: train or export the model first")
        if path.is_dir():
            fields, run_samples = _run_fields(path)
            quality, rows = _run_quality(path)
        family, config = None, {}
    metadata = read_metadata(weights)
    step = read_step(weights)
    if step is not None:
        fields.setdefault("step", step)  # what a card's quality table and the README's checkpoint table read
    if "zoo.training_state" in metadata:
        raise ZooError(f"{weights} is a training checkpoint, not exported weights: push the run's {WEIGHTS_FILENAME}")
    if metadata.get("zoo.family"):
        family, config = metadata["zoo.family"], json.loads(metadata.get("zoo.config", "{}"))
    if not family:
        raise ZooError(f"{weights} carries no zoo metadata (zoo.family): export it with the zoo before pushing")
    if card is not None:
        meta, block, body = _base_card(card)
        card_dir = card.parent
        fields = {**fields, **{k: v for k, v in block.items() if k not in ("revision", "repo_id", "sha256", "size")}}
        metrics_source = str(card)
    overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
    check_overrides({**overrides, "name": name} if name is not None else overrides)
    fields.update(overrides)
    if "metrics" in overrides:
        metrics_source = "--metrics"
    notes = []
    if "metrics" in fields:
        from zoo.cards import check_metrics
        from zoo.metrics.summary import card_metrics

        fields["metrics"], note = card_metrics(fields["metrics"], sha256_file(weights), metrics_source)
        if fields["metrics"]:  # empty counts as absent: the card check then says which option supplies it
            check_metrics(fields["metrics"], metrics_source)
        notes += [note] if note else []
    fields["name"] = name or fields.get("name") or repo_id.split("/")[1].lower()
    check_name(fields["name"], "checkpoint")
    if "license" in fields:
        meta["license"] = fields.pop("license")
    plan = PushPlan(repo_id, weights, family, config, fields, meta, body, samples or run_samples)
    plan.card_dir, plan.notes = card_dir, notes
    plan.quality, plan.evaluations = quality, rows
    check_images(plan, "--samples" if samples is not None else "the run's sample grid")
    if samples is None and run_samples is not None:
        notes.append(f"sample grid: {run_samples} (pass --samples PATH.png for another)")
    return plan


ONE_LINE_FIELDS = ("name", "dataset", "license", "train_command")
"""Card fields a push takes from outside (options, Python arguments) that must each stay on one YAML line."""


def check_overrides(overrides: Mapping[str, Any]) -> None:
    """Refuse bad card fields given from outside in one line each, before anything is written: the one check
    of every override (CLI and Python alike) - text on one line, a Hub licence identifier."""
    from zoo.cards import check_license, check_one_line

    for key in ONE_LINE_FIELDS:
        value = overrides.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ZooError(f"{key} must be text, got {type(value).__name__} {value!r}")
        check_one_line(value, f"--{key.replace('_', '-')}")
    if overrides.get("license") is not None:
        check_license(overrides["license"])


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_image(path: Path, what: str, *, png: bool = False) -> None:
    """Refuse an image file that the guarded decoder cannot read (text named .png, a header claiming
    billions of pixels, a truncated file) before it is copied into the repo folder."""
    from zoo.image_io import decode_image

    require_regular_file(path, what)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise ZooError(f"{what} {str(path)!r} cannot be read ({exc.strerror}): check the file") from None
    if png and (path.suffix.lower() != ".png" or not blob.startswith(PNG_SIGNATURE)):
        raise ZooError(f"{what} {str(path)!r} is not a PNG file: give a PNG image of generated samples")
    decode_image(blob, f"{what} {str(path)!r}")


def check_images(plan: PushPlan, what: str) -> None:
    """Check every image a push copies (the sample grid, the images the card body links to) before writing."""
    if plan.samples is not None:
        check_image(plan.samples, what, png=True)
    for image in _card_images(plan):
        check_image(plan.card_dir / image, "card image")  # type: ignore[operator]


# The Hub's task list has no class-conditional generation: class-conditional generators there (DiT,
# MAR) are filed under unconditional-image-generation and say the rest in a tag, so ours are too.
HUB_PIPELINE_TAGS: dict[str, tuple[str, str | None]] = {
    "class-conditional-image-generation": ("unconditional-image-generation", "class-conditional"),
}


def _card_text(plan: PushPlan, sha256: str, size: int, task: str | None, directions: tuple[str, ...] = ()) -> str:
    """The repo's README.md: HF front matter, the zoo block (no revision), and a readable body."""
    import yaml

    block = {**plan.fields, "family": plan.family, "config": plan.config, "repo_id": plan.repo_id}
    block.update(filename=WEIGHTS_FILENAME, sha256=sha256, size=size)
    block.setdefault("resolution", plan.config.get("resolution"))
    if not block.get("classes"):
        block.pop("classes", None)
    ordered = {key: block[key] for key in _BLOCK_ORDER if block.get(key) not in (None, "", {}, [])}
    ordered.update({k: v for k, v in block.items() if k not in ordered and v not in (None, "", {}, [])})
    meta = {"library_name": LIBRARY_NAME, **plan.meta}
    pipeline_tag, task_tag = HUB_PIPELINE_TAGS.get(task or "", (task, None))
    if pipeline_tag:
        meta.setdefault("pipeline_tag", pipeline_tag)
    tags = [*(meta.get("tags") or []), "gan", LIBRARY_NAME, plan.family, task_tag]
    meta["tags"] = list(dict.fromkeys(tag for tag in tags if tag))
    meta["zoo"] = ordered
    body = plan.body.strip()
    if not body or body == "PLACEHOLDER":
        body = _default_body(plan, ordered, task, directions)
    if plan.samples is not None and f"]({SAMPLES_FILENAME})" not in body:
        body += f"\n\n![samples]({SAMPLES_FILENAME})"
    if plan.evaluations and "## Quality against training time" not in body:
        body += "\n\n" + quality_section(plan.evaluations, QUALITY_PLOT if plan.quality is not None else None)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n{body}\n"


def _sample_args(block: Mapping[str, Any]) -> str:
    """The card example's arguments: a class-conditional model needs a class, which it refuses to guess."""
    config = block.get("config") if isinstance(block.get("config"), Mapping) else {}
    if not config.get("num_classes"):
        return "16, seed=0"
    classes = block.get("classes") or []
    label = repr(str(classes[0])) if classes else "0"
    return f"16, seed=0, labels=[{label}]"


def _channels_text(count: Any) -> str:
    """How a card names a channel count: greyscale, RGB, or the number."""
    return {1: "greyscale", 2: "greyscale + mask/alpha", 3: "RGB", 4: "RGB + mask/alpha"}.get(count, f"{count}-channel")


def _default_body(
    plan: PushPlan, block: Mapping[str, Any], task: str | None = None, directions: tuple[str, ...] = ()
) -> str:
    """A short card body: what it is, how to run it (sample, or translate for image-to-image), metrics, training."""
    translator = task == IMAGE_TO_IMAGE
    what = "image-to-image model" if translator else "generator"
    dataset = block.get("dataset", "(dataset not given)")
    lines = [
        f"# {plan.name}",
        "",
        f"{_article(plan.family)} {plan.family} {what} from gan-zoo, trained on {dataset}.",
    ]
    from zoo.image_io import carries_mask

    config = block.get("config") or {}
    masked = translator and carries_mask(config.get("in_channels"))
    if translator:
        out_channels = config.get("channels", 3)
        source, target = _channels_text(config.get("in_channels", out_channels)), _channels_text(out_channels)
        ways = " and back with `--direction b2a`" if "b2a" in directions else ""
        lines += ["", f"It translates {source} images into {target} ones (A to B){ways}, any size its strides allow."]
        if masked:
            lines += ["", "Its input's extra channel is a PNG's alpha channel, as stored (or the last channel of an "
                      "`.npz` array of (N, H, W, C) inputs); a file without alpha is refused."]  # fmt: skip
    picture = "masked.png" if masked else "photo.png"
    lines += ["", "```bash", f"pip install zoo-core zoo-{plan.family}", f"zoo pull hf-hub:{plan.repo_id}"]
    if translator:
        lines.append(f"zoo translate hf-hub:{plan.repo_id} {picture} -o translated.png")
        if "b2a" in directions:
            lines.append(f"zoo translate hf-hub:{plan.repo_id} translated.png -o back.png --direction b2a")
    lines.append("```")
    if translator:
        example = f'picture = zoo.load("hf-hub:{plan.repo_id}").translate("{picture}")'
    else:
        example = f'images = zoo.load("hf-hub:{plan.repo_id}").sample({_sample_args(block)})'
    lines += ["", "```python", "import zoo", example, "```"]
    metrics = block.get("metrics")
    if isinstance(metrics, Mapping) and metrics.get("evaluated") is False:
        lines += ["", "## Metrics", "", "Not evaluated: the publisher pushed these weights without metrics."]
    elif isinstance(metrics, Mapping):
        lines += ["", "## Metrics", "", *_metric_lines(metrics)]
    if block.get("train_command"):
        lines += ["", "## Training", "", "```bash", str(block["train_command"]), "```"]
    return "\n".join(lines)


def _metric_lines(metrics: Mapping[str, Any], indent: str = "") -> list[str]:
    """The card's metrics as a Markdown list; a group measured under its own protocol (PPL) as a nested one."""
    lines = []
    for key, value in metrics.items():
        if isinstance(value, Mapping):
            lines += [f"{indent}- {key}:", *_metric_lines(value, indent + "  ")]
        else:
            lines.append(f"{indent}- {key}: {value}")
    return lines


def _copy(source: Path, target: Path) -> None:
    """Copy a file into place atomically (a full disk leaves the old file or none, never half of one)."""
    write_atomically(target, lambda tmp: shutil.copyfile(source, tmp))


def _write_weights(plan: PushPlan, target: Path) -> None:
    """Copy the weights, or cast their floating tensors to ``plan.dtype`` (fp16 halves a release's size)."""
    if plan.dtype is None:
        _copy(plan.weights, target)
        return
    from zoo.model import parse_dtype
    from zoo.weights import save_cast

    save_cast(plan.weights, target, dtype=parse_dtype(plan.dtype), family=plan.family, config=plan.config)


def _card_images(plan: PushPlan) -> list[str]:
    """The images the card body links to that are files beside the card it came from (copied into the repo)."""
    from zoo.cards import local_images

    if plan.card_dir is None:
        return []
    return [
        image
        for image in local_images(plan.body)
        # the grid is written from plan.samples; other paths are left to the card check to report
        if image != SAMPLES_FILENAME and Path(image).name == image and (plan.card_dir / image).is_file()
    ]


def _copy_card_images(plan: PushPlan, out: Path) -> list[str]:
    """Copy the images the card body links to (beside the card it came from) into the repo folder."""
    copied = []
    for image in _card_images(plan):
        _copy(plan.card_dir / image, out / image)  # type: ignore[operator]
        copied.append(image)
    return copied


def write_folder(plan: PushPlan, out: Path) -> list[str]:
    """Write the repo layout into ``out``; return the file names to upload."""
    from zoo.registry import get_registry

    out.mkdir(parents=True, exist_ok=True)
    if out.resolve() == plan.weights.parent.resolve():
        raise ZooError(f"--out {out} is the directory of the weights being pushed: choose another folder")
    _write_weights(plan, out / WEIGHTS_FILENAME)
    sha256, size = sha256_file(out / WEIGHTS_FILENAME), (out / WEIGHTS_FILENAME).stat().st_size
    config = {"library_name": LIBRARY_NAME, "family": plan.family, "config": plan.config}
    write_atomically(
        out / CONFIG_FILENAME, lambda tmp: tmp.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    )
    files = [WEIGHTS_FILENAME, CONFIG_FILENAME, CARD_FILENAME]
    if plan.samples is not None:
        _copy(plan.samples, out / SAMPLES_FILENAME)
        files.append(SAMPLES_FILENAME)
    else:
        (out / SAMPLES_FILENAME).unlink(missing_ok=True)
    files += _copy_card_images(plan, out)
    if plan.quality is not None:
        _copy(plan.quality, out / QUALITY_PLOT)
        files.append(QUALITY_PLOT)
    arch = get_registry().architectures.get(plan.family)
    directions: tuple[str, ...] = ()
    if arch is not None and arch.task == IMAGE_TO_IMAGE:  # the generator class says which ways it translates
        directions = tuple(getattr(import_object(arch.generator, arch.plugin), "directions", ("a2b",)))
    text = _card_text(plan, sha256, size, arch.task if arch else None, directions)
    write_atomically(out / CARD_FILENAME, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return files


# What to pass to zoo push when a field is missing: push writes README.md itself, so editing it is no fix.
PUSH_HINTS = {
    "license": "missing: pass --license (e.g. mit, cc-by-4.0), the licence of the weights",
    "zoo.dataset": "missing: pass --dataset TEXT (what the model was trained on)",
    "zoo.dataset_sha256": "missing: the training data is not on this machine to hash; give it in --card CARD.md",
    "zoo.train_command": "missing: pass --train-command TEXT (the exact command that trained the weights)",
    "zoo.metrics": (
        "missing: run 'zoo eval RUN --data DATA' (it picks the extractor: Inception where it can be fetched, else "
        "the bundled squeezenet1_1-imagenet for any size and grayscale), pass --metrics FILE, or --no-metrics"
    ),
    "body": "no sample grid: pass --samples PATH.png (a grid of generated samples)",
}


def card_problems(out: Path) -> list[str]:
    """What the written card still lacks for publication, with the push option that supplies a missing field."""
    from zoo.cards import card_field_problems
    from zoo.registry import get_registry

    card = out / CARD_FILENAME
    return [
        problem
        if not field
        else f"{card}: {field}: {PUSH_HINTS[field]}"
        if absent and field in PUSH_HINTS
        else f"{card}: {field}: {problem}"
        for field, problem, absent in card_field_problems(card, hub_repo=True, registry=get_registry())
    ]


def upload(out: Path, repo_id: str, files: list[str], message: str) -> str:
    """Create the repo if needed and upload the folder in one commit; return the commit hash."""
    from huggingface_hub import HfApi
    from huggingface_hub import errors as hf

    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="model", exist_ok=True)
        info = api.upload_folder(folder_path=out, repo_id=repo_id, allow_patterns=files, commit_message=message)
    except Exception as exc:  # noqa: BLE001 - translated below; unknown errors re-raised
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if isinstance(exc, hf.LocalTokenNotFoundError):
            raise ZooError(f"uploading to {repo_id} needs a Hub token: set HF_TOKEN or run 'hf auth login'") from None
        if isinstance(exc, hf.HfHubHTTPError) and status in (401, 403):
            raise ZooError(
                f"{endpoint()} refused the upload to {repo_id} (HTTP {status}): "
                f"set HF_TOKEN to a token with write access"
            ) from None
        if isinstance(exc, hf.HfHubHTTPError) and status in (404, 405, 501):
            raise ZooError(
                f"{endpoint()} does not accept uploads to {repo_id} (HTTP {status}): check HF_ENDPOINT; a read-only "
                "mirror such as zoo.hub.local.local_hub() takes a 'zoo push --dry-run --out DIR' folder through "
                "its publish(DIR, REPO) instead (docs/writing-a-plugin.md, 5)"
            ) from None
        error = hub_error(exc, repo_id, None)
        if error is None:
            raise
        raise error from None
    return str(info.oid)


def pinned_card(out: Path, repo_id: str, commit: str) -> Path:
    """Write ``<name>.md`` into the folder (not uploaded): the card pinned to ``commit``, ready for ``cards/``."""
    import yaml

    from zoo.cards import read_card

    meta, body = read_card(out / CARD_FILENAME)
    meta["zoo"]["revision"] = commit
    base = f"{endpoint()}/{repo_id}/resolve/{commit}/"
    body = _RELATIVE_IMAGE.sub(lambda m: f"{m.group(1)}{base}{m.group(2)}{m.group(3)}", body)
    target = out / f"{meta['zoo']['name']}.md"
    text = f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)}---\n{body}"
    write_atomically(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return target
