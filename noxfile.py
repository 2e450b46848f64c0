"""Developer sessions. All share one virtual environment (.nox/zoo) so torch is installed once.

nox -s demo     sample the bundled dcgan checkpoint into dcgan-demo.png (offline); installs only zoo-core + zoo-dcgan
nox -s tests    the whole test suite (float32 path pinned), then the hardware tests with native bf16 forced on
nox -s lint     ruff, and lint-imports (the import contracts in pyproject.toml)
nox -s bench    benchmarks/ (speed figures; not part of the tests)
nox -s release  build + check every distribution, publish every checkpoint (scripts/release.py; -- --dry-run first)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["tests"]

ROOT = Path(__file__).parent
VENV = ROOT / ".nox" / "zoo"
CONSTRAINTS = ROOT / "constraints.txt"
PACKAGES = [
    ROOT / "zoo_core",
    *sorted(
        p for folder in ("plugins", "examples") for p in (ROOT / folder).iterdir() if (p / "pyproject.toml").is_file()
    ),
]
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")


DEMO_PACKAGES = [ROOT / "zoo_core", ROOT / "plugins" / "dcgan"]


def _requirements(packages: list[Path], groups: tuple[str, ...]) -> list[str]:
    """The packages (editable) and dependency groups one session needs."""
    editable = [arg for package in packages for arg in ("-e", str(package))]
    return [*editable, *(nox.project.dependency_groups(PYPROJECT, *groups) if groups else [])]


def _python(session: nox.Session, packages: list[Path] = PACKAGES, groups: tuple[str, ...] = ("test", "lint")) -> str:
    """Create the shared environment, install what this session needs unless it already did; return its python.

    One stamp per set of requirements: the demo installs only its two packages, and a later
    ``nox -s tests`` adds the rest to the same environment (torch is installed once).
    """
    python = VENV / "bin" / "python"
    requirements = _requirements(packages, groups)
    inputs = [CONSTRAINTS, ROOT / "pyproject.toml", *(p / "pyproject.toml" for p in packages)]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs) + " ".join(requirements).encode()).hexdigest()
    stamp = VENV / f".zoo-inputs-{digest[:16]}"
    if not python.exists():
        session.run(sys.executable, "-m", "venv", str(VENV), external=True)
    if not stamp.exists():
        session.run(str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip", external=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        session.run(*pip, "-c", str(CONSTRAINTS), *requirements, external=True)
        stamp.write_text(digest)
    return str(python)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (extra arguments go to pytest), then the hardware tests again with native bf16 forced on.

    The suite pins the float32 path (zoo's pytest plugin sets ZOO_NATIVE_BF16=0), so its figures are the same on
    every CPU; tests marked ``hardware`` hold on both paths, and the second pass runs them on the bf16 one
    (emulated, slower, where the CPU lacks bf16).
    """
    python = _python(session)
    workers = ["-n", "auto", "--maxprocesses", "2"]  # pytest-xdist: one worker per core, at most two
    pinned = {"ZOO_NATIVE_BF16": "0"}
    session.run(python, "-m", "pytest", *(session.posargs or ["-q", *workers]), external=True, env=pinned)
    if not session.posargs:
        native = {"ZOO_NATIVE_BF16": "1"}
        # serially: 70 tests, and two workers would each collect the whole suite first (86 s against 18 s here)
        session.run(python, "-m", "pytest", "-q", "-m", "hardware", external=True, env=native)


@nox.session
def demo(session: nox.Session) -> None:
    """Sample 64 images of the bundled dcgan checkpoint, offline, into dcgan-demo.png (needs zoo-core, zoo-dcgan)."""
    python = _python(session, DEMO_PACKAGES, groups=())
    env = {"HF_HUB_OFFLINE": "1"}
    session.run(python, "-m", "zoo", "list", external=True, env=env)
    session.run(
        python,
        "-m",
        "zoo",
        "sample",
        "dcgan",
        "-n",
        "64",
        "--seed",
        "0",
        "-o",
        "dcgan-demo.png",
        external=True,
        env=env,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Static checks: ruff, and the import contracts (layers, no circles, the core imports no plugin)."""
    python = _python(session)
    session.run(python, "-m", "ruff", "check", ".", external=True)
    session.run(str(Path(python).with_name("lint-imports")), "--no-cache", external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark script in benchmarks/ and print its figures."""
    python = _python(session)
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run(python, str(script), *session.posargs, external=True)


@nox.session
def release(session: nox.Session) -> None:
    """Build and check every distribution, publish every first-party checkpoint and pin its commit.

    Arguments go to scripts/release.py: ``-- --dry-run`` builds and checks and lists what would be published;
    ``-- --hub loopback --no-weights`` rehearses the whole release on a loopback Hub; ``-- --write-cards``
    publishes to HF_ENDPOINT with HF_TOKEN and pins the commits in cards/.
    """
    python = _python(session)
    session.run(python, str(ROOT / "scripts" / "release.py"), *session.posargs, external=True)
