"""Rewrites an H2 SELECT or DML statement into sqlite's dialect.

What changes: table names become the engine's sqlite tables (``City`` -> ``"PUBLIC.CITY" AS
"CITY"``), ``MERGE INTO`` becomes ``INSERT OR REPLACE INTO``, ``CAST`` target types become the
engine's declared types, ``_KEY``/``_VAL`` become key/value columns (or a row id the result
turns into a key/value object).  Unquoted identifiers need no change: sqlite ignores their case
and the upper-cased names the engine gives tables and columns match H2's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from .catalog import TableInfo
from .ddl import syntax_error
from .errors import SqlError
from .lexer import Token, quote_ident, render
from .types import SqlType, parse_type_name

__all__ = ["Translation", "translate", "select_items", "table_not_found"]

#: words that end a FROM item (so they are not taken for an alias)
_NOT_ALIAS = {
    "WHERE", "ON", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "OUTER",
    "GROUP", "ORDER", "LIMIT", "OFFSET", "HAVING", "UNION", "EXCEPT", "MINUS", "INTERSECT",
    "SET", "VALUES", "USING", "WINDOW", "FETCH", "SELECT", "DEFAULT", "KEY", "USE", "FOR",
}
#: words that end a FROM clause
_END_FROM = {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "EXCEPT", "MINUS",
             "INTERSECT", "FETCH", "WINDOW", "SET", "VALUES", "RETURNING"}

Resolver = Callable[[Optional[str], str], Optional[TableInfo]]


def table_not_found(name: str, sql: str) -> SqlError:
    return SqlError(f'Failed to parse query. Table "{name}" not found; SQL statement:\n{sql} '
                    f"[42102-197]", sql_state="42S02")


@dataclass
class _TableRef:
    start: int  # index of the first name token
    end: int  # index after the name tokens
    table: TableInfo
    alias: Optional[str]  # the alias the statement gave, if any

    @property
    def visible_name(self) -> str:
        return self.alias or self.table.table


@dataclass
class Translation:
    """A statement in sqlite's dialect and what the engine must know to run it."""

    sql: str
    #: ``SELECT``, ``INSERT``, ``MERGE``, ``UPDATE`` or ``DELETE``
    verb: str
    tokens: List[Token]
    #: the table written by a DML statement
    target: Optional[TableInfo] = None
    #: ``?`` argument index -> (column type, column name) it is written to
    arg_types: Dict[int, Tuple[SqlType, str]] = field(default_factory=dict)
    #: result column name -> (table, "key" | "value") for ``_KEY``/``_VAL`` objects
    objects: Dict[str, Tuple[TableInfo, str]] = field(default_factory=dict)

    @property
    def is_query(self) -> bool:
        return self.verb == "SELECT"


def translate(tokens: List[Token], sql: str, resolve: Resolver) -> Translation:
    """Translate one SELECT/INSERT/MERGE/UPDATE/DELETE statement (tokens without ``;``)."""
    first = tokens[0]
    if first.is_word("SELECT", "WITH", "VALUES") or first.is_op("("):
        verb = "SELECT"
    elif first.is_word("INSERT", "MERGE", "UPDATE", "DELETE"):
        verb = first.upper
    else:
        raise syntax_error(sql)
    # unquoted identifiers are upper-cased, as H2 does (result column names follow)
    tokens = [Token(t.kind, t.text.upper() if t.kind == "ident" else t.text, t.space)
              for t in tokens]
    if verb == "MERGE":
        tokens[0].text = "INSERT OR REPLACE"
        _drop_merge_key(tokens, sql)
    refs = _find_table_refs(tokens, sql, resolve, verb)
    translation = Translation("", verb, tokens)
    if verb != "SELECT":
        if not refs:
            raise syntax_error(sql)
        translation.target = refs[0].table
    params = _param_indexes(tokens)
    if verb in ("INSERT", "MERGE"):
        _insert_arg_types(tokens, refs[0], params, translation, sql)
    elif verb == "UPDATE":
        _update_arg_types(tokens, refs[0], params, translation)
    out = _rewrite(tokens, refs, translation)
    translation.tokens = out
    translation.sql = render(out)
    return translation


