"""Lua procedures for ``play_script``, run with lupa like ``ktserver -scr FILE``.

Every global function of the script is a procedure ``f(inmap, outmap) -> kt.RV*``.  The script
sees a subset of Kyoto Tycoon's Lua API, enough for ukt's ``kt.lua``: ``kt.db`` / ``kt.dbs``
objects (get, set, add, replace, append, remove, seize, increment, increment_double, cas,
set_bulk, remove_bulk, get_bulk, match_prefix, match_regex, match_similar, count, size, path,
clear, accept, accept_bulk, cursor, error), ``kt.Visitor``, ``kt.Error``, ``kt.log``,
``kt.time``, ``kt.sleep``, ``kt.mapdump`` / ``mapload`` / ``arraydump`` / ``arrayload``.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from twisted.logger import Logger

from txkv.kyoto.kt_db import KTDatabase, LogicError
from txkv.kyoto.kt_state import KTServerState
from txkv.kyoto.kt_values import arraydump, arrayload, mapdump, mapload

__all__ = ["LuaScripts"]

_log = Logger(namespace="txkv.kyoto.lua")

_PRELUDE = r"""
local py = ...
kt = {RVSUCCESS = 0, RVENOIMPL = 1, RVEINVALID = 2, RVELOGIC = 3, RVETIMEOUT = 4,
      RVEINTERNAL = 5, RVENETWORK = 6, RVEMISC = 15, thid = 0}
kt.Visitor = {NOP = {}, REMOVE = {}}
kt.Visitor.__index = kt.Visitor
function kt.Visitor.new() return setmetatable({}, kt.Visitor) end
kt.Error = {SUCCESS = 0, NOIMPL = 1, INVALID = 2, NOREPOS = 3, NOPERM = 4, BROKEN = 5,
            DUPREC = 6, NOREC = 7, LOGIC = 8, SYSTEM = 9, MISC = 15}
kt.Error.__index = kt.Error
function kt.Error.new(code, message)
  return setmetatable({_code = code or 0, _message = message or "no error"}, kt.Error)
end
function kt.Error:code() return self._code end
function kt.Error:name() return py.error_name(self._code) end
function kt.Error:message() return self._message end
function kt.Error:__tostring() return self:name() .. ": " .. self._message end
kt.log = function(kind, message) py.log(tostring(kind), tostring(message)) end
kt.time = function() return py.time() end
kt.sleep = function(sec) end
kt.mapdump = function(t) return py.mapdump(t) end
kt.mapload = function(s) return py.mapload(s) end
kt.arraydump = function(t) return py.arraydump(t) end
kt.arrayload = function(s) return py.arrayload(s) end

local function visit(v, key, value, xt)
  local fn = v
  if type(v) == "table" then
    if value ~= nil then
      if not v.visit_full then return kt.Visitor.NOP end
      return v:visit_full(key, value, xt)
    end
    if not v.visit_empty then return kt.Visitor.NOP end
    return v:visit_empty(key)
  end
  return fn(key, value, xt)
end

local function apply(db, key, visitor)
  local value, xt = py.get(db.idx, key)
  local nv, nxt = visit(visitor, key, value, xt)
  if nv == kt.Visitor.REMOVE then
    py.remove(db.idx, key)
  elseif nv ~= kt.Visitor.NOP and nv ~= nil then
    py.set(db.idx, key, tostring(nv), nxt)
  end
end

local DB = {}
DB.__index = DB
for _, name in ipairs({"get", "set", "add", "replace", "append", "remove", "seize", "increment",
                       "increment_double", "cas", "count", "size", "path", "clear",
                       "match_prefix", "match_regex", "match_similar", "set_bulk",
                       "remove_bulk", "get_bulk"}) do
  DB[name] = function(self, ...) return py[name](self.idx, ...) end
end
function DB:error() return kt.Error.new(py.last_error(self.idx)) end
function DB:accept(key, visitor, writable) apply(self, key, visitor) return true end
function DB:accept_bulk(keys, visitor, writable)
  for _, key in ipairs(keys) do apply(self, key, visitor) end
  return true
end
function DB:iterate(visitor, writable)
  for _, key in ipairs(py.match_prefix(self.idx, "", -1)) do apply(self, key, visitor) end
  return true
end
function DB:synchronize() return true end
function DB:begin_transaction() return true end
function DB:end_transaction() return true end

local Cursor = {}
Cursor.__index = Cursor
function DB:cursor() return setmetatable({db = self, key = nil}, Cursor) end
function Cursor:jump(key) self.key = py.cur_jump(self.db.idx, key) return self.key ~= nil end
function Cursor:jump_back(key)
  self.key = py.cur_jump_back(self.db.idx, key) return self.key ~= nil
