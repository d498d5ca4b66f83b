"""The embedded Tokyo Tyrant server: the binary protocol over :mod:`txkv.storage`.

Requests on a connection are answered in order, one reply per request (none for ``putnr``).
Like ttserver, a malformed request (bad magic, unknown command, invalid size) closes the
connection without a reply.  The memcached and HTTP dialects of ttserver are not served, nor
is replication (``repl`` closes the connection).

Run it with ``python -m txkv.kyoto.tyrant.server --port 1978 [--data DIR] [--kind btree]
[--ext FILE.lua]`` or ``twistd -n txkv-tt``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence

from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.endpoints import set_no_delay
from txkv.errors import ProtocolError
from txkv.kyoto.tyrant import codec
from txkv.kyoto.tyrant.codec import Cmd, Request
from txkv.kyoto.tyrant.db import KINDS, ExtFunction, TTDatabase

__all__ = ["TTServerProtocol", "TTServerFactory", "handle", "open_database", "main"]

_log = Logger(namespace="txkv.kyoto.tyrant.server")

_Handler = Callable[[TTDatabase, Request], Optional[bytes]]


def _put(db: TTDatabase, r: Request) -> bytes:
    ok = db.put(*r.args)
    return codec.reply_code(ok)


def _putnr(db: TTDatabase, r: Request) -> None:
    db.put(*r.args)
    return None


def _putkeep(db: TTDatabase, r: Request) -> bytes:
    ok = db.putkeep(*r.args)
    if not ok:
        db.count("put_miss")
    return codec.reply_code(ok)


def _misc(db: TTDatabase, r: Request) -> bytes:
    name, _opts, args = r.args
    return codec.reply_misc(db.misc(name, args))


def _iternext(db: TTDatabase, r: Request) -> bytes:
    entry = db.iternext()
    return codec.reply_value(None if entry is None else entry[0])


_HANDLERS: Dict[int, _Handler] = {
    Cmd.PUT: _put,
    Cmd.PUTKEEP: _putkeep,
    Cmd.PUTCAT: lambda db, r: codec.reply_code(db.putcat(*r.args)),
    Cmd.PUTSHL: lambda db, r: codec.reply_code(db.putshl(*r.args)),
    Cmd.PUTNR: _putnr,
    Cmd.OUT: lambda db, r: codec.reply_code(db.out(*r.args)),
    Cmd.GET: lambda db, r: codec.reply_value(db.get(*r.args)),
    Cmd.MGET: lambda db, r: codec.reply_pairs(db.mget(*r.args)),
    Cmd.VSIZ: lambda db, r: codec.reply_int32(db.vsiz(*r.args)),
    Cmd.ITERINIT: lambda db, r: codec.reply_code(db.iterinit()),
    Cmd.ITERNEXT: _iternext,
    Cmd.FWMKEYS: lambda db, r: codec.reply_keys(db.fwmkeys(*r.args)),
    Cmd.ADDINT: lambda db, r: codec.reply_int32(db.addint(*r.args)),
    Cmd.ADDDOUBLE: lambda db, r: codec.reply_double(db.adddouble(*r.args)),
    Cmd.EXT: lambda db, r: codec.reply_value(db.call_ext(r.args[0], r.args[2], r.args[3])),
    Cmd.SYNC: lambda db, r: codec.reply_code(True),
    Cmd.OPTIMIZE: lambda db, r: codec.reply_code(True),
    Cmd.VANISH: lambda db, r: codec.reply_code(db.vanish()),
    Cmd.COPY: lambda db, r: codec.reply_code(db.copy(*r.args)),
    Cmd.RESTORE: lambda db, r: codec.reply_code(db.restore(*r.args)),
    Cmd.SETMST: lambda db, r: codec.reply_code(db.setmst(*r.args)),
    Cmd.RNUM: lambda db, r: codec.reply_long(db.rnum()),
    Cmd.SIZE: lambda db, r: codec.reply_long(db.size()),
    Cmd.STAT: lambda db, r: codec.reply_value(db.stat()),
    Cmd.MISC: _misc,
}


def handle(db: TTDatabase, request: Request) -> Optional[bytes]:
    """The reply to one request (None: no reply, for ``putnr``).

    :raises ProtocolError: for requests the server refuses to serve (``repl``).
    """
    handler = _HANDLERS.get(request.cmd)
    if handler is None:
        raise ProtocolError(f"{request.name} is not supported by txkv's server")
    db.count(request.name)
    return handler(db, request)


class TTServerProtocol(Protocol):
    """One client connection of the embedded server."""

    def __init__(self, db: TTDatabase) -> None:
        self.db = db
        self._buf = bytearray()
        self._parser = codec.RequestParser()
        self._closing = False

    def connectionMade(self) -> None:
        set_no_delay(self.transport)

    def dataReceived(self, data: bytes) -> None:
        if self._closing:
            return
        buf = self._buf
        buf += data
        off = 0
        replies: List[bytes] = []
        try:
            with memoryview(buf) as view:
                while off < len(buf):
                    got = self._parser.parse(view[off:])
                    if got is None:
                        break
                    consumed, request = got
                    off += consumed
                    reply = handle(self.db, request)
                    if reply is not None:
                        replies.append(reply)
        except ProtocolError as e:
            self._refuse(e, replies)
            return
        except Exception as e:  # a bug must not take the server down
            _log.failure("request failed: {error}", error=repr(e))
            self._refuse(ProtocolError(f"internal error: {e!r}"), replies)
            return
        if off:
            del buf[:off]
        if replies and self.transport is not None:
            self.transport.write(b"".join(replies))

    def _refuse(self, error: ProtocolError, replies: List[bytes]) -> None:
        """Answer what was valid, then close without a reply (ttserver's behaviour)."""
        _log.debug("closing connection: {error}", error=str(error))
        self._closing = True
        self._buf = bytearray()
        if self.transport is not None:
            if replies:
                self.transport.write(b"".join(replies))
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._closing = True
        self._buf = bytearray()


class TTServerFactory(Factory):
    """Builds server connections sharing one :class:`~txkv.kyoto.tyrant.db.TTDatabase`."""

    def __init__(self, db: TTDatabase) -> None:
        self.db = db

    def buildProtocol(self, addr: Any) -> Protocol:
        proto = TTServerProtocol(self.db)
        proto.factory = self
        return proto


def open_database(data: Optional[str] = None, kind: str = "hash",
                  ext: Optional[Dict[bytes, ExtFunction]] = None,
                  ext_script: Optional[str] = None, sid: int = 1) -> TTDatabase:
    """A database over in-memory storage, or LevelDB in the directory ``data``.

    :param ext_script: a Lua file whose global functions become ``ext`` functions (needs lupa).
    """
    from txkv.storage import open_storage

    storage = open_storage(data)
    functions: Dict[bytes, ExtFunction] = {}
    path = data or ("*" if kind == "hash" else "+")
    db = TTDatabase(storage, kind, ext=functions, path=path, sid=sid)
    if ext_script is not None:
        from txkv.kyoto.tyrant.ext import load_lua_functions

        db.ext.update(load_lua_functions(ext_script, db))
    db.ext.update(ext or {})
    return db


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m txkv.kyoto.tyrant.server",
                                     description="txkv's embedded Tokyo Tyrant server")
    # ttserver's own spellings (-host, -port, -ext, -sid) are accepted too, so txkv's server can
    # stand in where a ttserver command line is expected
    parser.add_argument("--host", "-host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", "-port", type=int, default=1978,
                        help="port (0 = a free one)")
    parser.add_argument("--data", default=None, help="LevelDB directory (default: in memory)")
    parser.add_argument("--kind", choices=KINDS, default="hash", help="database flavour")
    parser.add_argument("--btree", action="store_true", help="same as --kind btree")
    parser.add_argument("--ext", "-ext", default=None, help="Lua file of ext functions")
    parser.add_argument("--sid", "-sid", type=int, default=1, help="server id shown by stat")
    parser.add_argument("database", nargs="?", default=None,
                        help="ttserver-style database name: '*' hash, '+' or '*.tcb' B+ tree, "
                             "'*.tct' table")
    args = parser.parse_args(argv)
    if args.btree:
        args.kind = "btree"
    name = args.database or ""
    if name == "+" or name.endswith(".tcb") or name.endswith(".kct"):
        args.kind = "btree"
    elif name.endswith(".tct"):
        args.kind = "table"
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the server until interrupted; prints ``listening on HOST:PORT`` once ready."""
    from twisted.internet import reactor

    args = _parse_args(sys.argv[1:] if argv is None else argv)
    db = open_database(args.data, args.kind, ext_script=args.ext, sid=args.sid)
    factory: Any = TTServerFactory(db)
    port: Any = reactor.listenTCP(args.port, factory, interface=args.host)
    bound = port.getHost().port
    print(f"txkv Tokyo Tyrant server ({args.kind}) listening on {args.host}:{bound}",
          flush=True)
    reactor.addSystemEventTrigger("after", "shutdown", db.storage.close)
    reactor.run()


if __name__ == "__main__":
    main()


def make_test_factory(**options: Any) -> TTServerFactory:
    """A server factory for ``txkv.testing.start_server("tt", ...)``; options go to
    :func:`open_database` (``data``, ``kind``, ``ext_script``...)."""
    return TTServerFactory(open_database(**options))
