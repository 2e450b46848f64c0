"""Evaluation metrics (FID, KID, IS, precision/recall) over pluggable feature extractors.

Importing this package is cheap: the networks and torch are imported when a metric or an
extractor is first built. Metrics register through ``zoo.default_plugins.metrics``.
"""

from __future__ import annotations

from zoo.metrics.extractors import ExtractorSpec, extractor_names, extractor_spec, metric_label, register_extractor

__all__ = ["ExtractorSpec", "extractor_names", "extractor_spec", "metric_label", "register_extractor"]