def _drop_merge_key(tokens: List[Token], sql: str) -> None:
    """Remove H2's ``KEY (columns)`` clause of MERGE (the primary key is always used)."""
    for index, token in enumerate(tokens):
        if token.is_word("KEY") and index + 1 < len(tokens) and tokens[index + 1].is_op("("):
            close = _matching(tokens, index + 1, sql)
            del tokens[index:close + 1]
            return


def _matching(tokens: List[Token], open_index: int, sql: str) -> int:
    depth = 0
    for index in range(open_index, len(tokens)):
        if tokens[index].is_op("("):
            depth += 1
        elif tokens[index].is_op(")"):
            depth -= 1
            if depth == 0:
                return index
    raise syntax_error(sql)


def _cte_names(tokens: List[Token]) -> set[str]:
    names: set[str] = set()
    if not tokens or not tokens[0].is_word("WITH"):
        return names
    depth = 0
    for index, token in enumerate(tokens):
        if token.is_op("("):
            depth += 1
        elif token.is_op(")"):
            depth -= 1
        elif depth == 0 and token.name is not None and index > 0 and (
                tokens[index - 1].is_word("WITH", "RECURSIVE") or tokens[index - 1].is_op(",")):
            names.add(token.name)
    return names


@dataclass
class _Frame:
    select_seen: bool = False
    in_from: bool = False


def _find_table_refs(tokens: List[Token], sql: str, resolve: Resolver,
                     verb: str) -> List[_TableRef]:
    ctes = _cte_names(tokens)
    refs: List[_TableRef] = []
    frames = [_Frame(select_seen=verb == "DELETE")]
    expect_table = verb == "UPDATE"
    index = 1 if verb == "UPDATE" else 0
    while index < len(tokens):
        token = tokens[index]
        frame = frames[-1]
        if expect_table:
            expect_table = False
            if token.name is not None and token.kind != "param":
                index = _take_table_ref(tokens, index, sql, resolve, ctes, refs)
                continue
        if token.is_op("("):
            frames.append(_Frame())
        elif token.is_op(")"):
            if len(frames) > 1:
                frames.pop()
        elif token.is_op(",") and frame.in_from:
            expect_table = True
        elif token.kind == "ident":
            word = token.upper
            if word == "SELECT":
                frame.select_seen, frame.in_from = True, False
            elif word == "FROM" and frame.select_seen:
                frame.in_from, expect_table = True, True
            elif word == "JOIN" and frame.in_from:
                expect_table = True
            elif word == "INTO" and len(frames) == 1 and verb in ("INSERT", "MERGE") and not refs:
                expect_table = True
            elif word in _END_FROM:
                frame.in_from = False
        index += 1
    return refs


def _take_table_ref(tokens: List[Token], index: int, sql: str, resolve: Resolver,
                    ctes: set[str], refs: List[_TableRef]) -> int:
    start = index
    schema: Optional[str] = None
    name = tokens[index].name or ""
    index += 1
    if index + 1 < len(tokens) and tokens[index].is_op(".") and tokens[index + 1].name:
        schema, name = name, tokens[index + 1].name or ""
        index += 2
    end = index
    if schema is None and name in ctes:
        return end
    table = resolve(schema, name)
    if table is None:
        if schema is None and name == "DUAL":
            tokens[start].text = '(SELECT 1) AS "DUAL"'
            tokens[start].kind = "op"
            return end
        raise table_not_found(name, sql)
    alias: Optional[str] = None
    if index < len(tokens) and tokens[index].is_word("AS"):
        alias = tokens[index + 1].name if index + 1 < len(tokens) else None
    elif index < len(tokens) and tokens[index].name is not None and (
            tokens[index].kind == "qident" or tokens[index].upper not in _NOT_ALIAS):
        alias = tokens[index].name
    refs.append(_TableRef(start, end, table, alias))
    return end


def _param_indexes(tokens: List[Token]) -> Dict[int, int]:
    """Token position -> 0-based argument index, for plain ``?`` parameters."""
    found: Dict[int, int] = {}
    for position, token in enumerate(tokens):
        if token.kind == "param" and token.text == "?":
            found[position] = len(found)
    return found


