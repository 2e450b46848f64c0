"""Feature extractors by name: the networks whose embeddings FID, KID, IS and PR compare.

A spec is plain data plus a builder string (like the model registry), so listing extractors
never imports torch. Third-party code adds one with ``register_extractor`` (e.g. from its
``register_metrics`` hook); a name registered twice is an error, never a silent override.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from zoo.errors import ZooError
from zoo.specs import check_name, import_object

if TYPE_CHECKING:
    import torch

STANDARD_INCEPTION = "inception-v3-fid"
SQUEEZENET = "squeezenet1_1-imagenet"
POOL = "pool"
LOGITS = "logits"
LABELS = "labels"  # not an extractor output: the class index of each image, added by zoo eval beside the features


@dataclass(frozen=True)
class ExtractorSpec:
    """A named feature extractor: its builder, output sizes, and the input it accepts."""

    name: str
    builder: str
    dims: Mapping[str, int] = field(hash=False)
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    input_size: int | None = None  # the network's input; with ``pool_multiples`` also 2x, 3x … that size
    pool_multiples: bool = False  # 32k x 32k images are area-averaged (k x k mean) down to input_size
    inception: bool = False

    def accepts(self, size: int) -> bool:
        """Whether images of size x size can be featurised: the net's input size or a pooled multiple of it."""
        if self.input_size is None or size == self.input_size:
            return True
        return self.pool_multiples and size % self.input_size == 0

    def size_requirement(self) -> str:
        """The accepted image sizes, for error messages."""
        n = self.input_size
        return f"{n}x{n} images (or {2 * n}x{2 * n}, {3 * n}x{3 * n}, …)" if self.pool_multiples else f"{n}x{n} images"

    def __post_init__(self) -> None:
        check_name(self.name, "extractor")
        if POOL not in self.dims:
            raise ZooError(f"extractor {self.name!r} must declare a {POOL!r} output size in dims")


class FeatureExtractor(Protocol):
    """What a metric needs from a network: named float32 features for uint8 images."""

    name: str
    dims: Mapping[str, int]

    @property
    def protocol(self) -> dict[str, Any]:
        """How images become features (resize, normalisation, weights hash): stored with results."""

    def __call__(self, images: torch.Tensor, outputs: Sequence[str]) -> dict[str, torch.Tensor]:
        """Features for uint8 images (N, 3, H, W), one float32 (N, dim) tensor per requested output."""


_BUILTIN = (
    ExtractorSpec(
        name=STANDARD_INCEPTION,
        builder="zoo.metrics.inception:InceptionExtractor",
        dims={POOL: 2048, LOGITS: 1008},
        description="FID InceptionV3 (TF 2015-12-05 weights), resized like pytorch-fid (torch bilinear)",
        options={"resize": "torch"},
        inception=True,
    ),
    ExtractorSpec(
        name="inception-v3-tf",
        builder="zoo.metrics.inception:InceptionExtractor",
        dims={POOL: 2048, LOGITS: 1008},
        description="FID InceptionV3, resized like TensorFlow 1.x / torch-fidelity / the original TTUR code",
        options={"resize": "tf1"},
        inception=True,
    ),
    ExtractorSpec(
        name=SQUEEZENET,
        builder="zoo.metrics.squeezenet:SqueezeNetExtractor",
        dims={POOL: 512, LOGITS: 1000},
        description="SqueezeNet-1.1 ImageNet features, bundled (any size, grayscale or RGB; resized to 227x227)",
    ),
    ExtractorSpec(
        name="zoo-cifar10-resnet",
        builder="zoo.metrics.resnet:ResNetExtractor",
        dims={POOL: 256, LOGITS: 10},
        description="the zoo's own CIFAR-10 ResNet classifier (32x32 input, larger multiples area-averaged)",
        input_size=32,
        pool_multiples=True,
    ),
)
_EXTRACTORS: dict[str, ExtractorSpec] = {spec.name: spec for spec in _BUILTIN}


def register_extractor(spec: ExtractorSpec) -> None:
    """Make ``spec`` available to every metric by name; refuse a name that is already taken."""
    if not isinstance(spec, ExtractorSpec):
        raise ZooError(f"register_extractor needs an ExtractorSpec, got {type(spec).__name__}")
    if spec.name in _EXTRACTORS and _EXTRACTORS[spec.name] != spec:
        raise ZooError(f"feature extractor {spec.name!r} is already registered: choose another name")
    _EXTRACTORS[spec.name] = spec


def extractor_names() -> list[str]:
    """Every registered extractor name, sorted."""
    return sorted(_EXTRACTORS)


def extractor_spec(name: str) -> ExtractorSpec:
    """The spec registered as ``name``; unknown names list the valid ones."""
    if name not in _EXTRACTORS:
        raise ZooError(f"unknown feature extractor {name!r}: choose one of {', '.join(extractor_names())}")
    return _EXTRACTORS[name]


AUTO = "auto"


