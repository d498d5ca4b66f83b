"""The embedded Kyoto Tycoon server: binary protocol and HTTP RPC on one port.

Like ``ktserver``, each request's first byte decides: ``0x00`` or ``>= 0x80`` goes to the binary
dispatcher, anything else is read as an HTTP request; both kinds may be mixed on a connection.
Requests on a connection are answered in order.

Run it with ``python -m txkv.kyoto.kt_server --port 1978 [--data DIR] [--script FILE.lua]
[DB ...]`` or ``twistd -n txkv-kt``; databases are given like ktserver's (``*``, ``%`` or file
names; a database's name is the part after the last ``/``).
"""

from __future__ import annotations

import argparse
import sys
from email.utils import formatdate, parsedate_to_datetime
from typing import Any, List, Optional, Sequence, Tuple, Union
from urllib.parse import unquote_to_bytes

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.endpoints import set_no_delay
from txkv.errors import ProtocolError
from txkv.kyoto import kt_codec as bc
from txkv.kyoto.kt_codec import XT_MAX, is_binary_start
from txkv.kyoto.kt_db import KTDatabase
from txkv.kyoto.kt_http import HTTPFramingError, HTTPRequest, encode_response
from txkv.kyoto.kt_http import RequestParser as HTTPRequestParser
from txkv.kyoto.kt_rpc import Session, dispatch
from txkv.kyoto.kt_state import KTServerState, UpdateLogBuffer
from txkv.kyoto.kt_tsv import decode_body, decode_query, encode_reply_body

__all__ = ["KTServerProtocol", "KTServerFactory", "build_state", "main"]

_log = Logger(namespace="txkv.kyoto.server")

_Parser = Union[bc.RequestParser, HTTPRequestParser]


