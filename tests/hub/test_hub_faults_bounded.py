"""Hub faults end in bounded time with one line, and leave nothing in the cache a later load would trust."""

from __future__ import annotations

import time

import pytest
from faultyhub import FaultyHub, SilentServer
from hubkit import LOAD_OR_ERROR, ORG, HubServer, Zoo

TIMEOUT = {"ZOO_HUB_TIMEOUT": "2"}


def _port(hub_server: HubServer) -> int:
    return int(hub_server.url.rsplit(":", 1)[1])


def test_a_server_that_never_answers_fails_within_the_timeout(zoo_env: Zoo, clean_error) -> None:
    silent = SilentServer()
    try:
        started = time.monotonic()
        result = zoo_env.run("pull", f"hf-hub:{ORG}/anything", env={"HF_ENDPOINT": silent.url, **TIMEOUT}, timeout=60)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    clean_error(result, silent.url)
    assert elapsed < 20, f"took {elapsed:.0f} s with ZOO_HUB_TIMEOUT=2"


@pytest.mark.parametrize(
    ("fault", "fragments"),
    [
        ("html", ("did not send", "intact")),
        ("cut", ("model.safetensors",)),
        ("wrong", ("sent the weights", "damaged", "fail the Hub's own checksum", "removed from the Hub cache")),
        ("stall", ("stopped answering for 2 s", "ZOO_HUB_TIMEOUT")),
    ],
)
def test_a_broken_download_is_one_line_and_leaves_no_trusted_file(
    zoo_env: Zoo, hub_server: HubServer, pushed, clean_error, fault, fragments
) -> None:
    repo = f"{ORG}/fault-{fault}"
    name = zoo_env.register(pushed["tiny"], repo, hub_server.publish(pushed["tiny"], repo))
    proxy = FaultyHub(_port(hub_server), fault)
    try:
        started = time.monotonic()
        result = zoo_env.run("pull", name, env={"HF_ENDPOINT": proxy.url, **TIMEOUT}, timeout=120)
        elapsed = time.monotonic() - started
    finally:
        proxy.close()
    assert proxy.hits >= 1, f"the fault was never served: {proxy.paths}, {result.stderr}"
    line = clean_error(result, *fragments)
    assert "HF_HOME" not in line and "disk" not in line, line  # a network fault is not a storage problem
    assert elapsed < 60, f"{fault}: took {elapsed:.0f} s with ZOO_HUB_TIMEOUT=2"
    assert not [p for p in zoo_env.blobs(repo) if p.name.endswith(".incomplete")], "a partial download was left"
    offline = zoo_env.python(LOAD_OR_ERROR, name, "off", env={"HF_HUB_OFFLINE": "1"})
    assert "ZOOERROR" in offline.stdout, offline.stdout + offline.stderr  # nothing half-fetched loads
    again = zoo_env.run("pull", name)  # and the working server delivers it afterwards
    assert again.returncode == 0 and "sha256 verified" in again.stdout, again.stderr


def test_a_bad_timeout_setting_is_one_line(zoo_env: Zoo, clean_error) -> None:
    clean_error(zoo_env.run("pull", f"hf-hub:{ORG}/x", env={"ZOO_HUB_TIMEOUT": "soon"}), "ZOO_HUB_TIMEOUT='soon'")
