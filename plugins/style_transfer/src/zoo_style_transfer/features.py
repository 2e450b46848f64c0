"""The frozen feature network of the perceptual losses: any timm backbone, or the bundled SqueezeNet 1.1.

Gatys, Ecker & Bethge 2016 (CVPR) read VGG19's rectified responses: relu1_1 … relu5_1 for style,
relu4_2 for content. Those names are aliases for timm's ``features.N`` modules; any other timm
model works with its own module names (``model.named_modules()``) and defaults to the stages timm
lists in ``feature_info``. Pretrained weights come from the Hub as ``model.safetensors`` only,
through huggingface_hub (so HF_ENDPOINT, HF_HOME and offline mode behave as usual); pickles are refused.

``squeezenet1_1`` is ImageNet SqueezeNet 1.1 bundled in zoo-core (``zoo.backbones.squeezenet``):
real ImageNet features with no download, the features the Stanford CS231n style-transfer
assignment uses (content fire2; style relu1, fire3, fire4, fire5). When no backbone is named and
VGG19 cannot be fetched, the losses use it and say so in one line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from zoo.errors import ZooError

from zoo_style_transfer.loss_weights import VGG_WEIGHTS, LossWeights

DEFAULT_BACKBONE = "vgg19.tv_in1k"
BUNDLED_BACKBONE = "squeezenet1_1"
GATYS_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
GATYS_CONTENT_LAYERS = ("relu4_2",)
SQUEEZENET_STYLE_LAYERS = ("relu1", "fire3", "fire4", "fire5")
SQUEEZENET_CONTENT_LAYERS = ("fire2",)
SQUEEZENET_WEIGHTS = LossWeights(1.0, 1e3, 1e-2)  # measured on the shared photos: see the plugin README
WEIGHTS_FILE = "model.safetensors"


class BackboneUnavailable(ZooError):
    """The backbone's pretrained weights could not be fetched (offline, unreachable, not in the cache)."""


@dataclass(frozen=True)
class BackbonePin:
    """The Hub file a backbone name stands for: a commit and the sha256 of its model.safetensors."""

    revision: str
    sha256: str


PINNED_BACKBONES: dict[str, BackbonePin] = {}
"""timm name -> the pin of its Hub weights, recorded where the Hub is reachable (as a card pins a checkpoint).
Empty in this release: no pin for timm/vgg19.tv_in1k could be recorded from the build machine, which has no
Hub access, so a Hub backbone needs an explicit pin (``NAME@COMMIT:SHA256``) and the default falls back to
the bundled SqueezeNet. Nothing fetched under a name is used without its sha256 checked."""


def parse_backbone(text: str) -> tuple[str, BackbonePin | None]:
    """'vgg19.tv_in1k' or 'vgg19.tv_in1k@COMMIT:SHA256' -> (timm name, explicit pin or None)."""
    import re

    name, at, pin = text.partition("@")
    if not at:
        return name, None
    match = re.fullmatch(r"([0-9a-f]{40}):([0-9a-f]{64})", pin)
    if not match:
        raise ZooError(
            f"backbone {text!r}: pin it as NAME@COMMIT:SHA256 (a 40-hex commit and the 64-hex sha256 of its "
            f"{WEIGHTS_FILE}), e.g. {DEFAULT_BACKBONE}@<commit>:<sha256>"
        )
    return name, BackbonePin(match.group(1), match.group(2))


