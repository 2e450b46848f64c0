"""A real Hub-compatible server for the hub tests: olah, offline, serving local git repositories.

Layout olah expects: ``<mirrors>/models/<org>/<repo>``, a git repository with branch ``main``.
Every zoo call runs in a subprocess whose environment points HF_ENDPOINT at the server and
HF_HOME at a per-test directory, so nothing touches the user's cache or the real Hub.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hubkit import (
    ORG,
    TEST_PLUGIN,
    HubServer,
    StallingProxy,
    Zoo,
    make_run,
)


@pytest.fixture(scope="session")
def hub_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    """olah on a free loopback port, offline, over fresh mirrors: zoo.hub.local, the server plugin authors get."""
    pytest.importorskip("olah", reason="olah is in the 'test' dependency group: pip install olah")
    from zoo.hub.local import local_hub

    with local_hub(tmp_path_factory.mktemp("olah")) as hub:
        yield hub


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real distribution (dist-info + entry point) of the test plugin, importable via PYTHONPATH."""
    root = tmp_path_factory.mktemp("plugin")
    (root / "zoo_hubtest.py").write_text(TEST_PLUGIN)
    info = root / "zoo_hubtest-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zoo-hubtest\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text("[gan_zoo]\nhubtest = zoo_hubtest\n")
    return root


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny run (kilobytes) and a big one (14 MB: larger than huggingface_hub's 10 MB download chunk)."""
    root = tmp_path_factory.mktemp("runs")
    return {
        "tiny": make_run(root / "tiny", width=4, z_dim=8),
        "big": make_run(root / "big", width=128, z_dim=100, seed=1),
    }


@pytest.fixture
def zoo_env(hub_server: HubServer, plugin_dir: Path, tmp_path: Path) -> Zoo:
    """The environment of one test: the server, a fresh HF_HOME and ZOO_HOME, and the test plugin's card folder."""
    cards = tmp_path / "cards"
    cards.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOO_", "HF_", "HUGGINGFACE_"))}
    env.update(
        HF_ENDPOINT=hub_server.url,
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_XET="1",
        ZOO_TEST_CARDS=str(cards),
        ZOO_HOME=str(tmp_path / "zoo-home"),  # feature statistics too stay in the test's folder
        PYTHONPATH=os.pathsep.join([str(plugin_dir), *filter(None, [os.environ.get("PYTHONPATH")])]),
        OMP_NUM_THREADS="1",
    )
    return Zoo(env=env, home=tmp_path / "hf-home", cards=cards, cwd=tmp_path)


@pytest.fixture(scope="session")
def pushed(tmp_path_factory: pytest.TempPathFactory, runs: dict[str, Path]) -> dict[str, Path]:
    """'zoo push --dry-run' folders of both runs (the Hub repo layout), made in-process once per session."""
    from zoo.cli import main

    folders = {}
    for kind, run in runs.items():
        out = tmp_path_factory.mktemp("pushed") / kind
        with pytest.raises(SystemExit) as exit_info:
            main(
                ["push", str(run), "--repo", f"{ORG}/dcgan-{kind}", "--dry-run", "--out", str(out), "--license", "mit"]
            )
            raise SystemExit(0)
        assert exit_info.value.code == 0
        assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "model.safetensors", "samples.png"]
        folders[kind] = out
    return folders


@pytest.fixture
def stalling_proxy(hub_server: HubServer) -> Iterator[Callable[[int], StallingProxy]]:
    """``stalling_proxy(limit)``: a proxy in front of the server that stalls after ``limit`` response bytes."""
    proxies: list[StallingProxy] = []

    def make(limit: int) -> StallingProxy:
        proxies.append(StallingProxy(int(hub_server.url.rsplit(":", 1)[1]), limit))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()
