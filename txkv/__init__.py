"""txkv: Twisted clients for key-value stores, each speaking the store's own wire format."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
