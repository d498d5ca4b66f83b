"""TSV-RPC procedures of the embedded Kyoto Tycoon server (``/rpc/<name>``).

:func:`dispatch` takes a procedure name and its input records and returns ``(status, records)``
exactly as Kyoto Tycoon would: 200 done, 400 invalid, 450 logical failure, 501 not implemented;
failures carry an ``ERROR`` record.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

from txkv.kyoto.kt_codec import XT_MAX
from txkv.kyoto.kt_db import KTDatabase, LogicError
from txkv.kyoto.kt_state import KTServerState
from txkv.kyoto.kt_values import format_double

__all__ = ["Cursor", "Session", "dispatch", "PROCEDURES", "RPCResult"]

Pairs = List[Tuple[bytes, bytes]]
RPCResult = Tuple[int, Pairs]


class RPCFailure(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Cursor:
    """A server-side cursor: a database and the key it points at (None = not positioned)."""

    __slots__ = ("db", "key")

    def __init__(self, db: KTDatabase) -> None:
        self.db = db
        self.key: Optional[bytes] = None


class Session:
    """Per-connection state: the cursors created on it."""

    def __init__(self) -> None:
        self.cursors: Dict[int, Cursor] = {}


class Call:
    """One RPC invocation: parameters (last value wins) plus the ordered input records."""

    def __init__(self, state: KTServerState, session: Session, pairs: Pairs) -> None:
        self.state = state
        self.session = session
        self.pairs = pairs
        self.params: Dict[bytes, bytes] = dict(pairs)
        self._db: Optional[KTDatabase] = None

    def has(self, name: bytes) -> bool:
        return name in self.params

    def get(self, name: bytes) -> Optional[bytes]:
        return self.params.get(name)

    def need(self, name: bytes) -> bytes:
        value = self.params.get(name)
        if value is None:
            raise RPCFailure(400, "invalid parameters")
        return value

    def int_param(self, name: bytes, default: int) -> int:
        value = self.params.get(name)
        return default if value is None else _atoi(value)

    def xt(self) -> Optional[int]:
        value = self.params.get(b"xt")
        return None if value is None else _atoi(value)

    @property
    def db(self) -> KTDatabase:
        if self._db is None:
            db = self.state.database(self.params.get(b"DB"))
            if db is None:
                raise RPCFailure(400, "no such database")
            self._db = db
        return self._db

    def underscored(self) -> Pairs:
        """Input records whose key starts with ``_``, prefix removed, in order."""
        return [(k[1:], v) for k, v in self.pairs if k[:1] == b"_"]

    def cursor(self) -> Cursor:
        raw = self.params.get(b"CUR")
        if raw is None or not raw[:1].isdigit():
            raise RPCFailure(400, "invalid parameters")
        cur_id = _atoi(raw)
        cursors = self.session.cursors
        cursor = cursors.get(cur_id)
        if cursor is None:
            cursor = Cursor(self.db)
            cursors[cur_id] = cursor
        return cursor


def _atoi(data: bytes) -> int:
    """C ``atoi``-like: leading sign and digits, 0 when there are none."""
    text = data.strip()
    end = 0
    if text[:1] in (b"-", b"+"):
        end = 1
    while end < len(text) and 48 <= text[end] <= 57:
        end += 1
    try:
        return int(text[:end])
    except ValueError:
        return 0


def _atof(data: bytes) -> float:
    try:
        return float(data.strip())
    except ValueError:
        return 0.0


def _xt_out(xt: int) -> Pairs:
    return [(b"xt", str(xt).encode())] if xt < XT_MAX else []


def _ordinals(keys: List[bytes]) -> Pairs:
    out: Pairs = [(b"_" + k, str(i).encode()) for i, k in enumerate(keys)]
    out.append((b"num", str(len(keys)).encode()))
    return out


_NOREC = "DB: 7: no record: no record"


# -- procedures ----------------------------------------------------------------------------------


def _void(c: Call) -> Pairs:
    return []


def _echo(c: Call) -> Pairs:
    return list(c.pairs)


def _report(c: Call) -> Pairs:
    return c.state.report()


def _status(c: Call) -> Pairs:
    db = c.db
    return [
        (b"count", str(db.count()).encode()),
        (b"size", str(db.size()).encode()),
        (b"path", db.path.encode()),
        (b"realtype", b"48"),
        (b"type", b"48"),
    ]


def _clear(c: Call) -> Pairs:
    c.db.clear()
    return []


def _synchronize(c: Call) -> Pairs:
    c.db  # noqa: B018 - validates the DB parameter
    return []


def _set(c: Call) -> Pairs:
    c.db.set(c.need(b"key"), c.need(b"value"), c.xt())
    c.state.count("set")
    return []


def _add(c: Call) -> Pairs:
    c.db.add(c.need(b"key"), c.need(b"value"), c.xt())
    return []


def _replace(c: Call) -> Pairs:
    c.db.replace(c.need(b"key"), c.need(b"value"), c.xt())
    return []


def _append(c: Call) -> Pairs:
    c.db.append(c.need(b"key"), c.need(b"value"), c.xt())
    return []


def _increment(c: Call) -> Pairs:
    key = c.need(b"key")
    num = _atoi(c.need(b"num"))
    result = c.db.increment(key, num, c.get(b"orig"), c.xt())
    return [(b"num", str(result).encode())]


def _increment_double(c: Call) -> Pairs:
    key = c.need(b"key")
    num = _atof(c.need(b"num"))
    result = c.db.increment_double(key, num, c.get(b"orig"), c.xt())
    return [(b"num", format_double(result).encode())]


def _cas(c: Call) -> Pairs:
    c.db.cas(c.need(b"key"), c.get(b"oval"), c.get(b"nval"), c.xt())
    return []


def _remove(c: Call) -> Pairs:
    if not c.db.remove(c.need(b"key")):
        c.state.count("remove_misses")
        raise LogicError(7, "no record", "no record")
    c.state.count("remove")
    return []


def _get(c: Call) -> Pairs:
    record = c.db.get(c.need(b"key"))
    c.state.count("get")
    if record is None:
        c.state.count("get_misses")
        raise LogicError(7, "no record", "no record")
    return [(b"value", record[0])] + _xt_out(record[1])


def _check(c: Call) -> Pairs:
    record = c.db.get(c.need(b"key"))
    if record is None:
        raise LogicError(7, "no record", "no record")
    return [(b"vsiz", str(len(record[0])).encode())] + _xt_out(record[1])


def _seize(c: Call) -> Pairs:
    record = c.db.seize(c.need(b"key"))
    if record is None:
        raise LogicError(7, "no record", "no record")
    return [(b"value", record[0])] + _xt_out(record[1])


def _set_bulk(c: Call) -> Pairs:
    db, xt = c.db, c.xt()
    records = c.underscored()
    for key, value in records:
        db.set(key, value, xt)
    c.state.count("set", len(records))
    return [(b"num", str(len(records)).encode())]


def _remove_bulk(c: Call) -> Pairs:
    db = c.db
    removed = sum(1 for key, _v in c.underscored() if db.remove(key))
    return [(b"num", str(removed).encode())]


def _get_bulk(c: Call) -> Pairs:
    db = c.db
    out: Pairs = []
    for key, _v in c.underscored():
        record = db.get(key)
        if record is not None:
            out.append((b"_" + key, record[0]))
    out.append((b"num", str(len(out)).encode()))
    return out


def _vacuum(c: Call) -> Pairs:
    c.db  # noqa: B018 - validates the DB parameter
    return []


def _match_prefix(c: Call) -> Pairs:
    return _ordinals(c.db.match_prefix(c.need(b"prefix"), c.int_param(b"max", -1)))


def _match_regex(c: Call) -> Pairs:
    return _ordinals(c.db.match_regex(c.need(b"regex"), c.int_param(b"max", -1)))


def _match_similar(c: Call) -> Pairs:
    distance = c.int_param(b"range", 1)
    if distance < 0:
        distance = 1
    keys = c.db.match_similar(c.need(b"origin"), distance, c.has(b"utf"),
                              c.int_param(b"max", -1))
    return _ordinals(keys)


# -- cursors --------------------------------------------------------------------------------


def _positioned(cursor: Cursor) -> Tuple[bytes, bytes, int]:
    if cursor.key is None:
        raise LogicError(7, "no record", "no record")
    record = cursor.db.get(cursor.key)
    if record is None:  # removed or expired under us: move on like KC does
        cursor.key = cursor.db.first_after(cursor.key)
        if cursor.key is None:
            raise LogicError(7, "no record", "no record")
        record = cursor.db.get(cursor.key)
        assert record is not None
    return cursor.key, record[0], record[1]


def _step(cursor: Cursor) -> None:
    if cursor.key is not None:
        cursor.key = cursor.db.first_after(cursor.key)


def _cur_jump(c: Call) -> Pairs:
    cursor = c.cursor()
    cursor.key = cursor.db.first_at_or_after(c.get(b"key"))
    if cursor.key is None:
        raise LogicError(7, "no record", "no record")
    return []


def _cur_jump_back(c: Call) -> Pairs:
    cursor = c.cursor()
    cursor.key = cursor.db.last_at_or_before(c.get(b"key"))
    if cursor.key is None:
        raise LogicError(7, "no record", "no record")
    return []


def _cur_step(c: Call) -> Pairs:
    cursor = c.cursor()
    _positioned(cursor)
    _step(cursor)
    if cursor.key is None:
        raise LogicError(7, "no record", "no record")
    return []


def _cur_step_back(c: Call) -> Pairs:
    cursor = c.cursor()
    key, _v, _xt = _positioned(cursor)
    cursor.key = cursor.db.last_before(key)
    if cursor.key is None:
        raise LogicError(7, "no record", "no record")
    return []


def _cur_set_value(c: Call) -> Pairs:
    cursor = c.cursor()
    value = c.need(b"value")
    key, _v, _xt = _positioned(cursor)
    cursor.db.set(key, value, c.xt())
    if c.has(b"step"):
        _step(cursor)
    return []


def _cur_remove(c: Call) -> Pairs:
    cursor = c.cursor()
    key, _v, _xt = _positioned(cursor)
    cursor.db.remove(key)
    cursor.key = cursor.db.first_after(key)
    return []


def _read_cursor(c: Call) -> Tuple[bytes, bytes, int]:
    """The record under the call's cursor; the cursor steps on when the call asks (``step``)."""
    cursor = c.cursor()
    record = _positioned(cursor)
    if c.has(b"step"):
        _step(cursor)
    return record


