"""A Sphinx directive documenting ``zope.interface`` interfaces, which autodoc skips.

``.. autointerfaces:: txkv.interfaces`` documents every interface defined in that module, in
source order: the interface's docstring, then each method (with its signature) and attribute.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Dict, List

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles
from zope.interface.interface import Attribute, InterfaceClass, Method


def _indented(text: str, prefix: str) -> List[str]:
    return [prefix + line if line else "" for line in inspect.cleandoc(text or "").splitlines()]


def interface_lines(iface: InterfaceClass) -> List[str]:
    """reST for one interface: a ``py:class`` with its methods and attributes nested inside."""
    lines = [f".. py:class:: {iface.__name__}", f"   :module: {iface.__module__}", ""]
    bases = [
        f":class:`{b.__module__}.{b.__name__}`"
        for b in iface.__bases__
        if isinstance(b, InterfaceClass)
    ]
    if bases:
        lines += [f"   Extends {', '.join(bases)}.", ""]
    lines += _indented(iface.__doc__ or "", "   ") + [""]
    for name in iface.names(all=False):
        member = iface[name]
        if isinstance(member, Method):
            lines.append(f"   .. py:method:: {name}{member.getSignatureString()}")
        elif isinstance(member, Attribute):
            lines.append(f"   .. py:attribute:: {name}")
        else:  # pragma: no cover - zope only has the two kinds
            continue
        lines += [""] + _indented(member.getDoc(), "      ") + [""]
    return lines


class AutoInterfaces(SphinxDirective):
    """Document the interfaces a module defines."""

    required_arguments = 1
    has_content = False

    def run(self) -> List[nodes.Node]:
        module = importlib.import_module(self.arguments[0])
        lines: List[str] = []
        for value in vars(module).values():
            if isinstance(value, InterfaceClass) and value.__module__ == module.__name__:
                lines += interface_lines(value)
        container = nodes.section()
        source = self.get_source_info()[0]
        nested_parse_with_titles(
            self.state, StringList(lines, source=source), container, self.content_offset
        )
        return list(container.children)


def setup(app: Sphinx) -> Dict[str, Any]:
    app.add_directive("autointerfaces", AutoInterfaces)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
