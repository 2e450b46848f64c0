"""Bundle the ImageNet SqueezeNet 1.1 weights into zoo-core (zoo/backbones/weights/).

Source: ``squeezenet1_1_imagenet.safetensors`` of the build machine's shared weights, the fp16 copy
of DeepScale's Caffe SqueezeNet v1.1 (BSD-2-Clause) in nihui/ncnn-assets @
9489f876aebdaa846af3786f70ea5da6be198243 : models/squeezenet_v1.1.{param,bin}, decoded to
torchvision's key names. Tensors are copied unchanged (weights fp16, biases fp32); a source
whose sha256 is not the pinned one is refused.

    python zoo_core/scripts/port_squeezenet.py [--source ../shared/weights/squeezenet1_1_imagenet.safetensors]
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCE_SHA256 = "1695dcfb8540b63af02f1366543caf3159525f2f1c41e0d65be18c761ebaaaa4"
PROVENANCE = (
    "DeepScale SqueezeNet v1.1 Caffe model (BSD-2-Clause), fp16 copy from nihui/ncnn-assets@"
    "9489f876aebdaa846af3786f70ea5da6be198243:models/squeezenet_v1.1.bin"
)


def main() -> None:
    from safetensors.torch import load_file, save_file
    from zoo.backbones.squeezenet import WEIGHTS, SqueezeNet11
    from zoo.files import atomic_path
    from zoo.weights import apply_state

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = REPO.parent / "shared" / "weights" / "squeezenet1_1_imagenet.safetensors"
    parser.add_argument("--source", type=Path, default=default)
    args = parser.parse_args()
    if not args.source.is_file():
        raise SystemExit(f"{args.source} not found: pass --source")
    actual = hashlib.sha256(args.source.read_bytes()).hexdigest()
    if actual != SOURCE_SHA256:
        raise SystemExit(f"{args.source} has sha256 {actual}, not the pinned {SOURCE_SHA256}: refusing to port it")
    tensors = load_file(str(args.source))
    apply_state(SqueezeNet11(), tensors, str(args.source))  # every key and shape, or a loud failure
    target = REPO / "zoo_core" / "src" / "zoo" / "backbones" / WEIGHTS
    metadata = {"zoo.network": "squeezenet1_1", "zoo.source": f"{PROVENANCE} (sha256 {SOURCE_SHA256})",
                "zoo.input": "BGR, 0-255, minus mean (104, 117, 123)"}  # fmt: skip
    with atomic_path(target) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    print(f"wrote {target.relative_to(REPO)} sha256 {hashlib.sha256(target.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
