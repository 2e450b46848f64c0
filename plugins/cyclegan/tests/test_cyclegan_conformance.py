"""The plugin passes zoo.testing's conformance checks (both directions), as any third-party plugin must."""

from zoo.testing import check_plugin


def test_cyclegan_plugin_conforms():
    check_plugin("zoo_cyclegan")