def resolve_extractor(name: str, progress: bool = True) -> tuple[str, str]:
    """(extractor, why it was chosen): ``auto`` is Inception FID where its weights can be had, else SqueezeNet.

    Inception (fetched once, pinned sha256) is the standard every paper reports; offline or where it
    cannot be fetched, the bundled ImageNet SqueezeNet 1.1 evaluates any size and grayscale, labelled as such.
    """
    if name != AUTO:
        return name, ""
    from zoo.hub.pull import downloads_allowed
    from zoo.metrics.downloads import inception_weights_path

    try:  # ZOO_NO_DOWNLOAD=1 forbids the fetch; HF_HUB_OFFLINE is huggingface_hub's, and these come from GitHub
        inception_weights_path(progress=progress, allow_download=downloads_allowed(None))
    except ZooError as exc:
        reason = str(exc).split(": ")[0]
        return SQUEEZENET, (
            f"the FID Inception weights could not be had ({reason}): using the bundled SqueezeNet-1.1 ImageNet "
            f"features, not comparable with published FIDs (--extractor {STANDARD_INCEPTION} once online)"
        )
    return STANDARD_INCEPTION, "the standard FID Inception weights are available"


def metric_label(metric: str, extractor: str) -> str:
    """'FID' for Inception features, 'FID (zoo-cifar10-resnet features)' otherwise: numbers are never mislabelled."""
    spec = _EXTRACTORS.get(extractor)
    if spec is not None and spec.inception:
        return metric if extractor == STANDARD_INCEPTION else f"{metric} ({extractor})"
    return f"{metric} ({extractor} features)"


def build_extractor(name: str, *, device: str | torch.device = "cpu", precision: str = "float32") -> FeatureExtractor:
    """Construct the extractor registered as ``name`` (imports torch and loads its weights)."""
    spec = extractor_spec(name)
    factory = import_object(spec.builder)
    return factory(spec=spec, device=device, precision=precision, **spec.options)


PRECISIONS = ("float32", "bfloat16", "float64")


def check_precision(precision: str, *, allow_auto: bool = False) -> str:
    """Refuse precisions the extractors do not implement (``auto`` where the caller resolves it)."""
    if precision not in PRECISIONS and not (allow_auto and precision == AUTO):
        choices = ", ".join((AUTO, *PRECISIONS) if allow_auto else PRECISIONS)
        raise ZooError(f"unknown precision {precision!r}: choose one of {choices}")
    return precision


def resolve_precision(precision: str, device: str | torch.device) -> tuple[str, str]:
    """(precision, why): ``auto`` is bfloat16 where the device computes it natively, else float32."""
    check_precision(precision, allow_auto=True)
    if precision != AUTO:
        return precision, ""
    from zoo.hardware import native_bf16

    if native_bf16(device):
        return "bfloat16", "auto: this device computes bf16 natively"
    return "float32", "auto: no native bf16 on this device (emulated bf16 is slower than float32)"


def check_images(images: Any, *, spec: ExtractorSpec | None = None, min_size: int = 1) -> torch.Tensor:
    """Return ``images`` if they are uint8 (N, 3, H, W); otherwise a one-line error saying how to fix them."""
    import torch

    if not torch.is_tensor(images):
        raise ZooError(f"images must be a torch.Tensor of uint8 (N, 3, H, W), got {type(images).__name__}")
    if images.ndim != 4:
        raise ZooError(f"images must have shape (N, 3, H, W), got {tuple(images.shape)}")
    if images.dtype != torch.uint8:
        lo, hi = (float(images.min()), float(images.max())) if images.numel() else (0.0, 0.0)
        raise ZooError(
            f"images must be uint8 in [0, 255], got {images.dtype} in [{lo:.3g}, {hi:.3g}]: "
            "convert generator output with zoo.images.to_uint8"
        )
    channels = images.shape[1]
    if channels != 3:
        if images.shape[-1] in (1, 3) and channels not in (1, 3):
            raise ZooError(f"images look channels-last {tuple(images.shape)}: permute them to (N, C, H, W)")
        hint = ": repeat the channel 3 times for grayscale images" if channels == 1 else ""
        raise ZooError(f"images must have 3 channels (RGB), got {channels}{hint}")
    height, width = images.shape[-2:]
    if spec is not None and (height != width or not spec.accepts(height)):
        raise ZooError(
            f"{spec.name} needs {spec.size_requirement()}, got {height}x{width}: "
            f"use --extractor {STANDARD_INCEPTION} for other resolutions"
        )
    if min(height, width) < min_size:
        raise ZooError(f"images of {height}x{width} are too small for this feature extractor (at least {min_size})")
    return images


def check_outputs(name: str, dims: Mapping[str, int], outputs: Sequence[str]) -> None:
    """Refuse outputs an extractor does not have, listing the ones it does."""
    unknown = sorted(set(outputs) - set(dims))
    if unknown:
        raise ZooError(f"{name} has no output(s) {', '.join(unknown)}: choose from {', '.join(dims)}")


def check_finite(features: torch.Tensor, extractor: str) -> torch.Tensor:
    """Refuse NaN or inf features: every metric would silently turn into NaN."""
    import torch

    bad = int((~torch.isfinite(features)).any(dim=1).sum())
    if bad:
        raise ZooError(
            f"feature extractor {extractor!r} produced NaN or inf features for {bad} of {len(features)} images: "
            "its weights are corrupt or the precision overflows; retry with precision float32"
        )
    return features
