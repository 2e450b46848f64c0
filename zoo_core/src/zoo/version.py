"""The core's version, in a leaf module so that the core's own modules never import the package ``zoo`` itself."""

__version__ = "0.1.0"
