"""A tokenizer for H2-dialect SQL that keeps each token's leading whitespace, so a statement
can be edited token by token and printed back with its original layout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence

from .errors import SqlError

__all__ = ["Token", "tokenize", "render", "split_statements", "quote_ident"]

_TOKEN = re.compile(
    r"""
    (?P<space>(?:\s+|--[^\n]*|/\*.*?\*/)+)
  | (?P<string>(?:[NnXx])?'(?:[^']|'')*')
  | (?P<qident>"(?:[^"]|"")*")
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<param>\?\d*|:[A-Za-z_]\w*)
  | (?P<ident>[A-Za-z_$][\w$]*)
  | (?P<op><>|<=|>=|!=|\|\||::|[-+*/%=<>(),.;~&|^!\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class Token:
    """One token: ``kind`` is ``ident`` (unquoted word), ``qident`` (quoted identifier),
    ``string``, ``number``, ``param`` or ``op``; ``text`` is what is printed, ``space`` the
    whitespace (and comments) before it."""

    kind: str
    text: str
    space: str = ""

    @property
    def upper(self) -> str:
        """The keyword form of an unquoted word (its text upper-cased)."""
        return self.text.upper() if self.kind == "ident" else ""

    @property
    def name(self) -> Optional[str]:
        """The identifier this token names, H2 style: unquoted words upper-cased, quoted ones
        as written; None for other tokens."""
        if self.kind == "ident":
            return self.text.upper()
        if self.kind == "qident":
            return self.text[1:-1].replace('""', '"')
        return None

    def is_word(self, *words: str) -> bool:
        """True for an unquoted word among ``words`` (upper-case)."""
        return self.kind == "ident" and self.text.upper() in words

    def is_op(self, *ops: str) -> bool:
        """True for an operator token among ``ops``."""
        return self.kind == "op" and self.text in ops


def tokenize(sql: str) -> List[Token]:
    """The tokens of ``sql``; SqlError on an unterminated string, identifier or comment."""
    tokens: List[Token] = []
    position, space = 0, ""
    length = len(sql)
    while position < length:
        match = _TOKEN.match(sql, position)
        if match is None:
            raise SqlError(
                f'Failed to parse query. Syntax error in SQL statement "{sql}"; '
                f"unexpected character at {position} [42000-197]", sql_state="42000")
        kind = match.lastgroup or "op"
        text = match.group()
        position = match.end()
        if kind == "space":
            space += text
            continue
        tokens.append(Token(kind, text, space))
        space = ""
    return tokens


def render(tokens: Sequence[Token]) -> str:
    """The SQL text of ``tokens`` (leading whitespace of the first one dropped)."""
    text = "".join(token.space + token.text for token in tokens)
    return text.lstrip()


def split_statements(tokens: List[Token]) -> List[List[Token]]:
    """``tokens`` cut at top-level semicolons; empty statements are dropped."""
    statements: List[List[Token]] = []
    current: List[Token] = []
    for token in tokens:
        if token.is_op(";"):
            if current:
                statements.append(current)
            current = []
        else:
            current.append(token)
    if current:
        statements.append(current)
    return statements


def quote_ident(name: str) -> str:
    """``name`` as a quoted identifier."""
    return '"' + name.replace('"', '""') + '"'
