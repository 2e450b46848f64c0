"""The Hugging Face Hub in one package: pull verified weights, publish repos (``zoo push``), a loopback Hub for tests.

Its modules, top to bottom (pyproject.toml's import contracts keep them so): ``job`` (``zoo.push``) → ``publish``
(write and upload a repo) → ``pull`` (resolve, download, verify) → ``errors`` (one-line ZooErrors) → ``transfer``
(endpoint, cache, timeouts) and ``names`` (``hf-hub:`` references, the zoo layout); ``local`` is the olah test
server. This namespace is the surface for plugins and users; the core's own modules import the modules above, so
each import stays in its layer. Torch-free: huggingface_hub itself is imported on first use.
"""

from __future__ import annotations

from zoo.hub.names import HUB_PREFIX, HubRef, parse_model_name
from zoo.hub.pull import (
    checkpoint_weights,
    downloads_allowed,
    fetch_file,
    hub_checkpoint,
    pull_checkpoint,
    verify_file,
)
from zoo.hub.transfer import endpoint, hub_cache

__all__ = [
    "HUB_PREFIX",
    "HubRef",
    "checkpoint_weights",
    "downloads_allowed",
    "endpoint",
    "fetch_file",
    "hub_cache",
    "hub_checkpoint",
    "parse_model_name",
    "pull_checkpoint",
    "verify_file",
]
