"""The test suite keeps to its own folders: the user's zoo cache is neither read nor written."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from zoo.metrics.downloads import zoo_home


def test_the_suite_caches_under_its_own_zoo_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    assert zoo_home().is_relative_to(tmp_path_factory.getbasetemp()), zoo_home()


def test_subprocesses_inherit_the_suites_zoo_home() -> None:
    probe = "from zoo.metrics.downloads import zoo_home; print(zoo_home())"
    out = subprocess.run([sys.executable, "-c", probe], env=os.environ, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(zoo_home())
