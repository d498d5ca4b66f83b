"""Interfaces shared across stores."""

from __future__ import annotations

from zope.interface import Interface


class IKeyValueStore(Interface):
    """The small uniform key-value surface every store's adapter offers.

    Keys and values are bytes unless the adapter documents otherwise.  Every method returns a
    ``Deferred``.  Generic code (the CLI's ``copy``, the benchmarks) is written against this.
    """

    def get(key):  # type: ignore[no-untyped-def]
        """Deferred firing with the value, or None when the key is absent."""

    def put(key, value):  # type: ignore[no-untyped-def]
        """Deferred firing with None once the value is stored."""

    def delete(key):  # type: ignore[no-untyped-def]
        """Deferred firing with True if the key existed, False otherwise (None if unknown)."""

    def get_many(keys):  # type: ignore[no-untyped-def]
        """Deferred firing with a dict of the keys that exist."""

    def put_many(mapping):  # type: ignore[no-untyped-def]
        """Deferred firing with None once every pair is stored."""

    def scan(start=None, stop=None, prefix=None, page_size=None):  # type: ignore[no-untyped-def]
        """A :class:`txkv.scanner.Scanner` of ``(key, value)`` pairs in the store's key order."""

    def close():  # type: ignore[no-untyped-def]
        """Deferred firing once the adapter's connections are closed."""
