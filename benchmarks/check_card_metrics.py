"""Does ``zoo eval`` reproduce every published card's metrics? Runs each card's own commands and compares.

    python benchmarks/check_card_metrics.py --data-dir ../shared/data [--cards sagan-cifar10-32 ...] [--tolerance 0.01]

A card keeps its metrics in groups, each under one protocol line (``zoo.metrics``). The commands are
the ``zoo eval NAME ...`` lines the card itself gives, in a group's protocol or in its text, and for a
generator's group without one, the command its protocol line describes (extractor, precision, counts,
data file). Each runs as written, with ``--json`` and its ``--data`` file taken from ``--data-dir``;
the protocol line it reports picks the card group it measured, compared the way ``zoo eval --compare``
matches cards (``zoo.metrics.compare.clauses``). Every number of that group must then agree within the
tolerance. One row per number; exit status 1 when a number is off or a group has no command that
measures it. Groups another script measured (style transfer's faithfulness) are left to that script.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_CODE_SPAN = re.compile(r"`(zoo\s+eval\s[^`]+?)`")
_PLACEHOLDERS = ("…", "...", "RUN", "--compare")
# A generator's protocol line (zoo.metrics.summary.protocol_line) says everything its command needs.
_GENERATOR_LINE = re.compile(
    r"^(?P<extractor>[\w.-]+) features \(.*?, (?P<precision>float32|bfloat16|float16)\), "
    r"(?P<n>[\d,]+) generated \(seed (?P<seed>\d+).*? vs random (?P<n_real>[\d,]+) of [\d,]+ (?:\w+ )?images of "
    r"(?P<data>\S+?\.npz) \(seed"
)
_METRIC_OPTIONS = {"fid": "fid", "kid": "kid", "is": "is", "precision": "pr", "density": "dc", "ifid": "ifid"}


@dataclass
class Measurement:
    """What one card command reported: its protocol line and its numbers."""

    protocol: str
    values: dict[str, float]


def eval_commands(name: str, card_text: str, protocols: Sequence[str]) -> list[str]:
    """The complete ``zoo eval NAME --data ...`` commands a card gives (protocol lines and text), once each."""
    clauses = [clause.strip() for line in protocols for clause in line.split(";")]
    found = [clause for clause in clauses if clause.startswith("zoo eval")]
    found += [match.group(1) for match in _CODE_SPAN.finditer(card_text)]
    commands = []
    for command in (" ".join(text.split()) for text in found):  # a code span may wrap over lines
        words = command.split()
        if words[2:3] == [name] and "--data" in words and not any(p in command for p in _PLACEHOLDERS):
            commands.append(command)
    return list(dict.fromkeys(commands))


def command_from_protocol(name: str, protocol: str, values: Mapping[str, float]) -> str | None:
    """The ``zoo eval`` command a generator group's protocol line describes (None for any other kind of line)."""
    match = _GENERATOR_LINE.match(protocol)
    if match is None:
        return None
    metrics = ",".join(dict.fromkeys(_METRIC_OPTIONS[k] for k in values if k in _METRIC_OPTIONS))
    n, n_real = match["n"].replace(",", ""), match["n_real"].replace(",", "")
    real = f" --n-real {n_real}" if n_real != n else ""
    seed = f" --seed {match['seed']}" if match["seed"] != "0" else ""
    return (
        f"zoo eval {name} --data {match['data']} --metrics {metrics} -n {n}{real}{seed} "
        f"--extractor {match['extractor']} --precision {match['precision']}"
    )


def runnable(command: str, data_dir: Path) -> list[str]:
    """The command's arguments for this interpreter, its ``--data`` file looked up in ``data_dir``, with ``--json``."""
    words = shlex.split(command)
    data = words.index("--data") + 1
    words[data] = str(data_dir / Path(words[data]).name)
    return [sys.executable, "-m", "zoo", *words[1:], "--json", "--quiet"]


