"""Sphinx configuration for the txkv documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` from the project root.
No extension here needs the network: there is deliberately no intersphinx mapping.
"""

from __future__ import annotations

import os
import sys

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
sys.path.insert(0, _ROOT)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

import txkv  # noqa: E402

project = "txkv"
author = "txkv contributors"
copyright = "txkv contributors"
release = txkv.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",  # for the ``testcode`` directive; tests/core/test_docs.py runs the blocks
    "sphinx.ext.viewcode",
    "txkv_interfaces",  # docs/_ext: zope.interface interfaces, which autodoc skips
]

root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
nitpicky = False

# API reference: reST field lists (``:param x:``) straight from the docstrings.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}
autodoc_inherit_docstrings = True

html_theme = "alabaster"
html_title = f"txkv {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Twisted clients and embedded servers for key-value stores",
    "fixed_sidebar": True,
}


def _store_guides() -> list[str]:
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guides")
    return [n for n in os.listdir(here) if n.endswith(".rst") and n != "index.rst"]


def _no_guides_yet(app: object, docname: str, source: list[str]) -> None:
    """Until the first store guide exists, turn the guides' (empty) toctree glob into a note.

    An empty glob is a build warning, and the build runs with ``-W``; this does nothing once a
    guide is there.
    """
    if docname == "guides/index" and not _store_guides():
        text = source[0].replace(".. toctree::", ".. (no store guide yet) toctree::", 1)
        source[0] = text + "\nNo store guide has been written yet.\n"


def setup(app: object) -> None:
    app.connect("source-read", _no_guides_yet)  # type: ignore[attr-defined]