def _split_top(tokens: List[Token], start: int, stop: int) -> List[Tuple[int, int]]:
    """``(start, stop)`` spans of the comma-separated items of ``tokens[start:stop]``."""
    spans: List[Tuple[int, int]] = []
    depth, item_start = 0, start
    for position in range(start, stop):
        token = tokens[position]
        if token.is_op("("):
            depth += 1
        elif token.is_op(")"):
            depth -= 1
        elif token.is_op(",") and depth == 0:
            spans.append((item_start, position))
            item_start = position + 1
    spans.append((item_start, stop))
    return spans


def _insert_arg_types(tokens: List[Token], ref: _TableRef, params: Dict[int, int],
                      translation: Translation, sql: str) -> None:
    table = ref.table
    position = ref.end
    if position < len(tokens) and tokens[position].is_word("AS"):
        position += 2
    columns = [column.name for column in table.columns]
    if position < len(tokens) and tokens[position].is_op("("):
        close = _matching(tokens, position, sql)
        columns = []
        for start, stop in _split_top(tokens, position + 1, close):
            if stop - start != 1 or tokens[start].name is None:
                raise syntax_error(sql)
            name = tokens[start].name or ""
            if table.column(name) is None:
                raise column_not_found(name, sql)
            columns.append(name)
        position = close + 1
    if position >= len(tokens) or not tokens[position].is_word("VALUES"):
        return
    position += 1
    while position < len(tokens) and tokens[position].is_op("("):
        close = _matching(tokens, position, sql)
        spans = _split_top(tokens, position + 1, close)
        if len(spans) != len(columns):
            raise SqlError(f"Column count does not match; SQL statement:\n{sql} [21002-197]",
                           sql_state="21S01")
        for (start, stop), name in zip(spans, columns):
            if stop - start == 1 and start in params:
                column = table.column(name)
                if column is not None:
                    translation.arg_types[params[start]] = (column.sql_type, name)
        position = close + 1
        if position < len(tokens) and tokens[position].is_op(","):
            position += 1


def _update_arg_types(tokens: List[Token], ref: _TableRef, params: Dict[int, int],
                      translation: Translation) -> None:
    table = ref.table
    try:
        set_at = next(i for i in range(ref.end, len(tokens)) if tokens[i].is_word("SET"))
    except StopIteration:
        return
    stop = next((i for i in range(set_at, len(tokens)) if tokens[i].is_word("WHERE")),
                len(tokens))
    for start, end in _split_top(tokens, set_at + 1, stop):
        name_at = start
        if end - start >= 3 and tokens[start + 1].is_op("."):
            name_at = start + 2
        if name_at + 1 >= end or not tokens[name_at + 1].is_op("="):
            continue
        column = table.column(tokens[name_at].name or "")
        if column is None:
            continue
        if column.is_key:
            raise SqlError("SQL UPDATE can't modify key or its fields directly",
                           sql_state="0A000")
        if end - (name_at + 2) == 1 and (name_at + 2) in params:
            translation.arg_types[params[name_at + 2]] = (column.sql_type, column.name)


def column_not_found(name: str, sql: str) -> SqlError:
    return SqlError(f'Failed to parse query. Column "{name}" not found; SQL statement:\n{sql} '
                    f"[42122-197]", sql_state="42S22")


#: the key/value columns of tables made from a QueryEntity without key/value fields
_HIDDEN = ("_KEY", "_VAL")


def _visible_columns(table: TableInfo) -> Optional[List[str]]:
    """The columns ``*`` shows when the table has hidden ``_KEY``/``_VAL`` columns (Ignite
    leaves those out), or None when ``*`` needs no change."""
    names = [column.name for column in table.columns]
    visible = [name for name in names if name not in _HIDDEN]
    if len(visible) == len(names) or not visible:
        return None
    return visible


def _depths(tokens: List[Token]) -> List[int]:
    """The parenthesis depth of every token."""
    depths, depth = [], 0
    for token in tokens:
        if token.is_op(")"):
            depth -= 1
        depths.append(depth)
        if token.is_op("("):
            depth += 1
    return depths


