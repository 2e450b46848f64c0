"""Plugins that ship with the core and register through the same hooks as third parties."""

DEFAULT_PLUGINS = ("zoo.default_plugins.losses", "zoo.default_plugins.metrics")