def _cur_get_key(c: Call) -> Pairs:
    return [(b"key", _read_cursor(c)[0])]


def _cur_get_value(c: Call) -> Pairs:
    return [(b"value", _read_cursor(c)[1])]


def _cur_get(c: Call) -> Pairs:
    key, value, xt = _read_cursor(c)
    return [(b"key", key), (b"value", value)] + _xt_out(xt)


def _cur_seize(c: Call) -> Pairs:
    cursor = c.cursor()
    key, value, xt = _positioned(cursor)
    cursor.db.remove(key)
    cursor.key = cursor.db.first_after(key)
    return [(b"key", key), (b"value", value)] + _xt_out(xt)


def _cur_delete(c: Call) -> Pairs:
    raw = c.params.get(b"CUR")
    if raw is None or not raw[:1].isdigit():
        raise RPCFailure(400, "invalid parameters")
    if c.session.cursors.pop(_atoi(raw), None) is None:
        # KT first creates the cursor, then finds no handler for a fresh one.
        raise RPCFailure(501, "not implemented")
    return []


# -- scripting, replication housekeeping --------------------------------------------------------


def _play_script(c: Call) -> Pairs:
    name = c.need(b"name")
    if not name or not name.replace(b"_", b"").isalnum():
        raise RPCFailure(400, "invalid parameters")
    scripts = c.state.scripts
    if scripts is None:
        raise RPCFailure(501, "not implemented")
    c.state.count("script")
    ok, out = scripts.call(name.decode("ascii"), c.underscored())
    if ok is None:
        raise RPCFailure(501, "no such procedure")
    if not ok:
        raise LogicError(8, "logical inconsistency", "the procedure failed")
    return [(b"_" + k, v) for k, v in out]