end
function Cursor:step()
  if self.key == nil then return false end
  self.key = py.cur_step(self.db.idx, self.key) return self.key ~= nil
end
function Cursor:step_back()
  if self.key == nil then return false end
  self.key = py.cur_step_back(self.db.idx, self.key) return self.key ~= nil
end
function Cursor:get_key(step)
  local key = self.key
  if key ~= nil and step then self:step() end
  return key
end
function Cursor:get_value(step)
  if self.key == nil then return nil end
  local value = py.get(self.db.idx, self.key)
  if step then self:step() end
  return value
end
function Cursor:get(step)
  if self.key == nil then return nil end
  local key = self.key
  local value, xt = py.get(self.db.idx, key)
  if step then self:step() end
  return key, value, xt
end
function Cursor:remove()
  if self.key == nil then return false end
  local key = self.key
  py.remove(self.db.idx, key)
  self.key = py.cur_jump(self.db.idx, key)
  return true
end
function Cursor:set_value(value, xt, step)
  if self.key == nil then return false end
  py.set(self.db.idx, self.key, value, xt)
  if step then self:step() end
  return true
end
function Cursor:seize()
  local key, value, xt = self:get(false)
  if key ~= nil then self:remove() end
  return key, value, xt
end
function Cursor:disable() self.key = nil end
function Cursor:db() return self.db end

kt.dbs = {}
for i = 0, py.db_count() - 1 do
  local db = setmetatable({idx = i}, DB)
  kt.dbs[i + 1] = db
  kt.dbs[py.db_name(i)] = db
