"""The plugin passes zoo.testing's conformance checks, as any third-party plugin must."""

from zoo.testing import check_plugin


def test_pix2pix_plugin_conforms():
    check_plugin("zoo_pix2pix")
