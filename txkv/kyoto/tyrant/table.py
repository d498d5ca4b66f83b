"""Table-database queries (misc ``search``), server side.

A search is a list of NUL-separated commands, as Tokyo Tyrant's ``tcrdbqrysearch`` sends them:
``addcond\\0col\\0op\\0expr``, ``setorder\\0col\\0type``, ``setlimit\\0max\\0skip``, and at most
one action: ``get[\\0col...]`` (rows), ``out`` (delete), ``count``.  Without an action the
result is the primary keys.  The column ``""`` is the primary key.  Queries scan the records;
indexes are accepted by ``setindex`` but never needed.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from txkv.kyoto.tyrant import codec

__all__ = ["run_search", "SearchResult", "Op", "Order"]


class Op:
    """Condition operators (``TDBQC*``)."""

    STR_EQ = 0
    STR_CONTAINS = 1
    STR_STARTSWITH = 2
    STR_ENDSWITH = 3
    STR_ALL = 4
    STR_ANY = 5
    STR_ANY_EXACT = 6
    STR_REGEX = 7
    NUM_EQ = 8
    NUM_GT = 9
    NUM_GE = 10
    NUM_LT = 11
    NUM_LE = 12
    NUM_BETWEEN = 13
    NUM_ANY_EXACT = 14
    FTS_PHRASE = 15
    FTS_ALL = 16
    FTS_ANY = 17
    FTS_EXPRESSION = 18
    NEGATE = 1 << 24
    NO_INDEX = 1 << 25


class Order:
    """Result orders (``TDBQO*``)."""

    STR_ASC = 0
    STR_DESC = 1
    NUM_ASC = 2
    NUM_DESC = 3


class SearchResult(NamedTuple):
    """``items``: the reply elements; ``keys``: matching primary keys; ``remove``: delete them."""

    items: List[bytes]
    keys: List[bytes]
    remove: bool


_NUMBER = re.compile(rb"\s*[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)")
_TOKENS = re.compile(rb"[ ,]+")
_Row = Tuple[bytes, Dict[bytes, bytes]]


def _atof(text: bytes) -> float:
    """Leading number of ``text`` (0 when none), like C's ``atof``."""
    match = _NUMBER.match(text)
    return float(match.group()) if match else 0.0


def _tokens(text: bytes) -> List[bytes]:
    return [t for t in _TOKENS.split(text) if t]


def _matcher(op: int, expr: bytes) -> Optional[Callable[[bytes], bool]]:
    if op == Op.STR_EQ:
        return lambda v: v == expr
    if op == Op.STR_CONTAINS:
        return lambda v: expr in v
    if op == Op.STR_STARTSWITH:
        return lambda v: v.startswith(expr)
    if op == Op.STR_ENDSWITH:
        return lambda v: v.endswith(expr)
    if op == Op.STR_ALL:
        wanted = _tokens(expr)
        return lambda v: set(wanted) <= set(_tokens(v))
    if op == Op.STR_ANY:
        wanted_any = set(_tokens(expr))
        return lambda v: bool(wanted_any & set(_tokens(v)))
    if op == Op.STR_ANY_EXACT:
        choices = set(_tokens(expr))
        return lambda v: v in choices
    if op == Op.STR_REGEX:
        try:
            regex = re.compile(expr)
        except re.error:
            return None
        return lambda v: regex.search(v) is not None
    if Op.NUM_EQ <= op <= Op.NUM_LE:
        target = _atof(expr)
        compare = {Op.NUM_EQ: lambda a: a == target, Op.NUM_GT: lambda a: a > target,
                   Op.NUM_GE: lambda a: a >= target, Op.NUM_LT: lambda a: a < target,
                   Op.NUM_LE: lambda a: a <= target}[op]
        return lambda v: compare(_atof(v))
    if op == Op.NUM_BETWEEN:
        bounds = [_atof(t) for t in _tokens(expr)[:2]] or [0.0]
        low, high = min(bounds), max(bounds)
        return lambda v: low <= _atof(v) <= high
    if op == Op.NUM_ANY_EXACT:
        numbers = {_atof(t) for t in _tokens(expr)}
        return lambda v: _atof(v) in numbers
    if op == Op.FTS_PHRASE:
        phrase = expr.lower()
        return lambda v: phrase in v.lower()
    if op in (Op.FTS_ALL, Op.FTS_EXPRESSION):
        words = [w.lower() for w in _tokens(expr) if w not in (b"&&", b"||", b"!")]
        return lambda v: all(w in v.lower() for w in words)
    if op == Op.FTS_ANY:
        any_words = [w.lower() for w in _tokens(expr)]
        return lambda v: any(w in v.lower() for w in any_words)
    return None


class _Condition(NamedTuple):
    column: bytes
    match: Callable[[bytes], bool]
    negate: bool

    def test(self, key: bytes, columns: Dict[bytes, bytes]) -> bool:
        value = key if self.column == b"" else columns.get(self.column)
        if value is None:
            return self.negate
        return self.match(value) != self.negate


def run_search(entries: Iterable[Tuple[bytes, bytes]], args: Sequence[bytes]
               ) -> Optional[SearchResult]:
    """Run a search over ``(primary key, record)`` pairs; None when a command is invalid."""
    conditions: List[_Condition] = []
    orders: List[Tuple[bytes, int]] = []
    limit, skip = -1, 0
    action = b""
    get_columns: List[bytes] = []
    try:
        for arg in args:
            parts = arg.split(b"\0")
            name = parts[0]
            if name == b"addcond" and len(parts) >= 4:
                op = int(parts[2])
                match = _matcher(op & 0xFFFFFF, parts[3])
                if match is None:
                    return None
                conditions.append(_Condition(parts[1], match, bool(op & Op.NEGATE)))
            elif name == b"setorder" and len(parts) >= 3:
                orders.append((parts[1], int(parts[2])))
            elif name == b"setlimit" and len(parts) >= 2:
                limit = int(parts[1])
                skip = int(parts[2]) if len(parts) > 2 else 0
            elif name in (b"get", b"out", b"count"):
                action = name
                get_columns = [c for c in parts[1:] if c] if name == b"get" else []
            elif name in (b"hint", b"next", b"mstype"):
                continue
            else:
                return None
    except ValueError:
        return None
    rows: List[_Row] = []
    for key, record in entries:
        columns = codec.decode_table(record)
        if all(c.test(key, columns) for c in conditions):
            rows.append((key, columns))
    for column, kind in reversed(orders):
        rows.sort(key=_sort_key(column, kind), reverse=kind in (Order.STR_DESC, Order.NUM_DESC))
    rows = rows[max(skip, 0):]
    if 0 <= limit < len(rows):
        rows = rows[:limit]
    keys = [key for key, _columns in rows]
    if action == b"count":
        return SearchResult([str(len(rows)).encode()], keys, False)
    if action == b"out":
        return SearchResult([], keys, True)
    if action == b"get":
        items = []
        for key, columns in rows:
            chosen = [(c, columns[c]) for c in get_columns if c in columns] if get_columns \
                else list(columns.items())
            items.append(b"\0".join(b"%s\0%s" % pair for pair in [(b"", key)] + chosen))
        return SearchResult(items, keys, False)
    return SearchResult(keys, keys, False)


def _sort_key(column: bytes, kind: int) -> Callable[[_Row], Any]:
    numeric = kind in (Order.NUM_ASC, Order.NUM_DESC)

    def key(row: _Row) -> Any:
        value = row[0] if column == b"" else row[1].get(column, b"")
        return _atof(value) if numeric else value

    return key