end
kt.db = kt.dbs[1]
__kyototycoon__ = kt
"""

_ERROR_NAMES = {0: "success", 1: "noimpl", 2: "invalid", 3: "norepos", 4: "noperm", 5: "broken",
                6: "duprec", 7: "norec", 8: "logic", 9: "system", 15: "misc"}


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value)).encode()
    if isinstance(value, bool):
        return b"true" if value else b"false"
    return str(value).encode()


class LuaScripts:
    """A loaded Lua script; :meth:`call` runs one of its global functions as a procedure."""

    def __init__(self, source: bytes, state: KTServerState, name: str = "script") -> None:
        from lupa import LuaRuntime

        self.state = state
        self.name = name
        self.lua = LuaRuntime(encoding=None, unpack_returned_tuples=True)
        self._errors: Dict[int, int] = {}
        self.lua.execute(_PRELUDE, self.lua.table_from(self._api()))
        self.lua.execute(source)

    @classmethod
    def from_file(cls, path: str, state: KTServerState) -> LuaScripts:
        with open(path, "rb") as f:
            return cls(f.read(), state, name=path)

    # -- the Python side of kt.db ---------------------------------------------------------------

    def _db(self, idx: int) -> KTDatabase:
        db = self.state.by_index(int(idx))
        if db is None:
            raise ValueError(f"no database {idx}")
        return db

    def _note(self, idx: int, code: int) -> None:
        self._errors[int(idx)] = code

    def _api(self) -> Dict[bytes, Any]:
        lua = self.lua

        def xt_arg(xt: Any) -> Optional[int]:
            return None if xt is None else int(xt)

        def get(idx: int, key: bytes) -> Any:
            record = self._db(idx).get(_bytes(key))
            if record is None:
                self._note(idx, 7)
                return None
            self._note(idx, 0)
            return record[0], record[1]

        def writer(method: str) -> Any:
            def write(idx: int, key: bytes, value: Any, xt: Any = None) -> bool:
                try:
                    getattr(self._db(idx), method)(_bytes(key), _bytes(value), xt_arg(xt))
                except LogicError as e:
                    self._note(idx, e.code)
                    return False
                self._note(idx, 0)
                return True

            return write

        def remove(idx: int, key: bytes) -> bool:
            ok = self._db(idx).remove(_bytes(key))
            self._note(idx, 0 if ok else 7)
            return ok

        def seize(idx: int, key: bytes) -> Any:
            record = self._db(idx).seize(_bytes(key))
            return None if record is None else (record[0], record[1])

        def increment(idx: int, key: bytes, num: Any, orig: Any = None, xt: Any = None) -> Any:
            try:
                return self._db(idx).increment(_bytes(key), int(num),
                                               None if orig is None else _bytes(orig), xt_arg(xt))
            except LogicError as e:
                self._note(idx, e.code)
                return None

        def increment_double(idx: int, key: bytes, num: Any, orig: Any = None,
                             xt: Any = None) -> Any:
            try:
                return self._db(idx).increment_double(
                    _bytes(key), float(num), None if orig is None else _bytes(orig), xt_arg(xt))
            except LogicError as e:
                self._note(idx, e.code)
                return None

        def cas(idx: int, key: bytes, oval: Any, nval: Any, xt: Any = None) -> bool:
            try:
                self._db(idx).cas(_bytes(key), None if oval is None else _bytes(oval),
                                  None if nval is None else _bytes(nval), xt_arg(xt))
            except LogicError as e:
                self._note(idx, e.code)
                return False
            return True

        def keys_table(keys: Sequence[bytes]) -> Any:
            return lua.table_from(list(keys))

        def set_bulk(idx: int, recs: Any, xt: Any = None, atomic: Any = None) -> int:
            db = self._db(idx)
            n = 0
            for k, v in recs.items():
                db.set(_bytes(k), _bytes(v), xt_arg(xt))
                n += 1
            return n

        def remove_bulk(idx: int, keys: Any, atomic: Any = None) -> int:
            db = self._db(idx)
            return sum(1 for k in keys.values() if db.remove(_bytes(k)))

        def get_bulk(idx: int, keys: Any, atomic: Any = None) -> Any:
            db = self._db(idx)
            out = {}
            for k in keys.values():
                record = db.get(_bytes(k))
                if record is not None:
                    out[_bytes(k)] = record[0]
            return lua.table_from(out)

        def clear(idx: int) -> bool:
            self._db(idx).clear()
            return True

        def limit(max_: Any) -> int:
            return -1 if max_ is None else int(max_)

        api: Dict[str, Any] = {
            "get": get,
            "set": writer("set"),
            "add": writer("add"),
            "replace": writer("replace"),
            "append": writer("append"),
            "remove": remove,
            "seize": seize,
            "increment": increment,
            "increment_double": increment_double,
            "cas": cas,
            "count": lambda idx: self._db(idx).count(),
            "size": lambda idx: self._db(idx).size(),
            "path": lambda idx: self._db(idx).path.encode(),
            "clear": clear,
            "match_prefix": lambda idx, p, m=None: keys_table(
                self._db(idx).match_prefix(_bytes(p), limit(m))),
            "match_regex": lambda idx, r, m=None: keys_table(
                self._db(idx).match_regex(_bytes(r), limit(m))),
            "match_similar": lambda idx, o, r=None, utf=None, m=None: keys_table(
                self._db(idx).match_similar(_bytes(o), 1 if r is None else int(r), bool(utf),
                                            limit(m))),
            "set_bulk": set_bulk,
            "remove_bulk": remove_bulk,
            "get_bulk": get_bulk,
            "last_error": lambda idx: (self._errors.get(int(idx), 0),
                                       _ERROR_NAMES.get(self._errors.get(int(idx), 0), "misc")
                                       .encode()),
            "error_name": lambda code: _ERROR_NAMES.get(int(code), "misc").encode(),
            "cur_jump": lambda idx, key=None: self._db(idx).first_at_or_after(
                None if key is None else _bytes(key)),
            "cur_jump_back": lambda idx, key=None: self._db(idx).last_at_or_before(
                None if key is None else _bytes(key)),
            "cur_step": lambda idx, key: self._db(idx).first_after(_bytes(key)),
            "cur_step_back": lambda idx, key: self._db(idx).last_before(_bytes(key)),
            "db_count": lambda: len(self.state.databases),
            "db_name": lambda idx: self._db(idx).name.encode(),
            "log": lambda kind, message: _log.info("lua {kind}: {message}", kind=kind,
                                                   message=message),
            "time": time.time,
            "mapdump": lambda t: mapdump([(_bytes(k), _bytes(v)) for k, v in t.items()]),
            "mapload": lambda s: lua.table_from(mapload(_bytes(s))),
            "arraydump": lambda t: arraydump([_bytes(v) for v in t.values()]),
            "arrayload": lambda s: lua.table_from(arrayload(_bytes(s))),
        }
        return {k.encode(): v for k, v in api.items()}

    # -- procedures -------------------------------------------------------------------------------

    def call(self, name: str, items: Sequence[Tuple[bytes, bytes]]
             ) -> Tuple[Optional[bool], List[Tuple[bytes, bytes]]]:
        """Run procedure ``name``: ``(True, outmap)`` on RVSUCCESS, ``(False, [])`` when it
        failed, ``(None, [])`` when there is no such function."""
        func = self.lua.globals()[name.encode()]
        if func is None or self.lua.eval("type")(func) != b"function":
            return None, []
        inmap = self.lua.table_from(dict(items))
        outmap = self.lua.table()
        try:
            rv = func(inmap, outmap)
        except Exception as e:
            _log.warn("lua procedure {name} failed: {error}", name=name, error=e)
            return False, []
        if rv not in (0, None):
            return False, []
        return True, [(_bytes(k), _bytes(v)) for k, v in outmap.items()]