def _tune_replication(c: Call) -> Pairs:
    raise RPCFailure(501, "not implemented")


def _ulog_list(c: Call) -> Pairs:
    ulog = c.state.ulog
    if ulog is None:
        raise RPCFailure(400, "no update log")
    size = sum(len(body) for _ts, body in ulog.logs)
    return [(b"memory:ulog", f"{size}:{ulog.last_ts}".encode())]


def _ulog_remove(c: Call) -> Pairs:
    ulog = c.state.ulog
    if ulog is None:
        raise RPCFailure(400, "no update log")
    raw = c.get(b"ts")
    if raw is None or raw == b"now":
        limit = ulog.now_ns()
    else:
        limit = _atoi(raw)
    while len(ulog.logs) > 1 and ulog.logs[0][0] < limit:
        ulog.logs.popleft()
    return []


PROCEDURES: Dict[str, Callable[[Call], Pairs]] = {
    "void": _void,
    "echo": _echo,
    "report": _report,
    "status": _status,
    "clear": _clear,
    "synchronize": _synchronize,
    "set": _set,
    "add": _add,
    "replace": _replace,
    "append": _append,
    "increment": _increment,
    "increment_double": _increment_double,
    "cas": _cas,
    "remove": _remove,
    "get": _get,
    "check": _check,
    "seize": _seize,
    "set_bulk": _set_bulk,
    "remove_bulk": _remove_bulk,
    "get_bulk": _get_bulk,
    "vacuum": _vacuum,
    "match_prefix": _match_prefix,
    "match_regex": _match_regex,
    "match_similar": _match_similar,
    "cur_jump": _cur_jump,
    "cur_jump_back": _cur_jump_back,
    "cur_step": _cur_step,
    "cur_step_back": _cur_step_back,
    "cur_set_value": _cur_set_value,
    "cur_remove": _cur_remove,
    "cur_get_key": _cur_get_key,
    "cur_get_value": _cur_get_value,
    "cur_get": _cur_get,
    "cur_seize": _cur_seize,
    "cur_delete": _cur_delete,
    "play_script": _play_script,
    "tune_replication": _tune_replication,
    "ulog_list": _ulog_list,
    "ulog_remove": _ulog_remove,
}


def dispatch(state: KTServerState, session: Session, name: str, pairs: Pairs) -> RPCResult:
    """Run procedure ``name``; never raises for bad input (the status says what went wrong)."""
    handler = PROCEDURES.get(name)
    if handler is None:
        return 501, [(b"ERROR", f"not implemented: {name}".encode())]
    call = Call(state, session, pairs)
    try:
        if name.startswith("cur_") and name != "cur_delete":
            call.cursor()  # any CUR parameter creates the cursor first, as KT does
        elif b"CUR" in call.params and name != "cur_delete":
            call.cursor()
        out = handler(call)
    except LogicError as e:
        return 450, [(b"ERROR", str(e).encode())]
    except RPCFailure as e:
        return e.status, [(b"ERROR", e.message.encode())]
    if name not in ("set", "get", "remove", "set_bulk", "play_script"):
        state.count("misc")
    return 200, out
