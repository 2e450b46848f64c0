"""Third-party extractor weights: fetched once, pinned by sha256, converted to safetensors, cached.

A downloaded ``.pth`` is read only with ``torch.load(weights_only=True)`` (no arbitrary
unpickling), after its sha256 matched the pin; the converted safetensors file is what loads later.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from zoo.errors import ZooError
from zoo.files import atomic_path

# pytorch-fid's port of the TensorFlow FID Inception (inception-2015-12-05). The full sha256 is not
# printed by pytorch-fid itself (torch.hub only checks the 8-hex prefix in the file name, 6726825d);
# it was cross-checked against several public projects that pin this exact file (95,628,359 bytes).
# It could not be re-verified by downloading here (no network): see the metrics report.
INCEPTION_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
)
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
INCEPTION_FILENAME = "pt_inception-2015-12-05-6726825d.pth"
_MAX_BYTES = 1 << 30


def zoo_home() -> Path:
    """The zoo's cache directory: $ZOO_HOME, else $XDG_CACHE_HOME/zoo, else ~/.cache/zoo."""
    if os.environ.get("ZOO_HOME"):
        return Path(os.environ["ZOO_HOME"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "zoo"


def _sha256(path: Path) -> str:
    """Hex sha256 of a file (chunked)."""
    from zoo.weights import sha256_file

    return sha256_file(path)


def download(url: str, target: Path, sha256: str, progress: bool = True) -> Path:
    """Fetch ``url`` into ``target`` atomically; keep it only if its sha256 is ``sha256``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fix = f"download it by hand from {url} to {target}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response, atomic_path(target) as tmp:  # noqa: S310
            total = int(response.headers.get("Content-Length") or 0) or None
            from tqdm import tqdm

            with (
                open(tmp, "wb") as out,
                tqdm(
                    total=total, unit="B", unit_scale=True, desc=target.name, disable=not progress, leave=False
                ) as bar,
            ):
                size = 0
                while chunk := response.read(1 << 20):
                    size += len(chunk)
                    if size > _MAX_BYTES:
                        raise ZooError(f"{url} is larger than {_MAX_BYTES >> 20} MiB: refusing it; {fix}")
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
            if digest.hexdigest() != sha256:
                raise ZooError(
                    f"{url} has sha256 {digest.hexdigest()[:12]}…, expected {sha256[:12]}…: "
                    f"the file changed or was tampered with; nothing was kept ({fix} only from a source you trust)"
                )
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ZooError(f"could not download {url} ({reason}): {fix}, or check your network") from None
    return target


def convert_pth(pth: Path, target: Path, source_sha256: str, drop: Callable[[str], bool] | None = None) -> Path:
    """Read a state-dict ``.pth`` with weights_only=True and write it as safetensors (atomically)."""
    import torch

    from zoo.weights import write_safetensors

    try:
        state = torch.load(pth, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling refusal or corruption means: do not use it
        raise ZooError(
            f"{pth} is not a plain tensor state dict ({type(exc).__name__}): delete it and fetch it again"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ZooError(f"{pth} is not a state dict of tensors: delete it and fetch it again")
    tensors = {k: v.contiguous() for k, v in state.items() if not (drop and drop(k))}
    target.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(target, tensors, {"zoo.source_sha256": source_sha256, "zoo.source": pth.name})
    return target


def _torch_hub_copy(filename: str) -> Path | None:
    """A copy pytorch-fid (torch.hub) already downloaded, so users with it are not made to fetch it again."""
    torch_home = Path(
        os.environ.get("TORCH_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "torch"
    )
    path = torch_home / "hub" / "checkpoints" / filename
    return path if path.is_file() else None


def cached_weights(
    name: str,
    url: str,
    sha256: str,
    filename: str,
    *,
    drop: Callable[[str], bool] | None = None,
    progress: bool = True,
    allow_download: bool = True,
) -> Path:
    """Safetensors weights converted from the ``.pth`` at ``url`` pinned by ``sha256``; fetch on first use.

    ``allow_download=False`` (offline) raises a ZooError instead of fetching what is not cached yet.
    """
    from zoo.weights import read_metadata

    target = zoo_home() / "weights" / f"{name}-{sha256[:16]}.safetensors"
    if target.is_file():
        if read_metadata(target).get("zoo.source_sha256") == sha256:
            return target
        target.unlink()
    pth = zoo_home() / "downloads" / filename
    hub_copy = _torch_hub_copy(filename)
    if not pth.is_file() and hub_copy is not None and _sha256(hub_copy) == sha256:
        pth.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(hub_copy, pth)
    if pth.is_file() and _sha256(pth) != sha256:
        pth.unlink()
    if not pth.is_file():
        if not allow_download:
            raise ZooError(f"{name} weights are not downloaded yet and downloads are off: fetch them once online")
        download(url, pth, sha256, progress=progress)
    convert_pth(pth, target, sha256, drop=drop)
    pth.unlink()
    return target


def inception_weights_path(progress: bool = True, allow_download: bool = True) -> Path:
    """The cached safetensors of the FID Inception: fetched (pinned sha256) and converted on first use.

    ``ZOO_INCEPTION_URL`` / ``ZOO_INCEPTION_SHA256`` point at a mirror (or a test file); results
    record the weights' sha256, so numbers from other weights are never mistaken for standard ones.
    """
    url = os.environ.get("ZOO_INCEPTION_URL") or INCEPTION_URL
    sha256 = (os.environ.get("ZOO_INCEPTION_SHA256") or INCEPTION_SHA256).lower()
    return cached_weights(
        "fid-inception-v3",
        url,
        sha256,
        INCEPTION_FILENAME,
        drop=lambda key: key.endswith("num_batches_tracked"),
        progress=progress,
        allow_download=allow_download,
    )
