"""ImageNet feature networks bundled with the core: they work offline, for metrics and perceptual losses."""
