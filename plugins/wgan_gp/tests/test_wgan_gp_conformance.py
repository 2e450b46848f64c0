"""The plugin passes zoo.testing's conformance checks, as any third-party plugin must."""

import pytest
from zoo.testing import check_plugin


@pytest.mark.slow
def test_wgan_gp_plugin_conforms():
    check_plugin("zoo_wgan_gp")