def feature_net(
    backbone: str | None,
    content_layers: Sequence[str] | None = None,
    style_layers: Sequence[str] | None = None,
    pretrained: bool = True,
) -> tuple[FeatureNet, str | None]:
    """The named backbone; with none named, a pinned VGG19 where it can be had, else the bundled SqueezeNet 1.1.

    Returns the network and, when it fell back, the one-line note that says so.
    """
    if backbone is not None:
        return FeatureNet(backbone, content_layers, style_layers, pretrained=pretrained), None
    if DEFAULT_BACKBONE not in PINNED_BACKBONES:  # never fetched unpinned: the bundled network is the default
        if content_layers or style_layers:
            raise ZooError(
                f"the layers you named are for {DEFAULT_BACKBONE}, which has no pinned weights in this release: pass "
                f"--backbone {DEFAULT_BACKBONE}@COMMIT:SHA256, or --backbone {BUNDLED_BACKBONE} with its layers"
            )
        note = (
            f"using the bundled ImageNet SqueezeNet 1.1 features: {DEFAULT_BACKBONE} has no pinned weights in "
            f"this release (--backbone {DEFAULT_BACKBONE}@COMMIT:SHA256 uses it; "
            f"--backbone {BUNDLED_BACKBONE} drops this note)"
        )
        return FeatureNet(BUNDLED_BACKBONE, pretrained=pretrained), note
    try:
        return FeatureNet(DEFAULT_BACKBONE, content_layers, style_layers, pretrained=pretrained), None
    except BackboneUnavailable as exc:
        if content_layers or style_layers:
            raise ZooError(
                f"{exc}; the layers you named are for {DEFAULT_BACKBONE}: drop them to use the bundled "
                f"{BUNDLED_BACKBONE}, or pass --backbone {BUNDLED_BACKBONE} with its layers (relu1, fire2 … fire9)"
            ) from None
        reason = str(exc).split(": ")[0].split(" (or use")[0]
        note = (
            f"{DEFAULT_BACKBONE} could not be fetched ({reason}): using the bundled ImageNet "
            f"SqueezeNet 1.1 features instead (--backbone {BUNDLED_BACKBONE} skips the attempt)"
        )
        return FeatureNet(BUNDLED_BACKBONE, pretrained=pretrained), note


class _Enough(Exception):
    """Raised by the last hook needed: the layers above it would be computed for nothing."""


@dataclass(frozen=True)
class LayerChoice:
    """Which layers feed the content loss and which the style loss."""

    content: tuple[str, ...]
    style: tuple[str, ...]


def vgg_aliases(model: nn.Module) -> dict[str, str]:
    """conv{b}_{i} / relu{b}_{i} -> timm module name, counting blocks at each max-pool (VGG papers' naming)."""
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Sequential):
        return {}
    aliases, block, index = {}, 1, 0
    for name, module in features.named_children():
        if isinstance(module, nn.MaxPool2d):
            block, index = block + 1, 0
        elif isinstance(module, nn.Conv2d):
            index += 1
            aliases[f"conv{block}_{index}"] = f"features.{name}"
        elif isinstance(module, nn.ReLU):
            aliases[f"relu{block}_{index}"] = f"features.{name}"
    return aliases


