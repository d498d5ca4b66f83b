"""Lua ``ext`` functions for the embedded server, like ``ttserver -ext FILE.lua`` (needs lupa).

Every global function of the script becomes an ext function ``f(key, value) -> string``;
returning nil means failure.  The script sees a subset of Tokyo Tyrant's Lua API: ``_get``,
``_put``, ``_putkeep``, ``_putcat``, ``_out``, ``_vsiz``, ``_addint``, ``_adddouble``,
``_fwmkeys``, ``_iterinit``, ``_iternext``, ``_rnum``, ``_size``, ``_vanish``, ``_misc``,
``_log`` and ``_stashput``/``_stashget``/``_stashout``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from twisted.logger import Logger

from txkv.kyoto.tyrant.db import ExtFunction, TTDatabase

__all__ = ["load_lua_functions"]

_log = Logger(namespace="txkv.kyoto.tyrant.lua")

_BUILTINS = ("_get", "_put", "_putkeep", "_putcat", "_out", "_vsiz", "_addint", "_adddouble",
             "_fwmkeys", "_iterinit", "_iternext", "_rnum", "_size", "_vanish", "_misc", "_log",
             "_stashput", "_stashget", "_stashout")


def _b(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).encode("utf-8")


def _api(lua: Any, db: TTDatabase) -> Dict[str, Any]:
    stash: Dict[bytes, bytes] = {}

    def fwmkeys(prefix: Any, limit: Any = -1) -> Any:
        return lua.table_from(db.fwmkeys(_b(prefix), int(limit if limit is not None else -1)))

    def iternext() -> Any:
        entry = db.iternext()
        return None if entry is None else entry[0]

    def misc(name: Any, args: Any = None) -> Any:
        items = db.misc(_b(name), [_b(a) for a in (args.values() if args else [])])
        return None if items is None else lua.table_from(items)

    return {
        "_get": lambda k: db.get(_b(k)),
        "_put": lambda k, v: db.put(_b(k), _b(v)),
        "_putkeep": lambda k, v: db.putkeep(_b(k), _b(v)),
        "_putcat": lambda k, v: db.putcat(_b(k), _b(v)),
        "_out": lambda k: db.out(_b(k)),
        "_vsiz": lambda k: db.vsiz(_b(k)) if db.vsiz(_b(k)) is not None else -1,
        "_addint": lambda k, n: db.addint(_b(k), int(n)),
        "_adddouble": lambda k, n: db.adddouble(_b(k), float(n)),
        "_fwmkeys": fwmkeys,
        "_iterinit": lambda k=None: db.iterinit(None if k is None else _b(k)),
        "_iternext": iternext,
        "_rnum": db.rnum,
        "_size": db.size,
        "_vanish": db.vanish,
        "_misc": misc,
        "_log": lambda msg, level=1: _log.info("lua: {message}", message=_b(msg).decode(
            "utf-8", "replace")),
        "_stashput": lambda k, v: stash.update({_b(k): _b(v)}) or True,
        "_stashget": lambda k: stash.get(_b(k)),
        "_stashout": lambda k: stash.pop(_b(k), None) is not None,
    }


def load_lua_functions(path: str, db: TTDatabase) -> Dict[bytes, ExtFunction]:
    """Run the script at ``path`` and return its global functions as ext functions."""
    from lupa import LuaRuntime

    lua = LuaRuntime(encoding=None, unpack_returned_tuples=True)
    api = _api(lua, db)
    env = lua.globals()
    for name, function in api.items():
        env[name.encode()] = function
    with open(path, "rb") as f:
        lua.execute(f.read())
    functions: Dict[bytes, ExtFunction] = {}
    lua_type = lua.eval("type")
    for name in list(env.keys()):
        if not isinstance(name, bytes) or name.decode("utf-8", "replace") in _BUILTINS:
            continue
        if lua_type(env[name]) == b"function" and not name.startswith(b"_"):
            functions[name] = _wrap(env[name])
    # Lua's own library functions (print, pairs...) are globals too: keep only the script's.
    for builtin in (b"assert", b"collectgarbage", b"dofile", b"error", b"getmetatable",
                    b"ipairs", b"load", b"loadfile", b"loadstring", b"next", b"pairs",
                    b"pcall", b"print", b"rawequal", b"rawget", b"rawlen", b"rawset",
                    b"require", b"select", b"setmetatable", b"tonumber", b"tostring", b"type",
                    b"unpack", b"xpcall", b"module", b"getfenv", b"setfenv", b"gcinfo",
                    b"newproxy"):
        functions.pop(builtin, None)
    return functions


def _wrap(function: Any) -> ExtFunction:
    def call(key: bytes, value: bytes) -> Optional[bytes]:
        result = function(key, value)
        if result is None:
            return None
        if isinstance(result, bool):
            return b"true" if result else b"false"
        return _b(result)

    return call
