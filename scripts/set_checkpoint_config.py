"""Give a bundled checkpoint's weights the config its card states, and the card the file's new sha256 and size.

    python scripts/set_checkpoint_config.py stylegan-lite-emoji64

Weights carry their architecture config in their safetensors metadata, and tests/test_checkpoints.py holds
every bundled file to its card. When a card's config gains a key that changes how the weights run but not
the weights themselves (``float32_layers``, the StyleGAN layers kept in float32 under bf16), this rewrites
the file's metadata to match the card (tensors and other metadata byte for byte) and updates the card's
``sha256`` and ``size``. Edit the card's ``config`` first; a config the family cannot build is refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from card_fields import replace_field

CARDS = Path(__file__).resolve().parent.parent / "cards"


def main() -> None:
    import zoo
    from safetensors.torch import load_file
    from zoo.files import write_atomically
    from zoo.registry import get_registry
    from zoo.specs import bundled_path
    from zoo.weights import META_CONFIG, META_FAMILY, read_config, read_metadata, save_weights

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a bundled checkpoint, e.g. stylegan-lite-emoji64")
    name = parser.parse_args().name
    registry = get_registry()
    spec = registry.checkpoints[name]
    path = bundled_path(spec)
    if path is None:
        raise SystemExit(f"{name} has no bundled weights file")
    zoo.build(spec.family, with_discriminator=False, **spec.config)  # the zoo's own check: unknown keys, bad values
    family, config = read_config(path)
    if family == spec.family and config == dict(spec.config):
        print(f"{path.name} already carries the card's config: nothing to do")
        return
    metadata = {k: v for k, v in read_metadata(path).items() if k not in (META_CONFIG, META_FAMILY)}
    sha256 = save_weights(path, load_file(path), family=spec.family, config=dict(spec.config), metadata=metadata)
    card = CARDS / f"{name}.md"
    text = replace_field(card.read_text(encoding="utf-8"), "sha256", f'"{sha256}"')
    text = replace_field(text, "size", str(path.stat().st_size))
    write_atomically(card, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    print(f"{path}: config {dict(spec.config)}; sha256 {sha256}, {path.stat().st_size} bytes (card updated)")


if __name__ == "__main__":
    main()