class KTServerProtocol(Protocol):
    """One client connection of the embedded server."""

    factory: KTServerFactory

    def __init__(self, state: KTServerState) -> None:
        self.state = state
        self.session = Session()
        self._buf = bytearray()
        self._parser: Optional[_Parser] = None
        self._busy: Optional[Deferred[Any]] = None
        self._closing = False
        self._replicating = False
        self._repl_listener: Any = None
        self._heartbeat: Optional[IDelayedCall] = None
        self._repl_filter: Any = None

    # -- connection ------------------------------------------------------------------------------

    def connectionMade(self) -> None:
        set_no_delay(self.transport)
        self.state.connections += 1

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.state.connections -= 1
        self.session.cursors.clear()
        self._stop_replication()
        self._closing = True

    def _close(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.loseConnection()

    # -- framing ---------------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self._replicating:
            return  # only heartbeat acknowledgements (0xB1) arrive now
        self._buf += data
        self._drain()

    def _drain(self) -> None:
        buf = self._buf
        while buf and self._busy is None and not self._closing and not self._replicating:
            if self._parser is None:
                self._parser = (bc.RequestParser() if is_binary_start(buf[0])
                                else HTTPRequestParser())
            parser = self._parser
            try:
                with memoryview(buf) as view:
                    consumed = parser.parse(view)
            except HTTPFramingError as e:
                self._http_framing_error(e)
                return
            except ProtocolError as e:
                self._binary_framing_error(buf[0], e)
                return
            if consumed is None:
                return
            del buf[:consumed]
            self._parser = None
            request = parser.result
            try:
                outcome = self._handle(request)
            except Exception:
                _log.failure("KT request failed")
                self._close()
                return
            if isinstance(outcome, Deferred):
                self._busy = outcome
                outcome.addErrback(lambda f: _log.failure("KT request failed", f))
                outcome.addBoth(self._resume)
                return

    def _resume(self, _: object) -> None:
        self._busy = None
        if not self._closing:
            self._drain()

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self._closing:
            self.transport.write(data)

    def _binary_framing_error(self, magic: int, err: ProtocolError) -> None:
        _log.info("bad binary request from {peer}: {error}", peer=self._peer(), error=err)
        if magic in bc.BINARY_MAGICS:
            self._write(bc.ERROR_REPLY)
        self._close()

    def _http_framing_error(self, err: HTTPFramingError) -> None:
        self._write(encode_response(err.status, f"{err}\n".encode(), "text/plain", False))
        self._close()

    def _peer(self) -> str:
        try:
            peer: Any = self.transport.getPeer()  # type: ignore[union-attr]
            return f"{peer.host}:{peer.port}"
        except Exception:
            return "?"

    def _handle(self, request: Any) -> Optional[Deferred[Any]]:
        if isinstance(request, HTTPRequest):
            return self._handle_http(request)
        if isinstance(request, bc.SetBulkRequest):
            self._set_bulk(request)
        elif isinstance(request, bc.RemoveBulkRequest):
            self._remove_bulk(request)
        elif isinstance(request, bc.GetBulkRequest):
            self._get_bulk(request)
        elif isinstance(request, bc.PlayScriptRequest):
            self._play_script(request)
        elif isinstance(request, bc.ReplicationRequest):
            self._start_replication(request)
        return None

    # -- binary commands ---------------------------------------------------------------------------

    def _set_bulk(self, req: bc.SetBulkRequest) -> None:
        hits = 0
        state = self.state
        for dbidx, key, value, xt in req.records:
            db = state.by_index(dbidx)
            if db is None:
                continue
            db.set(key, value, xt)
            hits += 1
        state.count("set", hits)
        if not req.flags & bc.FLAG_NO_REPLY:
            self._write(bc.encode_count_reply(bc.MAGIC_SET_BULK, hits))

    def _remove_bulk(self, req: bc.RemoveBulkRequest) -> None:
        hits = 0
        state = self.state
        for dbidx, key in req.records:
            db = state.by_index(dbidx)
            if db is not None and db.remove(key):
                hits += 1
        state.count("remove", hits)
        state.count("remove_misses", len(req.records) - hits)
        if not req.flags & bc.FLAG_NO_REPLY:
            self._write(bc.encode_count_reply(bc.MAGIC_REMOVE_BULK, hits))

    def _get_bulk(self, req: bc.GetBulkRequest) -> None:
        found: List[Tuple[int, bytes, bytes, int]] = []
        state = self.state
        for dbidx, key in req.records:
            db = state.by_index(dbidx)
            if db is None:
                continue
            record = db.get(key)
            if record is not None:
                found.append((dbidx, key, record[0], record[1]))
        state.count("get", len(req.records))
        state.count("get_misses", len(req.records) - len(found))
        self._write(bc.encode_get_bulk_reply(found))

    def _play_script(self, req: bc.PlayScriptRequest) -> None:
        scripts = self.state.scripts
        no_reply = bool(req.flags & bc.FLAG_NO_REPLY)
        self.state.count("script")
        ok, out = (None, []) if scripts is None else scripts.call(
            req.name.decode("utf-8", "replace"), req.items)
        if no_reply:
            return
        if ok:
            self._write(bc.encode_play_script_reply(sorted(out)))
        else:
            self._write(bc.ERROR_REPLY)

    # -- replication ---------------------------------------------------------------------------

    def _start_replication(self, req: bc.ReplicationRequest) -> None:
        ulog = self.state.ulog
        if ulog is None:
            self._write(bc.ERROR_REPLY)
            self._close()
            return
        self._replicating = True
        white = bool(req.flags & bc.FLAG_WHITE_SID)
        sid = req.sid

        def wanted(body: bytes) -> bool:
            origin = int.from_bytes(body[:2], "big")
            return origin == sid if white else origin != sid

        self._repl_filter = wanted
        self._write(bytes((bc.MAGIC_REPLICATION,)))
        for ts, body in ulog.since(req.ts):
            if wanted(body):
                self._write(bc.encode_replication_log(ts, body))

        def on_log(ts: int, body: bytes) -> None:
            if wanted(body):
                self._write(bc.encode_replication_log(ts, body))

        self._repl_listener = on_log
        ulog.listeners.append(on_log)
        self._schedule_heartbeat()

    def _schedule_heartbeat(self) -> None:
        self._heartbeat = self.state.clock.callLater(self.factory.heartbeat, self._beat)

    def _beat(self) -> None:
        self._heartbeat = None
        ulog = self.state.ulog
        if ulog is None or self._closing:
            return
        self._write(bc.encode_replication_nop(ulog.last_ts))
        self._schedule_heartbeat()

    def _stop_replication(self) -> None:
        if self._heartbeat is not None and self._heartbeat.active():
            self._heartbeat.cancel()
        self._heartbeat = None
        ulog = self.state.ulog
        if ulog is not None and self._repl_listener in ulog.listeners:
            ulog.listeners.remove(self._repl_listener)
        self._repl_listener = None

    # -- HTTP ------------------------------------------------------------------------------------

    def _handle_http(self, req: HTTPRequest) -> Optional[Deferred[Any]]:
        target = req.target
        path, _, query = target.partition(b"?")
        if path.startswith(b"/rpc/"):
            if req.method not in (b"GET", b"POST", b"HEAD"):
                self._respond(req, 405, [(b"ERROR", b"method not allowed")])
                return None
            name = unquote_to_bytes(path[5:]).decode("utf-8", "replace")
            pairs = decode_query(query) if query else []
            if req.body:
                pairs += decode_body(req.body, req.headers.get(b"content-type"))
            return self._rpc(req, name, pairs)
        self._rest(req, path)
        return None

    def _rpc(self, req: HTTPRequest, name: str, pairs: List[Tuple[bytes, bytes]]
             ) -> Optional[Deferred[Any]]:
        params = dict(pairs)
        wait = params.get(b"WAIT")
        if wait is None:
            self._finish_rpc(req, name, pairs, params)
            return None
        try:
            wait_time = float(params.get(b"WAITTIME") or 0)
        except ValueError:
            wait_time = 0.0
        if wait_time <= 0:
            wait_time = 30.0
        d = self.state.conditions.wait(wait, wait_time)

        def after_wait(signalled: bool) -> None:
            if self._closing:
                return
            if not signalled:
                self._respond(req, 503, [(b"ERROR", b"the condition timed out")])
                return
            self._finish_rpc(req, name, pairs, params)

        return maybeDeferred(lambda: d).addCallback(after_wait)

    def _finish_rpc(self, req: HTTPRequest, name: str, pairs: List[Tuple[bytes, bytes]],
                    params: dict[bytes, bytes]) -> None:
        status, out = dispatch(self.state, self.session, name, pairs)
        signal = params.get(b"SIGNAL")
        if signal is not None:
            n = self.state.conditions.signal(signal, b"SIGNALBROAD" in params)
            out.append((b"SIGNALED", str(n).encode()))
        self._respond(req, status, out)

    def _respond(self, req: HTTPRequest, status: int, pairs: List[Tuple[bytes, bytes]]) -> None:
        content_type, body = encode_reply_body(pairs)
        self._write(encode_response(status, body, content_type, req.keep_alive,
                                    head_only=req.method == b"HEAD"))
        if not req.keep_alive:
            self._close()

    def _rest(self, req: HTTPRequest, path: bytes) -> None:
        """KT's RESTful interface: ``/[db/]key`` with GET, HEAD, PUT and DELETE."""
        raw = path[1:] if path.startswith(b"/") else path
        db_spec: Optional[bytes] = None
        if b"/" in raw:
            db_spec, _, raw = raw.partition(b"/")
            db_spec = unquote_to_bytes(db_spec)
        key = unquote_to_bytes(raw)
        db = self.state.database(db_spec)
        ka = req.keep_alive
        if db is None:
            self._write(encode_response(400, b"no such database\n", "text/plain", ka))
            return
        method = req.method
        if method in (b"GET", b"HEAD"):
            record = db.get(key)
            if record is None:
                self._write(encode_response(404, b"", None, ka, [("X-Kt-Error", "no record")],
                                            head_only=method == b"HEAD"))
                return
            extra = _xt_header(record[1])
            self._write(encode_response(200, record[0], "application/octet-stream", ka, extra,
                                        head_only=method == b"HEAD"))
        elif method == b"PUT":
            mode = req.headers.get(b"x-kt-mode", b"set").lower()
            xt = _parse_xt_header(req.headers.get(b"x-kt-xt"))
            try:
                if mode == b"add":
                    db.add(key, req.body, xt)
                elif mode == b"replace":
                    db.replace(key, req.body, xt)
                else:
                    db.set(key, req.body, xt)
            except Exception:
                self._write(encode_response(450, b"", None, ka))
                return
            self._write(encode_response(201, b"", None, ka, [("Location", path.decode("latin-1"))]))
        elif method == b"DELETE":
            status = 204 if db.remove(key) else 404
            self._write(encode_response(status, b"", None, ka))
        else:
            self._write(encode_response(405, b"", None, ka))
        if not ka:
            self._close()


def _xt_header(xt: int) -> List[Tuple[str, str]]:
    if xt >= XT_MAX:
        return []
    return [("X-Kt-Xt", formatdate(xt, usegmt=True))]


def _parse_xt_header(value: Optional[bytes]) -> Optional[int]:
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.lstrip("-").isdigit():
        return -abs(int(text))  # an absolute time
    try:
        return -int(parsedate_to_datetime(text).timestamp())
    except (TypeError, ValueError):
        return None


class KTServerFactory(Factory):
    """Builds :class:`KTServerProtocol` over one :class:`~txkv.kyoto.kt_state.KTServerState`.

    :param heartbeat: seconds between replication heartbeats.
    """

    def __init__(self, state: KTServerState, heartbeat: float = 1.0) -> None:
        self.state = state
        self.heartbeat = heartbeat

    def buildProtocol(self, addr: Any) -> Protocol:
        proto = KTServerProtocol(self.state)
        proto.factory = self
        return proto


def _db_name(spec: str) -> str:
    base = spec.split("#", 1)[0]
    return base.rsplit("/", 1)[-1] or base


def build_state(
    databases: Sequence[str] = ("*",),
    data_dir: Optional[str] = None,
    clock: Optional[IReactorTime] = None,
    script: Optional[str] = None,
    sid: int = 1,
    ulog: bool = False,
    storage: Any = None,
) -> KTServerState:
    """Server state with one database per spec, stored in ``data_dir`` (LevelDB) or in memory.

    ``script`` is a Lua file whose global functions become procedures (``ktserver -scr``).
    """
    if clock is None:
        from twisted.internet import reactor as _reactor

        clock = _reactor
    assert clock is not None
    if storage is None:
        from txkv.storage import open_storage

        storage = open_storage(data_dir, clock=clock.seconds)
    dbs = []
    for index, spec in enumerate(databases or ("*",)):
        name = _db_name(spec)
        namespace = storage.namespace(f"kt.{index}.{name}")
        dbs.append(KTDatabase(index, name, spec, namespace, clock, sid=sid))
    log = UpdateLogBuffer(clock) if ulog else None
    state = KTServerState(dbs, clock, sid=sid, ulog=log)
    state.storage = storage  # type: ignore[attr-defined]
    if script is not None:
        from txkv.kyoto.kt_script import LuaScripts

        state.scripts = LuaScripts.from_file(script, state)
    return state


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m txkv.kyoto.kt_server",
                                description="txkv's embedded Kyoto Tycoon server")
    p.add_argument("--host", "-host", default="127.0.0.1")
    p.add_argument("--port", "-port", type=int, default=1978,
                   help="0 picks a free port (printed on stdout)")
    p.add_argument("--data", help="directory for persistent (LevelDB) storage")
    p.add_argument("--script", "-scr", help="Lua file of procedures for play_script")
    p.add_argument("--sid", "-sid", type=int, default=1, help="server id for update logs")
    p.add_argument("--ulog", "-ulog", action="store_true",
                   help="keep an update log so clients can replicate")
    p.add_argument("-le", action="store_true", help="ignored (ktserver compatibility)")
    p.add_argument("databases", nargs="*", default=["*"])
    return p.parse_args(list(argv))


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the server until interrupted."""
    from twisted.internet import reactor
    from twisted.internet.endpoints import TCP4ServerEndpoint

    args = _parse_args(sys.argv[1:] if argv is None else argv)
    state = build_state(args.databases, args.data, reactor, args.script, args.sid, args.ulog)
    endpoint = TCP4ServerEndpoint(reactor, args.port, interface=args.host)

    def listening(port: Any) -> None:
        address = port.getHost()
        print(f"txkv-kt listening on {address.host}:{address.port}", flush=True)

    def failed(f: Failure) -> None:
        print(f"txkv-kt cannot listen: {f.getErrorMessage()}", file=sys.stderr, flush=True)
        reactor.stop()

    endpoint.listen(KTServerFactory(state)).addCallbacks(listening, failed)
    reactor.addSystemEventTrigger(
        "after", "shutdown", lambda: state.storage.close())  # type: ignore[attr-defined]
    reactor.run()


if __name__ == "__main__":
    main()


def make_test_factory(**options: Any) -> KTServerFactory:
    """A server factory for ``txkv.testing.start_server("kt", ...)``; options go to
    :func:`build_state` (``databases``, ``data_dir``, ``script``, ``ulog``...)."""
    heartbeat = options.pop("heartbeat", 1.0)
    return KTServerFactory(build_state(**options), heartbeat=heartbeat)
