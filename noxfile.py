"""Developer sessions. All share one virtual environment (.nox/zoo) so torch is installed once.

nox -s demo     sample the bundled dcgan checkpoint into dcgan-demo.png (offline)
nox -s tests    the whole test suite
nox -s lint     ruff
nox -s bench    benchmarks/ (speed figures; not part of the tests)
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


def _requirements() -> list[str]:
    """Everything the shared environment needs: the packages (editable) and the test group."""
    editable = [arg for package in PACKAGES for arg in ("-e", str(package))]
    return [*editable, *nox.project.dependency_groups(PYPROJECT, "test", "lint")]


def _python(session: nox.Session) -> str:
    """Create or update the shared environment only when its inputs changed; return its python."""
    python = VENV / "bin" / "python"
    inputs = [CONSTRAINTS, ROOT / "pyproject.toml", *(p / "pyproject.toml" for p in PACKAGES)]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs) + " ".join(_requirements()).encode()).hexdigest()
    stamp = VENV / ".zoo-inputs"
    if not python.exists():
        session.run(sys.executable, "-m", "venv", str(VENV), external=True)
    if not stamp.exists() or stamp.read_text() != digest:
        session.run(str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip", external=True)
        session.run(
            str(python), "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), *_requirements(), external=True
        )
        stamp.write_text(digest)
    return str(python)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (extra arguments go to pytest)."""
    python = _python(session)
    session.run(python, "-m", "pytest", *(session.posargs or ["-q"]), external=True)


@nox.session
def demo(session: nox.Session) -> None:
    """Sample 64 images of the bundled dcgan checkpoint, offline, into dcgan-demo.png."""
    python = _python(session)
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
    """Static checks."""
    python = _python(session)
    session.run(python, "-m", "ruff", "check", ".", external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark script in benchmarks/ and print its figures."""
    python = _python(session)
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run(python, str(script), *session.posargs, external=True)