def _is_item_start(tokens: List[Token], position: int) -> bool:
    return position > 0 and (tokens[position - 1].is_word("SELECT", "DISTINCT", "ALL")
                             or tokens[position - 1].is_op(","))


def _is_item_end(tokens: List[Token], position: int) -> bool:
    return position >= len(tokens) or tokens[position].is_op(",") \
        or tokens[position].is_word("FROM")


def _from_refs(tokens: List[Token], depths: List[int], position: int,
               refs: List[_TableRef]) -> Optional[List[_TableRef]]:
    """The tables of the FROM clause of the SELECT whose list holds ``position``, or None
    when that clause has something else (a subquery, NATURAL/USING joins)."""
    depth = depths[position]
    start = next((i for i in range(position, len(tokens))
                  if depths[i] == depth and tokens[i].is_word("FROM")), None)
    if start is None:
        return None
    stop = len(tokens)
    for i in range(start + 1, len(tokens)):
        if depths[i] < depth or (depths[i] == depth and tokens[i].upper in _END_FROM):
            stop = i
            break
        if tokens[i].is_word("NATURAL", "USING", "SELECT", "VALUES"):
            return None
    return [ref for ref in refs if start < ref.start < stop and depths[ref.start] == depth]


def _expand_stars(tokens: List[Token], refs: List[_TableRef]
                  ) -> Dict[int, Tuple[int, List[Token]]]:
    """``*`` / ``alias.*`` select items over tables with hidden columns: start position ->
    (end position, the explicit column list replacing them)."""
    if not any(_visible_columns(ref.table) is not None for ref in refs):
        return {}
    depths = _depths(tokens)
    found: Dict[int, Tuple[int, List[Token]]] = {}
    for position, token in enumerate(tokens):
        if not token.is_op("*") or not _is_item_end(tokens, position + 1):
            continue
        if position >= 2 and tokens[position - 1].is_op(".") \
                and tokens[position - 2].name is not None:
            start = position - 2
            qualifier = tokens[start].name
            tables = [ref for ref in refs if ref.visible_name == qualifier][:1]
        else:
            start = position
            tables = _from_refs(tokens, depths, position, refs) or []
        if not tables or not _is_item_start(tokens, start):
            continue
        columns: List[Token] = []
        for ref in tables:
            names = _visible_columns(ref.table) or [c.name for c in ref.table.columns]
            prefix = quote_ident(ref.visible_name) + "."
            for name in names:
                if columns:
                    columns.append(Token("op", ","))
                columns.append(Token("ident", prefix + quote_ident(name), " "))
        columns[0].space = tokens[start].space
        found[start] = (position + 1, columns)
    return found


def _rewrite(tokens: List[Token], refs: List[_TableRef], translation: Translation) -> List[Token]:
    by_start = {ref.start: ref for ref in refs}
    stars = _expand_stars(tokens, refs)
    out: List[Token] = []
    position = 0
    cast_depths: List[int] = []
    depth = 0
    while position < len(tokens):
        token = tokens[position]
        star = stars.get(position)
        if star is not None:
            out.extend(star[1])
            position = star[0]
            continue
        ref = by_start.get(position)
        if ref is not None:
            text = ref.table.quoted
            if ref.alias is None:
                text += " AS " + quote_ident(ref.table.table)
            out.append(Token("ident", text, token.space))
            position = ref.end
            continue
        if token.is_op("("):
            depth += 1
            if out and out[-1].is_word("CAST"):
                cast_depths.append(depth)
        elif token.is_op(")"):
            if cast_depths and cast_depths[-1] == depth:
                cast_depths.pop()
            depth -= 1
        elif token.is_word("AS") and cast_depths and cast_depths[-1] == depth:
            out.append(token)
            position = _rewrite_cast_type(tokens, position + 1, out)
            continue
        elif token.kind == "ident" and token.upper in ("_KEY", "_VAL"):
            position = _rewrite_hidden(tokens, position, refs, out, translation)
            continue
        out.append(token)
        position += 1
    return out


