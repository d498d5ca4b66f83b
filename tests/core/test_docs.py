"""The documentation builds without a warning, and its runnable examples run.

Runnable-example convention: a ``.. testcode::`` block in ``docs/*.rst`` or ``docs/api/*.rst`` is
executed by this module; the blocks of one document run in order in one shared namespace, must
only use in-memory pieces (a ``Clock``, never the global reactor) and check their claims with
``assert``.  ``.. code-block:: python`` blocks are illustrations and are not run.  The store
guides (``docs/guides/``) need live servers and are run by their own stores' tests.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. testcode::")
_OPTION = re.compile(r"^[ \t]+:[\w-]+:")

Block = Tuple[int, str]  # (first line number of the code in the .rst file, code)


def runnable_blocks(text: str) -> List[Block]:
    """The ``.. testcode::`` blocks of a reST text, dedented, with their starting line numbers."""
    lines = text.splitlines()
    blocks: List[Block] = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        i += 1
        if match is None:
            continue
        directive_indent = len(match.group("indent").expandtabs())
        while i < len(lines) and _OPTION.match(lines[i]):
            i += 1
        body: List[str] = []
        start = i + 1
        while i < len(lines):
            line = lines[i]
            if line.strip() and len(line) - len(line.lstrip()) <= directive_indent:
                break
            body.append(line)
            i += 1
        while body and not body[0].strip():
            body.pop(0)
            start += 1
        code = textwrap.dedent("\n".join(body)).strip("\n")
        if code:
            blocks.append((start, code + "\n"))
    return blocks


def runnable_documents() -> List[Path]:
    return sorted(
        p for p in [*DOCS.glob("*.rst"), *DOCS.glob("api/*.rst")] if runnable_blocks(p.read_text())
    )


def run_document(path: Path) -> int:
    """Execute every testcode block of ``path`` in one namespace; return how many ran."""
    namespace: Dict[str, Any] = {"__name__": f"docs_{path.stem}"}
    blocks = runnable_blocks(path.read_text(encoding="utf-8"))
    for first_line, code in blocks:
        # Pad so that tracebacks point at the line in the .rst file.
        source = "\n" * (first_line - 1) + code
        exec(compile(source, str(path), "exec"), namespace)
    return len(blocks)


class TestExtraction:
    def test_blocks_options_and_end_of_block(self) -> None:
        text = (
            "Title\n\n"
            ".. testcode::\n"
            "   :hide:\n\n"
            "   x = 1\n\n"
            "   if x:\n"
            "       y = 2\n"
            "Next paragraph\n\n"
            ".. code-block:: python\n\n"
            "   not_run()\n\n"
            "* item\n\n"
            "  .. testcode::\n\n"
            "     z = 3\n"
        )
        blocks = runnable_blocks(text)
        assert blocks == [(6, "x = 1\n\nif x:\n    y = 2\n"), (20, "z = 3\n")]
        assert text.splitlines()[5] == "   x = 1"
        assert text.splitlines()[19] == "     z = 3"

    def test_concepts_page_has_runnable_examples(self) -> None:
        # Guards against the extractor silently finding nothing.
        assert len(runnable_blocks((DOCS / "concepts.rst").read_text())) >= 8


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("path", runnable_documents(), ids=lambda p: p.name)
def test_runnable_examples(path: Path) -> None:
    from twisted.internet import reactor

    before = len(reactor.getDelayedCalls())
    assert run_document(path) > 0
    # The examples promise to run on a Clock: they must leave nothing on the real reactor.
    assert len(reactor.getDelayedCalls()) == before


def test_failing_example_is_reported_with_its_rst_line(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text("T\n=\n\n.. testcode::\n\n   a = 1\n   assert a == 2\n")
    with pytest.raises(AssertionError) as info:
        run_document(page)
    assert info.traceback[-1].lineno + 1 == 7


def test_sphinx_build_has_no_warnings(tmp_path: Path) -> None:
    from sphinx.cmd.build import build_main

    warnings = tmp_path / "warnings.txt"
    args = [
        "-q",
        "-E",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        "-w",
        str(warnings),
        str(DOCS),
        str(tmp_path / "html"),
    ]
    code = build_main(args)
    problems = warnings.read_text() if warnings.exists() else ""
    assert code == 0, problems
    assert problems.strip() == ""
    assert (tmp_path / "html" / "concepts.html").exists()
    for module in ("errors", "pending", "scanner", "serializers"):
        html = (tmp_path / "html" / "api" / f"{module}.html").read_text(encoding="utf-8")
        assert f"txkv.{module}" in html
