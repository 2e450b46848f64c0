"""The plugin passes zoo.testing's conformance checks, as any third-party plugin must."""

from zoo.testing import check_plugin


def test_style_transfer_plugin_conforms():
    check_plugin("zoo_style_transfer")


def test_stylize_is_the_plugins_function_after_every_module_is_imported():
    """``from zoo_style_transfer import stylize`` is ``zoo stylize`` in Python (the core names no plugin);
    a submodule named ``stylize`` would replace it once imported, as zoo/export.py would replace zoo.export."""
    import importlib
    import pkgutil

    import zoo_style_transfer

    for module in pkgutil.walk_packages(zoo_style_transfer.__path__, "zoo_style_transfer."):
        importlib.import_module(module.name)
    from zoo_style_transfer import stylize

    assert callable(stylize) and stylize.__module__ == "zoo_style_transfer.api"