def _create(backbone: str, pretrained: bool) -> nn.Module:
    """The bundled SqueezeNet, or a randomly initialised timm model; a ZooError names the closest valid backbones."""
    import timm

    if backbone == BUNDLED_BACKBONE:
        from zoo.backbones.squeezenet import load_squeezenet

        return load_squeezenet(pretrained)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", backbone):  # a path, a Hub id or a prefix is no timm name
        raise ZooError(f"backbone {backbone!r}: give a timm model name such as {DEFAULT_BACKBONE}")
    try:
        return timm.create_model(backbone, pretrained=False)
    except (RuntimeError, ValueError) as exc:
        if "Unknown model" not in str(exc) and "Invalid pretrained tag" not in str(exc):
            raise
    names = timm.list_models(pretrained=True) + timm.list_models() + [BUNDLED_BACKBONE]
    close = difflib.get_close_matches(backbone, names, n=5, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else "see timm.list_models(pretrained=True)"
    raise ZooError(f"unknown backbone {backbone!r}: {hint} (default {DEFAULT_BACKBONE})")


def _default_layers(model: nn.Module, aliases: dict[str, str]) -> LayerChoice:
    """Gatys' layers for VGG; otherwise every stage timm reports, content from the middle one."""
    if all(name in aliases for name in GATYS_STYLE_LAYERS + GATYS_CONTENT_LAYERS):
        return LayerChoice(GATYS_CONTENT_LAYERS, GATYS_STYLE_LAYERS)
    if all(name in aliases for name in SQUEEZENET_STYLE_LAYERS + SQUEEZENET_CONTENT_LAYERS):
        return LayerChoice(SQUEEZENET_CONTENT_LAYERS, SQUEEZENET_STYLE_LAYERS)
    stages = [info["module"] for info in getattr(model, "feature_info", []) if isinstance(info, dict)]
    if not stages:
        raise ZooError("this backbone lists no feature stages: pass content and style layers by module name")
    return LayerChoice((stages[len(stages) // 2],), tuple(stages))


class FeatureNet(nn.Module):
    """Frozen backbone that returns ``{layer: activation}`` for the requested layers, ImageNet-normalised input."""

    def __init__(
        self,
        backbone: str = DEFAULT_BACKBONE,
        content_layers: Sequence[str] | None = None,
        style_layers: Sequence[str] | None = None,
        pretrained: bool = True,
        revision: str | None = None,
    ) -> None:
        super().__init__()
        backbone, pin = parse_backbone(backbone)
        if revision is not None and pin is None:
            raise ZooError(f"revision {revision!r} alone does not pin {backbone}: pass {backbone}@COMMIT:SHA256")
        bundled = backbone == BUNDLED_BACKBONE
        model = _create(backbone, pretrained)
        for module in model.modules():
            if getattr(module, "inplace", False):
                module.inplace = False  # an in-place ReLU would overwrite the conv output a hook kept
        self.backbone_name = backbone
        self.aliases = _squeezenet_aliases() if bundled else vgg_aliases(model)
        default = _default_layers(model, self.aliases) if not (content_layers and style_layers) else None
        self.layers = LayerChoice(
            tuple(content_layers or default.content),
            tuple(style_layers or default.style),  # type: ignore[union-attr]
        )
        modules = dict(model.named_modules())
        self._targets = {layer: self._resolve(layer, modules) for layer in self.all_layers}
        cfg = getattr(model, "pretrained_cfg", {}) or {}
        # The bundled SqueezeNet converts [0, 1] RGB to its own Caffe input itself (BGR, 0-255, mean).
        mean, std = ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)) if bundled else (cfg.get("mean"), cfg.get("std"))
        self.register_buffer("mean", torch.tensor(mean or (0.485, 0.456, 0.406)).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std or (0.229, 0.224, 0.225)).view(1, -1, 1, 1))
        self.model = model
        if pretrained and not bundled:
            self._load_hub_weights(cfg, self._used_state_keys(), pin or PINNED_BACKBONES.get(backbone))
        self.model.eval().requires_grad_(False)

    @property
    def default_weights(self) -> LossWeights:
        """The loss weights that balance this backbone's activation scale (the user's override the ones they set)."""
        return SQUEEZENET_WEIGHTS if self.backbone_name == BUNDLED_BACKBONE else VGG_WEIGHTS

    @property
    def default_optimizer(self) -> str:
        """L-BFGS for VGG (Gatys et al.); Adam for SqueezeNet, where L-BFGS's line search stalls (measured:
        style loss stuck at half its start after 10 steps, while Adam cut it 60-fold in 100)."""
        return "adam" if self.backbone_name == BUNDLED_BACKBONE else "lbfgs"

    @property
    def all_layers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.layers.content + self.layers.style))

    def _resolve(self, layer: str, modules: dict[str, nn.Module]) -> nn.Module:
        """The module behind a layer name or alias; a ZooError listing valid names otherwise."""
        name = self.aliases.get(layer, layer)
        if name in modules and name:
            return modules[name]
        if self.aliases:
            valid = ", ".join(self.aliases)
        else:
            stages = [info["module"] for info in getattr(modules[""], "feature_info", []) if isinstance(info, dict)]
            valid = ", ".join(stages) + " or any name in model.named_modules()"
        close = difflib.get_close_matches(layer, list(self.aliases) + list(modules), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ZooError(f"{self.backbone_name} has no layer {layer!r}{hint}: choose from {valid}")

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Activations of the chosen layers for images ``x`` in [0, 1]; stops after the last one needed."""
        found: dict[str, torch.Tensor] = {}
        wanted = self._targets

        def hook(layer: str):  # type: ignore[no-untyped-def]
            def save(module: nn.Module, inputs: object, output: torch.Tensor) -> None:
                found[layer] = output
                if len(found) == len(wanted):
                    raise _Enough

            return save

        handles = [module.register_forward_hook(hook(layer)) for layer, module in wanted.items()]
        try:
            self.model((x - self.mean.to(x.dtype)) / self.std.to(x.dtype))
        except _Enough:
            pass
        finally:
            for handle in handles:
                handle.remove()
        missing = [layer for layer in wanted if layer not in found]
        if missing:
            raise ZooError(f"{self.backbone_name}: layer(s) {', '.join(missing)} never ran in its forward pass")
        return found

    def _used_state_keys(self) -> set[str]:
        """State-dict keys of the modules a forward pass runs before its last requested layer."""
        ran: set[str] = set()
        names = {module: name for name, module in self.model.named_modules()}
        hooks = [
            module.register_forward_pre_hook(lambda m, _inputs: ran.add(names[m]))
            for module in self.model.modules()
            if not list(module.children())
        ]
        cfg = getattr(self.model, "pretrained_cfg", {}) or {}
        size = tuple(cfg["input_size"][-2:]) if cfg.get("fixed_input_size") and cfg.get("input_size") else (64, 64)
        try:
            with torch.no_grad():
                self(torch.zeros(1, 3, *size))
        finally:
            for handle in hooks:
                handle.remove()
        return {key for key in self.model.state_dict() if key.rpartition(".")[0] in ran}

    def _load_hub_weights(self, cfg: dict, used: set[str], pin: BackbonePin | None) -> None:
        """Fill the layers in use from the Hub's model.safetensors at the pinned commit, once its sha256 matches."""
        from safetensors import safe_open
        from zoo.hub import verify_file

        repo_id = cfg.get("hf_hub_id")
        if not repo_id:
            raise ZooError(
                f"timm publishes no Hub weights for {self.backbone_name}: choose a backbone with a tag "
                f"(e.g. {DEFAULT_BACKBONE}) or use random weights"
            )
        if pin is None:
            raise BackboneUnavailable(
                f"{self.backbone_name} is not pinned (no commit + sha256 for {repo_id}): pass --backbone "
                f"{self.backbone_name}@COMMIT:SHA256 for a file you checked, or use the bundled ImageNet features: "
                f"--backbone {BUNDLED_BACKBONE}"
            )
        try:
            path = _download(repo_id, pin.revision)
        except ZooError as exc:
            raise BackboneUnavailable(
                f"{exc} (or use the bundled ImageNet features: --backbone {BUNDLED_BACKBONE})"
            ) from None
        path = str(verify_file(Path(path), pin.sha256, None, f"backbone {repo_id}@{pin.revision[:12]}"))
        state = self.model.state_dict()
        problems, tensors = [], {}
        with safe_open(path, framework="pt") as handle:
            stored = set(handle.keys())
            for key in sorted(used):
                if key not in stored:
                    problems.append(f"missing {key}")
                    continue
                tensor = handle.get_tensor(key)
                if tuple(tensor.shape) != tuple(state[key].shape):
                    problems.append(f"{key} has shape {tuple(tensor.shape)}, needs {tuple(state[key].shape)}")
                tensors[key] = tensor.to(state[key].dtype)
        if problems:
            raise ZooError(
                f"{repo_id}/{WEIGHTS_FILE} does not fit timm's {self.backbone_name} ({'; '.join(problems[:4])}): "
                "check the backbone name"
            )
        self.model.load_state_dict(tensors, strict=False)


def _squeezenet_aliases() -> dict[str, str]:
    """The SqueezeNet paper's layer names (conv1, relu1, fire2 … fire9) -> module names."""
    from zoo.backbones.squeezenet import LAYERS

    return dict(LAYERS)


def _download(repo_id: str, revision: str | None) -> str:
    """model.safetensors of a Hub repo, fetched the way ``zoo pull`` fetches weights; never a pickle."""
    from zoo.hub import downloads_allowed, fetch_file

    refused = None
    if not downloads_allowed(None):
        refused = (
            f"the backbone {repo_id} is not in the local Hub cache and downloads are off (ZOO_NO_DOWNLOAD=1): "
            "unset ZOO_NO_DOWNLOAD once to fetch it"
        )
    path = fetch_file(
        repo_id,
        WEIGHTS_FILE,
        revision,
        refused=refused,
        missing=lambda files: (
            f"{repo_id} has no {WEIGHTS_FILE} (only {', '.join(sorted(files)) or 'no files'}; the zoo never loads "
            "pickled weights): choose another backbone tag"
        ),
    )
    return str(path)
