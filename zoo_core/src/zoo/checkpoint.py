"""Resumable training state (networks, optimisers, RNG) as one safetensors file, no pickle.

Optimiser state dicts are flattened to tensors plus a JSON skeleton kept in the metadata, so a
resumed run restores exactly what ``torch.optim`` saved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import torch

from zoo.errors import ZooError
from zoo.weights import META_TRAINING_STATE, load_tensors, read_metadata, save_weights, state_dict_with_prefix

_STATE_KEY = META_TRAINING_STATE


def _flatten_optimizer(prefix: str, state: Mapping[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Move every tensor of an optimiser state dict into ``tensors``; return the rest as JSON data."""
    skeleton: dict[str, Any] = {"param_groups": state["param_groups"], "state": {}}
    for index, slots in state["state"].items():
        entry: dict[str, Any] = {}
        for slot, value in slots.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{index}.{slot}"] = value
                entry[slot] = {"tensor": True}
            else:
                entry[slot] = value
        skeleton["state"][str(index)] = entry
    return skeleton


def _unflatten_optimizer(prefix: str, skeleton: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> dict:
    """Rebuild an optimiser state dict from its JSON skeleton and the stored tensors."""
    state: dict[int, dict[str, Any]] = {}
    for index, entry in skeleton["state"].items():
        state[int(index)] = {
            slot: tensors[f"{prefix}.{index}.{slot}"] if isinstance(value, dict) and value.get("tensor") else value
            for slot, value in entry.items()
        }
    return {"state": state, "param_groups": skeleton["param_groups"]}


def save_training_state(
    path: str | os.PathLike[str],
    *,
    family: str,
    config: Mapping[str, Any],
    modules: Mapping[str, torch.nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    progress: Mapping[str, Any],
) -> None:
    """Write modules, optimisers, RNG and ``progress`` (step, recipe…) atomically to ``path``."""
    tensors: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        tensors.update({f"{name}.{key}": value for key, value in module.state_dict().items()})
    skeletons = {
        name: _flatten_optimizer(f"optim.{name}", opt.state_dict(), tensors) for name, opt in optimizers.items()
    }
    tensors["rng.torch"] = torch.get_rng_state()
    payload = {"progress": dict(progress), "optimizers": skeletons}
    save_weights(path, tensors, family=family, config=config, metadata={_STATE_KEY: json.dumps(payload)})


def load_training_state(
    path: str | os.PathLike[str],
    *,
    modules: Mapping[str, torch.nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
) -> dict[str, Any]:
    """Restore what ``save_training_state`` wrote; return its ``progress`` mapping."""
    from zoo.weights import apply_state

    meta = read_metadata(path)
    if _STATE_KEY not in meta:
        raise ZooError(f"{path} is a weights file, not a training checkpoint: it cannot be resumed")
    payload = json.loads(meta[_STATE_KEY])
    tensors = load_tensors(path)
    for name, module in modules.items():
        apply_state(module, state_dict_with_prefix(tensors, f"{name}."), f"{path} [{name}]")
    for name, optimizer in optimizers.items():
        optimizer.load_state_dict(_unflatten_optimizer(f"optim.{name}", payload["optimizers"][name], tensors))
    torch.set_rng_state(tensors["rng.torch"])
    return payload["progress"]