def _rewrite_cast_type(tokens: List[Token], position: int, out: List[Token]) -> int:
    if position >= len(tokens) or tokens[position].kind != "ident":
        return position
    first = tokens[position]
    type_name = first.text
    position += 1
    if position < len(tokens) and tokens[position].is_word("PRECISION", "VARYING"):
        type_name += " " + tokens[position].text
        position += 1
    precision = scale = -1
    if position + 2 < len(tokens) and tokens[position].is_op("(") \
            and tokens[position + 1].kind == "number":
        precision = int(tokens[position + 1].text)
        position += 2
        if tokens[position].is_op(",") and position + 1 < len(tokens):
            scale = int(tokens[position + 1].text)
            position += 2
        position += 1  # the closing parenthesis
    out.append(Token("ident", parse_type_name(type_name, precision, scale).decltype,
                     first.space))
    return position


def _rewrite_hidden(tokens: List[Token], position: int, refs: List[_TableRef],
                    out: List[Token], translation: Translation) -> int:
    """``[alias.]_KEY`` / ``_VAL``: the key/value column, or a row id turned into an object."""
    token = tokens[position]
    kind = "key" if token.upper == "_KEY" else "value"
    qualifier: Optional[str] = None
    if len(out) >= 2 and out[-1].is_op(".") and out[-2].name is not None:
        qualifier = out[-2].name
        space = out[-2].space
        del out[-2:]
    else:
        space = token.space
    ref = next((r for r in refs if qualifier is not None and r.visible_name == qualifier),
               refs[0] if refs else None)
    if ref is None:
        out.append(token)
        return position + 1
    table = ref.table
    scalar = table.scalar_key_column if kind == "key" else table.scalar_value_column
    # unqualified with a single table: also valid in an INSERT column list
    prefix = "" if qualifier is None and len(refs) == 1 else quote_ident(ref.visible_name) + "."
    column = quote_ident(scalar) if scalar is not None else "ROWID"
    previous = out[-1] if out else None
    in_select_list = previous is not None and (
        previous.is_word("SELECT", "DISTINCT", "ALL") or previous.is_op(","))
    out.append(Token("ident", prefix + column, space))
    following = tokens[position + 1] if position + 1 < len(tokens) else None
    name = token.upper
    if following is not None and following.is_word("AS") and position + 2 < len(tokens):
        name = tokens[position + 2].name or name
    elif in_select_list and (following is None or following.is_op(",")
                             or following.is_word("FROM")):
        out.append(Token("ident", "AS " + quote_ident(name), " "))  # keep the name _KEY/_VAL
    if scalar is None:
        translation.objects[name] = (table, kind)
    return position + 1


def select_items(tokens: List[Token]) -> Optional[List[Tuple[int, int]]]:
    """The ``(start, stop)`` token spans of the expressions (aliases left out) of the outermost
    select list, or None when there is none."""
    depth = 0
    start = None
    for position, token in enumerate(tokens):
        if token.is_op("("):
            depth += 1
        elif token.is_op(")"):
            depth -= 1
        elif depth == 0 and token.is_word("SELECT"):
            start = position + 1
            break
    if start is None:
        return None
    while start < len(tokens) and tokens[start].is_word("DISTINCT", "ALL"):
        start += 1
    stop = len(tokens)
    depth = 0
    for position in range(start, len(tokens)):
        token = tokens[position]
        if token.is_op("("):
            depth += 1
        elif token.is_op(")"):
            depth -= 1
        elif depth == 0 and token.is_word("FROM", "UNION", "EXCEPT", "INTERSECT", "MINUS",
                                          "ORDER", "LIMIT", "WHERE", "GROUP"):
            stop = position
            break
    spans = []
    for item_start, item_stop in _split_top(tokens, start, stop):
        item = tokens[item_start:item_stop]
        if len(item) >= 3 and item[-2].is_word("AS"):
            item_stop -= 2
        elif len(item) >= 2 and item[-1].name is not None and not item[-1].is_word("END") and (
                item[-2].kind in ("ident", "qident", "string", "number") or item[-2].is_op(")")):
            item_stop -= 1
        spans.append((item_start, item_stop))
    return spans