def measure(command: str, data_dir: Path) -> Measurement:
    """Run one card command; its protocol line and numbers (a failed run raises with zoo's own message)."""
    from zoo.metrics.summary import protocol_line

    done = subprocess.run(runnable(command, data_dir), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    evaluation = json.loads(done.stdout)
    values = {k: float(v) for k, v in evaluation["results"].items() if isinstance(v, (int, float))}
    return Measurement(protocol_line(evaluation["protocol"]), values)


def agrees(published: float, measured: float, tolerance: float) -> bool:
    """Within ``tolerance`` relative, plus half a unit of the card's last digit (cards keep 4 significant digits)."""
    if published == 0:
        return abs(measured) <= tolerance
    last_digit = 10 ** (math.floor(math.log10(abs(published))) - 3)
    return abs(measured - published) <= tolerance * abs(published) + last_digit / 2


Groups = list[tuple[str, dict[str, float]]]


def _card_groups(protocol: str, groups: Groups) -> Groups:
    """The card's groups measured under ``protocol`` (compared as ``zoo eval --compare`` matches cards)."""
    from zoo.metrics.compare import clauses

    return [(p, v) for p, v in groups if clauses(p) == clauses(protocol)]


def measure_groups(
    name: str, groups: Groups, card_text: str, data_dir: Path
) -> Iterator[tuple[str, Measurement | RuntimeError, Groups]]:
    """Run each command the card gives (then each its unmeasured groups' protocols describe) once.

    Yields the command, what it measured (or the error it failed with) and the card groups of that
    protocol; the command is printed before it runs, as runs take minutes."""
    explicit = eval_commands(name, card_text, [protocol for protocol, _ in groups])
    measured_protocols: set[str] = set()

    def run(command: str) -> tuple[str, Measurement | RuntimeError, Groups]:
        print(f"$ {command}", flush=True)
        try:
            measured = measure(command, data_dir)
        except RuntimeError as error:
            return command, error, []
        matches = _card_groups(measured.protocol, groups)
        measured_protocols.update(protocol for protocol, _ in matches)
        return command, measured, matches

    for command in explicit:
        yield run(command)
    for protocol, values in groups:  # groups no written command measured: the command their protocol describes
        command = command_from_protocol(name, protocol, values)
        if protocol not in measured_protocols and command and command not in explicit:
            yield run(command)


def zoo_eval_groups(name: str, metrics: Mapping) -> Groups:
    """The card's metric groups ``zoo eval`` measured (each other kind is named on stdout, left to its script)."""
    from zoo.metrics.compare import metric_groups

    groups = []
    for protocol, values in metric_groups(metrics):
        if _measured_by_zoo_eval(protocol):
            groups.append((protocol, values))
        else:
            print(f"{name}: not a zoo eval group, left to its own check: {protocol[-90:]}")
    return groups


def _measured_by_zoo_eval(protocol: str) -> bool:
    """Whether ``zoo eval`` wrote the group: its protocol lines end in a 'zoo eval' clause (style transfer's do not)."""
    return any(clause.strip().startswith("zoo eval") for clause in protocol.split(";"))


def check_card(name: str, metrics: Mapping, card_text: str, data_dir: Path, tolerance: float) -> list[str]:
    """Print one row per published number and return the problems (empty when everything reproduced)."""
    groups = zoo_eval_groups(name, metrics)
    problems: list[str] = []
    reproduced: set[str] = set()
    for command, measured, matches in measure_groups(name, groups, card_text, data_dir):
        if isinstance(measured, RuntimeError):
            problems.append(f"{name}: `{command}` failed: {measured}")
            continue
        values = {"protocol": measured.protocol, "values": measured.values}
        print(f"  measured: {json.dumps(values, ensure_ascii=False)}")
        if not matches:
            print("  on this machine it measures a protocol the card does not hold")
        for protocol, published_values in matches:
            reproduced.add(protocol)
            for key, published in published_values.items():
                if key in measured.values:
                    value = measured.values[key]
                    ok = agrees(published, value, tolerance)
                    print(f"  {key:<12} card {published:<10.4g} measured {value:<12.6g} {'ok' if ok else 'OFF'}")
                    if not ok:
                        problems.append(f"{name}: {key} {value:.6g} against the card's {published:g}")
    for protocol, _ in groups:
        if protocol not in reproduced:
            problems.append(f"{name}: no command on the card measures the group {protocol[:90]}…")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    from zoo.registry import get_registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="Folder holding the data files the cards name.")
    parser.add_argument("--cards", nargs="+", help="Checkpoint names (default: every published card with metrics).")
    parser.add_argument("--tolerance", type=float, default=0.01, help="Relative difference allowed (default 0.01).")
    args = parser.parse_args(argv)
    checkpoints = get_registry().checkpoints
    names = args.cards or sorted(n for n, spec in checkpoints.items() if spec.metrics and spec.card)
    unknown = [name for name in names if name not in checkpoints or not checkpoints[name].card]
    if unknown:
        parser.error(f"no published card named {', '.join(unknown)}: see zoo list")
    if not args.data_dir.is_dir():
        parser.error(f"--data-dir {args.data_dir} is not a folder: give the one holding the cards' data files")
    problems = []
    for name in names:
        spec = checkpoints[name]
        problems += check_card(name, spec.metrics, Path(spec.card).read_text(), args.data_dir, args.tolerance)
    for problem in problems:
        print(f"NOT REPRODUCED {problem}")
    print(f"{len(names)} cards checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
