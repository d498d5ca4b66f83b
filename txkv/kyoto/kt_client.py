"""The asynchronous Kyoto Tycoon client: the seed's ``KyotoTycoon`` API, every call a Deferred.

get/set/remove (and their bulk forms) and Lua scripts use the binary protocol; everything else
uses the HTTP TSV-RPC interface, over persistent pipelined connections.  Both kinds of
connection come from :class:`txkv.connection.ConnectionManager`, so a list of nodes gives
failover, ``pool_size`` gives several connections per node, and ``tls`` wraps them in TLS.
"""

from __future__ import annotations

import itertools
import random
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from twisted.internet.defer import Deferred, fail, gatherResults, maybeDeferred
from twisted.logger import Logger

from txkv.errors import ParameterError
from txkv.kyoto import kt_codec as bc
from txkv.kyoto.client_base import ManagedClient
from txkv.kyoto.kt_codec import XT_NONE
from txkv.kyoto.kt_cursor import KTCursor, cursor_scanner
from txkv.kyoto.kt_errors import KTBinaryError, http_error
from txkv.kyoto.kt_http import HTTPResponse
from txkv.kyoto.kt_protocol import KTBinaryFactory, KTBinaryProtocol, KTHTTPFactory, KTHTTPProtocol
from txkv.kyoto.kt_tsv import decode_body, encode_request_body
from txkv.kyoto.kt_values import ExpireTime, binary_xt, convert_xt
from txkv.kyoto.serializers import KT_BINARY, decode_text, encode_key, raw_bytes, to_bytes
from txkv.scanner import Scanner

__all__ = ["KyotoTycoon"]

_log = Logger(namespace="txkv.kyoto.client")

_B64_CT = b"text/tab-separated-values; colenc=B"

KeyOrKeyDb = Union[Any, Tuple[Any, int]]
Pairs = List[Tuple[bytes, bytes]]

_cursor_ids = itertools.count(random.randrange(1, 2**31))

# stateless reply parsers (each reply is parsed whole and read at once): shared by every request
_GET_ONE = bc.GetOneReplyParser()
_SET_COUNT = bc.CountReplyParser(bc.MAGIC_SET_BULK)


def _b(value: Any) -> bytes:
    return encode_key(value)


def _num(value: Any) -> bytes:
    return str(value).encode("ascii")


class RPCReply:
    """A decoded TSV-RPC reply: ``status`` and the output records (last value per key)."""

    __slots__ = ("status", "pairs", "data")

    def __init__(self, status: int, pairs: Pairs) -> None:
        self.status = status
        self.pairs = pairs
        self.data: Dict[bytes, bytes] = dict(pairs)

    @property
    def ok(self) -> bool:
        return self.status == 200


class KyotoTycoon(ManagedClient):
    """Client of a Kyoto Tycoon server (or txkv's embedded one).

    :param host: server host (ignored when ``nodes`` is given).
    :param port: server port.
    :param serializer: value serializer: ``KT_BINARY`` (default), ``KT_JSON``, ``KT_MSGPACK``,
        ``KT_NONE`` or ``KT_PICKLE`` (or a :class:`txkv.serializers.Serializer`).
    :param decode_keys: return keys as str (UTF-8; bytes when not valid UTF-8) instead of bytes.
    :param timeout: seconds before a request fails with RequestTimeoutError (None: never).
    :param default_db: database index used when a call gives no ``db``.
    :param nodes: ``"host:port"`` strings, endpoint strings or endpoints to fail over across.
    :param reactor: reactor (for tests: a clock + connector); default the global reactor.
    :param tls: an ``IOpenSSLClientConnectionCreator`` (see :func:`txkv.tls.client_tls`).
    :param pool_size: connections per node and per kind (binary / HTTP).
    :param connect_timeout: seconds to wait for a connection before failing a request.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1978,
        serializer: Any = KT_BINARY,
        decode_keys: bool = True,
        timeout: Optional[float] = None,
        default_db: int = 0,
        *,
        nodes: Optional[Sequence[Any]] = None,
        reactor: Any = None,
        tls: Any = None,
        pool_size: int = 1,
        retry_policy: Optional[Callable[[int], float]] = None,
        connect_timeout: float = 10.0,
    ) -> None:
        super().__init__(host, port, serializer, decode_keys, timeout, nodes=nodes,
                         reactor=reactor, tls=tls, pool_size=pool_size,
                         retry_policy=retry_policy, connect_timeout=connect_timeout)
        self.default_db = default_db
        self._binary: Any = None
        self._http: Any = None
        self._binary_proto: Optional[KTBinaryProtocol] = None
        self._http_proto: Optional[KTHTTPProtocol] = None

    # -- connections ------

    def binary_connection(self) -> Deferred[KTBinaryProtocol]:
        """A live binary-protocol connection (connecting on first use)."""
        if self._binary is None:
            self._binary = self._start_manager(KTBinaryFactory(self.reactor, self.timeout))
        return self._live_connection(self._binary)

    def http_connection(self) -> Deferred[KTHTTPProtocol]:
        """A live HTTP connection (connecting on first use)."""
        if self._http is None:
            self._http = self._start_manager(KTHTTPFactory(self.reactor, self.timeout))
        return self._live_connection(self._http)

    def connect(self) -> Deferred[KyotoTycoon]:
        """Open the binary and HTTP connections now; fires with the client."""
        both: List[Deferred[Any]] = [self.binary_connection(), self.http_connection()]
        return gatherResults(both,
                             consumeErrors=True).addCallback(lambda _: self)

    def close(self) -> Deferred[None]:
        """Close every connection (pending requests fail with ConnectionLostError)."""
        stops: List[Deferred[Any]] = []
        self._binary_proto = self._http_proto = None
        for name in ("_binary", "_http"):
            manager = getattr(self, name)
            setattr(self, name, None)
            if manager is not None:
                stops.append(maybeDeferred(manager.stopService))
        return gatherResults(stops, consumeErrors=True).addCallback(lambda _: None)

    close_all = close

    def set_database(self, db: int = 0) -> None:
        """Use ``db`` when a call names no database."""
        self.default_db = db

    def _db(self, db: Optional[int]) -> int:
        return self.default_db if db is None else db

    # -- binary protocol ------

    def _binary_request(self, frame: bytes, parser: Optional[bc.FrameParser],
                        op: str) -> Deferred[Any]:
        proto = self._binary_proto
        if proto is not None and proto.usable and self.pool_size == 1:
            # the connection used last is still good: no need to ask the manager
            if parser is not None:
                return proto._send(frame, parser, op, None)
            return proto.request(frame, parser, op)

        def send(proto: KTBinaryProtocol) -> Deferred[Any]:
            self._binary_proto = proto
            return proto.request(frame, parser, op)

        return self.binary_connection().addCallback(send)

    def _found_decoders(self, decode_values: bool) -> Tuple[Callable[[bytes], Any],
                                                            Optional[Callable[[bytes], Any]]]:
        """``(key decoder, value decoder)`` for records read by a get; the value decoder is None
        when the parsed bytes are already the answer."""
        decode = self.decode_value if decode_values else None
        return (decode_text if self.decode_keys else bytes,
                None if decode is raw_bytes else decode)

    def _get_records(self, records: List[Tuple[int, bytes]], op: str
                     ) -> Deferred[List[Tuple[int, bytes, bytes, int]]]:
        return self._binary_request(bc.encode_get_bulk(records), bc.GetBulkReplyParser(), op)

    def get_bulk_details(self, db_key_list: Iterable[Tuple[int, Any]],
                         decode_values: bool = True) -> Deferred[List[Tuple[int, Any, Any, int]]]:
        """``[(db, key, value, xt), ...]`` for the ``(db, key)`` pairs that exist; ``xt`` is the
        absolute expiry (``0xFFFFFFFFFF`` when the record never expires)."""
        try:
            records = [(db, _b(key)) for db, key in db_key_list]
        except Exception as e:
            return fail(e)
        key_of, decode = self._found_decoders(decode_values)

        def convert(found: List[Tuple[int, bytes, bytes, int]]) -> List[Tuple[int, Any, Any, int]]:
            if decode is None:
                return [(db, key_of(k), v, xt) for db, k, v, xt in found]
            return [(db, key_of(k), decode(v), xt) for db, k, v, xt in found]

        return self._get_records(records, "get_bulk").addCallback(convert)

    def get_bulk(self, keys: Iterable[Any], db: Optional[int] = None,
                 decode_values: bool = True) -> Deferred[Dict[Any, Any]]:
        """``{key: value}`` of the keys that exist."""
        dbi = self._db(db)
        try:
            records = [(dbi, k if type(k) is bytes else _b(k)) for k in keys]
        except Exception as e:
            return fail(e)
        key_of, decode = self._found_decoders(decode_values)

        def to_dict(found: List[Tuple[int, bytes, bytes, int]]) -> Dict[Any, Any]:
            if decode is None:
                return {key_of(k): v for _db, k, v, _xt in found}
            return {key_of(k): decode(v) for _db, k, v, _xt in found}

        return self._get_records(records, "get_bulk").addCallback(to_dict)

    def get(self, key: Any, db: Optional[int] = None, decode_value: bool = True) -> Deferred[Any]:
        """The value at ``key`` or None."""
        try:
            frame = bc.encode_get_one(self.default_db if db is None else db,
                                      key if type(key) is bytes else _b(key))
        except Exception as e:
            return fail(e)
        d = self._binary_request(frame, _GET_ONE, "get")
        decode = self.decode_value
        if decode_value and decode is not raw_bytes:  # the parser's result is bytes already
            d.addCallback(_decoded, decode)
        return d

    def get_bytes(self, key: Any, db: Optional[int] = None) -> Deferred[Optional[bytes]]:
        """The raw bytes at ``key`` (no deserialization) or None."""
        return self.get(key, db, False)

    def expire_time(self, key: Any, db: Optional[int] = None) -> Deferred[Optional[int]]:
        """Absolute expiry of ``key`` (``0xFFFFFFFFFF`` = never) or None when missing."""
        return self.get_bulk_details([(self._db(db), key)], False).addCallback(
            lambda found: found[0][3] if found else None)

    def set_bulk_details(self, data: Iterable[Tuple[int, Any, Any, ExpireTime]],
                         no_reply: bool = False, encode_values: bool = True) -> Deferred[Any]:
        """Store ``(db, key, value, expire_time)`` records; fires with the number stored
        (None with ``no_reply``)."""
        encode = self.encode_value if encode_values else _b
        try:
            records = [(db, _b(k), encode(v), binary_xt(xt)) for db, k, v, xt in data]
        except Exception as e:
            return fail(e)
        return self._set_records(records, no_reply)

    def _set_records(self, records: List[Tuple[int, bytes, bytes, int]],
                     no_reply: bool) -> Deferred[Any]:
        parser = None if no_reply else bc.CountReplyParser(bc.MAGIC_SET_BULK)
        return self._binary_request(bc.encode_set_bulk(records, no_reply), parser, "set_bulk")

    def set_bulk(self, __data: Optional[Mapping[Any, Any]] = None, db: Optional[int] = None,
                 expire_time: ExpireTime = None, no_reply: bool = False,
                 encode_values: bool = True, **kwargs: Any) -> Deferred[Any]:
        """Store many key/value pairs; fires with the number stored."""
        data: Mapping[Any, Any]
        if kwargs or not isinstance(__data, Mapping):
            data = dict(__data or {})  # also takes (key, value) pairs
            data.update(kwargs)
        else:
            data = __data
        dbi = self._db(db)
        encode = self.encode_value if encode_values else _b
        try:
            xt = binary_xt(expire_time)  # one expiry for every record
            records = [(dbi, k if type(k) is bytes else _b(k), encode(v), xt)
                       for k, v in data.items()]
        except Exception as e:
            return fail(e)
        return self._set_records(records, no_reply)

    def set(self, key: Any, value: Any, db: Optional[int] = None,
            expire_time: ExpireTime = None, no_reply: bool = False,
            encode_value: bool = True) -> Deferred[Any]:
        """Store one value; fires with 1 (None with ``no_reply``)."""
        encode = self.encode_value
        try:
            if not encode_value:
                raw = _b(value)
            elif type(value) is bytes and encode is to_bytes:
                raw = value  # KT_BINARY / KT_NONE store bytes as they are
            else:
                raw = encode(value)
            frame = bc.encode_set_one(self.default_db if db is None else db,
                                      key if type(key) is bytes else _b(key), raw,
                                      XT_NONE if expire_time is None else binary_xt(expire_time),
                                      no_reply)
        except Exception as e:
            return fail(e)
        return self._binary_request(frame, None if no_reply else _SET_COUNT, "set")

    def set_bytes(self, key: Any, value: bytes, db: Optional[int] = None,
                  expire_time: ExpireTime = None, no_reply: bool = False) -> Deferred[Any]:
        """Store raw bytes (no serialization)."""
        return self.set(key, value, db, expire_time, no_reply, False)

    def remove_bulk_details(self, db_key_list: Iterable[Tuple[int, Any]],
                            no_reply: bool = False) -> Deferred[Any]:
        """Remove ``(db, key)`` records; fires with the number removed."""
        try:
            records = [(db, _b(key)) for db, key in db_key_list]
        except Exception as e:
            return fail(e)
        parser = None if no_reply else bc.CountReplyParser(bc.MAGIC_REMOVE_BULK)
        return self._binary_request(bc.encode_remove_bulk(records, no_reply), parser,
                                    "remove_bulk")

    def remove_bulk(self, keys: Iterable[Any], db: Optional[int] = None,
                    no_reply: bool = False) -> Deferred[Any]:
        """Remove keys; fires with the number removed."""
        dbi = self._db(db)
        return self.remove_bulk_details([(dbi, k) for k in keys], no_reply)

    def remove(self, key: Any, db: Optional[int] = None, no_reply: bool = False) -> Deferred[Any]:
        """Remove one key; fires with 1 or 0."""
        return self.remove_bulk_details([(self._db(db), key)], no_reply)

    def script(self, name: str, __data: Optional[Mapping[Any, Any]] = None,
               encode_values: bool = True, no_reply: bool = False, decode_values: bool = True,
               **kwargs: Any) -> Deferred[Any]:
        """Run the server's Lua procedure ``name`` with a map of arguments; fires with its
        output map (values deserialized when ``decode_values``)."""
        data = dict(__data or {})
        data.update(kwargs)
        encode = self.encode_value if encode_values else _b
        try:
            items = [(_b(k), encode(v)) for k, v in data.items()]
            frame = bc.encode_play_script(_b(name), items, no_reply)
        except Exception as e:
            return fail(e)
        parser = None if no_reply else bc.PlayScriptReplyParser()
        decode = self.decode_value if decode_values else bytes

        def convert(out: Optional[List[Tuple[bytes, bytes]]]) -> Optional[Dict[Any, Any]]:
            if out is None:
                return None
            return {self._key(k): decode(v) for k, v in out}

        return self._binary_request(frame, parser, f"play_script {name}").addCallback(convert)

    play_script = script

    def raw_script(self, name: str, __data: Optional[Mapping[Any, Any]] = None,
                   no_reply: bool = False) -> Deferred[Any]:
        """Run a procedure without serializing inputs or deserializing outputs (bytes keys)."""
        data = dict(__data or {})
        try:
            items = [(_b(k), _b(v)) for k, v in data.items()]
            frame = bc.encode_play_script(_b(name), items, no_reply)
        except Exception as e:
            return fail(e)
        parser = None if no_reply else bc.PlayScriptReplyParser()
        return self._binary_request(frame, parser, f"play_script {name}").addCallback(
            lambda out: None if out is None else dict(out))

    # -- HTTP RPC ------------------------------------------------------------------------------

    def rpc(self, name: str, params: Sequence[Tuple[Any, Any]] = (),
            db: Union[int, None, bool] = None, allowed: Tuple[int, ...] = (),
            atomic: bool = False, connection: Optional[KTHTTPProtocol] = None
            ) -> Deferred[RPCReply]:
        """Call procedure ``/rpc/name``.  ``db=False`` sends no ``DB``; statuses in ``allowed``
        (besides 200) are returned instead of raised as :class:`KTHTTPError`."""
        pairs: Pairs = []
        if db is not False:
            pairs.append((b"DB", _num(self._db(db if db is not True else None))))
        if atomic:
            pairs.append((b"atomic", b""))
        try:
            pairs.extend((_b(k), _b(v)) for k, v in params)
        except Exception as e:
            return fail(e)
        body = encode_request_body(pairs)
        path = b"/rpc/" + name.encode("ascii")

        def send(proto: KTHTTPProtocol) -> Deferred[HTTPResponse]:
            return proto.request(path, body, _B64_CT, name)

        def decode(response: HTTPResponse) -> RPCReply:
            reply = RPCReply(response.status, decode_body(response.body, response.content_type))
            if reply.status != 200 and reply.status not in allowed:
                message = reply.data.get(b"ERROR")
                raise http_error(reply.status, None if message is None else
                                 message.decode("utf-8", "replace"), op=name)
            return reply

        if connection is None and self._ready(self._http_proto):
            connection = self._http_proto
        if connection is not None:
            return send(connection).addCallback(decode)

        def remember(proto: KTHTTPProtocol) -> KTHTTPProtocol:
            self._http_proto = proto
            return proto

        return self.http_connection().addCallback(remember).addCallback(send).addCallback(
            decode)

    def _rpc_status(self, name: str, params: Sequence[Tuple[Any, Any]],
                    db: Optional[int] = None, **kw: Any) -> Deferred[bool]:
        return self.rpc(name, params, db, (450,), **kw).addCallback(lambda r: r.ok)

    @staticmethod
    def _xt_params(expire_time: ExpireTime) -> List[Tuple[bytes, bytes]]:
        xt = convert_xt(expire_time)
        return [] if xt is None else [(b"xt", _num(xt))]

    def report(self) -> Deferred[Dict[str, Any]]:
        """Server-wide report (``db_0``, ``cnt_*``, ``conf_*``...); numbers converted."""
        return self.rpc("report", (), db=False).addCallback(
            lambda r: {str(decode_text(k)): _number(v) for k, v in r.pairs})

    def status(self, db: Optional[int] = None) -> Deferred[Dict[str, Any]]:
        """Status of a database (``count``, ``size``, ``path``...); integers converted."""
        return self.rpc("status", (), db).addCallback(
            lambda r: {str(decode_text(k)): _number(v, floats=False) for k, v in r.pairs})

    def count(self, db: Optional[int] = None) -> Deferred[int]:
        """Number of records in a database."""
        return self.status(db).addCallback(lambda s: int(s.get("count") or 0))

    @property
    def size(self) -> Deferred[int]:
        """The seed's ``size`` property: size in bytes of the default database, as a Deferred
        (``status(db)["size"]`` for another database)."""
        return self.status().addCallback(lambda s: int(s.get("size") or 0))

    @property
    def path(self) -> Deferred[str]:
        """The seed's ``path`` property: path of the default database, as a Deferred."""
        return self.status().addCallback(lambda s: str(s.get("path", "")))

    def databases(self) -> Deferred[List[str]]:
        """Paths of every database, by index."""

        def extract(report: Dict[str, Any]) -> List[str]:
            found = []
            for key, value in report.items():
                suffix = key[3:]
                if key.startswith("db_") and suffix.isdigit():
                    found.append((int(suffix), str(value).split("path=", 1)[-1]))
            return [p for _i, p in sorted(found)]

        return self.report().addCallback(extract)

    def clear(self, db: Optional[int] = None) -> Deferred[bool]:
        """Remove every record of a database."""
        return self.rpc("clear", (), db).addCallback(lambda r: r.ok)

    def synchronize(self, hard: bool = False, command: Optional[str] = None,
                    db: Optional[int] = None) -> Deferred[bool]:
        """Flush a database to disk (``hard``: physically)."""
        params: List[Tuple[Any, Any]] = []
        if hard:
            params.append((b"hard", b""))
        if command is not None:
            params.append((b"command", command))
        return self._rpc_status("synchronize", params, db)

    def vacuum(self, step: int = 0, db: Optional[int] = None) -> Deferred[bool]:
        """Reclaim space (``step`` > 0: a partial pass)."""
        params = [(b"step", _num(step))] if step > 0 else []
        return self.rpc("vacuum", params, db).addCallback(lambda r: r.ok)

    def _write(self, proc: str, key: Any, value: Any, db: Optional[int],
               expire_time: ExpireTime, encode_value: bool) -> Deferred[bool]:
        try:
            raw = self.encode_value(value) if encode_value else _b(value)
        except Exception as e:
            return fail(e)
        params = [(b"key", key), (b"value", raw)] + self._xt_params(expire_time)
        return self._rpc_status(proc, params, db)

    def set_http(self, key: Any, value: Any, db: Optional[int] = None,
                 expire_time: ExpireTime = None, encode_value: bool = True) -> Deferred[bool]:
        """``set`` through HTTP RPC."""
        return self._write("set", key, value, db, expire_time, encode_value)

    def add(self, key: Any, value: Any, db: Optional[int] = None,
            expire_time: ExpireTime = None, encode_value: bool = True) -> Deferred[bool]:
        """Store only if ``key`` is absent; fires True when stored."""
        return self._write("add", key, value, db, expire_time, encode_value)

    def replace(self, key: Any, value: Any, db: Optional[int] = None,
                expire_time: ExpireTime = None, encode_value: bool = True) -> Deferred[bool]:
        """Store only if ``key`` exists; fires True when stored."""
        return self._write("replace", key, value, db, expire_time, encode_value)

    def append(self, key: Any, value: Any, db: Optional[int] = None,
               expire_time: ExpireTime = None, encode_value: bool = True) -> Deferred[bool]:
        """Append to the value at ``key`` (a plain set when missing)."""
        return self._write("append", key, value, db, expire_time, encode_value)

    def get_http(self, key: Any, db: Optional[int] = None,
                 decode_value: bool = True) -> Deferred[Any]:
        """``get`` through HTTP RPC."""
        return self.rpc("get", [(b"key", key)], db, (450,)).addCallback(
            lambda r: (self.decode_value(r.data[b"value"]) if decode_value
                       else r.data[b"value"]) if r.ok else None)

    def remove_http(self, key: Any, db: Optional[int] = None) -> Deferred[int]:
        """``remove`` through HTTP RPC; fires with 1 or 0."""
        return self.rpc("remove", [(b"key", key)], db, (450,)).addCallback(
            lambda r: 1 if r.ok else 0)

    def set_bulk_http(self, data: Mapping[Any, Any], db: Optional[int] = None,
                      expire_time: ExpireTime = None, atomic: bool = True,
                      encode_values: bool = True) -> Deferred[int]:
        """``set_bulk`` through HTTP RPC."""
        encode = self.encode_value if encode_values else _b
        try:
            params = self._xt_params(expire_time) + [
                (b"_" + _b(k), encode(v)) for k, v in data.items()]
        except Exception as e:
            return fail(e)
        return self.rpc("set_bulk", params, db, atomic=atomic).addCallback(
            lambda r: int(r.data[b"num"]))

    def remove_bulk_http(self, keys: Iterable[Any], db: Optional[int] = None,
                         atomic: bool = True) -> Deferred[int]:
        """``remove_bulk`` through HTTP RPC."""
        params = [(b"_" + _b(k), b"") for k in keys]
        return self.rpc("remove_bulk", params, db, atomic=atomic).addCallback(
            lambda r: int(r.data[b"num"]))

    def get_bulk_http(self, keys: Iterable[Any], db: Optional[int] = None,
                      decode_values: bool = True, atomic: bool = True) -> Deferred[Dict[Any, Any]]:
        """``get_bulk`` through HTTP RPC."""
        params = [(b"_" + _b(k), b"") for k in keys]
        decode = self.decode_value if decode_values else bytes

        def convert(r: RPCReply) -> Dict[Any, Any]:
            return {self._key(k[1:]): decode(v) for k, v in r.pairs if k[:1] == b"_"}

        return self.rpc("get_bulk", params, db, atomic=atomic).addCallback(convert)

    def incr(self, key: Any, n: int = 1, orig: Optional[Union[int, str]] = None,
             db: Optional[int] = None, expire_time: ExpireTime = None) -> Deferred[int]:
        """Add ``n`` to the 8-byte integer at ``key`` (``orig``: start value when missing,
        ``"try"`` to fail when missing, ``"set"`` to overwrite); fires with the new value."""
        params = [(b"key", key), (b"num", _num(int(n)))]
        if orig is not None:
            params.append((b"orig", _num(orig)))
        params += self._xt_params(expire_time)
        return self.rpc("increment", params, db).addCallback(lambda r: int(r.data[b"num"]))

    increment = incr

    def incr_double(self, key: Any, n: float = 1.0, orig: Optional[Union[float, str]] = None,
                    db: Optional[int] = None, expire_time: ExpireTime = None) -> Deferred[float]:
        """Add ``n`` to the fixed-point double at ``key``; fires with the new value."""
        params = [(b"key", key), (b"num", _num(float(n)))]
        if orig is not None:
            params.append((b"orig", _num(orig)))
        params += self._xt_params(expire_time)
        return self.rpc("increment_double", params, db).addCallback(
            lambda r: float(r.data[b"num"]))

    increment_double = incr_double

    def cas(self, key: Any, old_val: Any, new_val: Any, db: Optional[int] = None,
            expire_time: ExpireTime = None, encode_value: bool = True) -> Deferred[bool]:
        """Compare-and-swap: store ``new_val`` only if the value is ``old_val`` (None: absent);
        ``new_val`` None removes the record.  Fires True on success."""
        if old_val is None and new_val is None:
            return fail(ParameterError("cas needs old_val and/or new_val"))
        encode = self.encode_value if encode_value else _b
        params: List[Tuple[Any, Any]] = [(b"key", key)]
        try:
            if old_val is not None:
                params.append((b"oval", encode(old_val)))
            if new_val is not None:
                params.append((b"nval", encode(new_val)))
        except Exception as e:
            return fail(e)
        params += self._xt_params(expire_time)
        return self._rpc_status("cas", params, db)

    def exists(self, key: Any, db: Optional[int] = None) -> Deferred[bool]:
        """True when ``key`` exists."""
        return self._rpc_status("check", [(b"key", key)], db)

    check = exists

    def length(self, key: Any, db: Optional[int] = None) -> Deferred[Optional[int]]:
        """Size of the value at ``key`` or None."""
        return self.rpc("check", [(b"key", key)], db, (450,)).addCallback(
            lambda r: int(r.data[b"vsiz"]) if r.ok else None)

    def seize(self, key: Any, db: Optional[int] = None, decode_value: bool = True) -> Deferred[Any]:
        """Get and remove the value at ``key`` atomically (None when missing)."""
        return self.rpc("seize", [(b"key", key)], db, (450,)).addCallback(
            lambda r: (self.decode_value(r.data[b"value"]) if decode_value
                       else r.data[b"value"]) if r.ok else None)

    pop = seize

    def _match(self, proc: str, params: List[Tuple[Any, Any]], max_keys: Optional[int],
               db: Optional[int]) -> Deferred[List[Any]]:
        if max_keys is not None:
            params.append((b"max", _num(int(max_keys))))

        def keys(r: RPCReply) -> List[Any]:
            found = [(int(v), k[1:]) for k, v in r.pairs if k[:1] == b"_"]
            found.sort()
            return [self._key(k) for _i, k in found]

        return self.rpc(proc, params, db).addCallback(keys)

    def match_prefix(self, prefix: Any, max_keys: Optional[int] = None,
                     db: Optional[int] = None) -> Deferred[List[Any]]:
        """Keys starting with ``prefix``, in order."""
        return self._match("match_prefix", [(b"prefix", prefix)], max_keys, db)

    def match_regex(self, regex: Any, max_keys: Optional[int] = None,
                    db: Optional[int] = None) -> Deferred[List[Any]]:
        """Keys matching a regular expression, in order."""
        return self._match("match_regex", [(b"regex", regex)], max_keys, db)

    def match_similar(self, origin: Any, distance: Optional[int] = None,
                      max_keys: Optional[int] = None, db: Optional[int] = None
                      ) -> Deferred[List[Any]]:
        """Keys within ``distance`` (default 1) edits of ``origin``, nearest first."""
        params: List[Tuple[Any, Any]] = [(b"origin", origin), (b"utf", b"true")]
        if distance is not None:
            params.append((b"range", _num(int(distance))))
        return self._match("match_similar", params, max_keys, db)

    def ulog_list(self) -> Deferred[List[Tuple[str, int, int]]]:
        """Update-log files: ``(path, size, last_timestamp_ns)``."""

        def parse(r: RPCReply) -> List[Tuple[str, int, int]]:
            out = []
            for k, v in r.pairs:
                size, _, ts = v.decode("ascii", "replace").partition(":")
                out.append((decode_text(k) if isinstance(decode_text(k), str) else repr(k),
                            int(size or 0), int(ts or 0)))
            return out  # type: ignore[return-value]

        return self.rpc("ulog_list", (), db=False).addCallback(parse)

    def ulog_remove(self, max_ts_ns: Optional[int] = None) -> Deferred[bool]:
        """Remove update logs older than ``max_ts_ns`` (default: now)."""
        ts = b"now" if max_ts_ns is None else _num(int(max_ts_ns))
        return self.rpc("ulog_remove", [(b"ts", ts)], db=False).addCallback(lambda r: r.ok)

    # -- cursors and scans ------

    def cursor(self, db: Optional[int] = None, cursor_id: Optional[int] = None,
               decode_values: bool = True, encode_values: bool = True) -> KTCursor:
        """A server-side cursor, pinned to one HTTP connection for its whole life."""
        return KTCursor(self, next(_cursor_ids) if cursor_id is None else cursor_id,
                        self._db(db), decode_values, encode_values)

    def keys(self, db: Optional[int] = None, page_size: int = 100) -> Scanner[Any]:
        """Every key in order, as a scanner (push producer, ``get_next``, ``collect``)."""
        return cursor_scanner(self.cursor(db), "key", page_size)

    def items(self, db: Optional[int] = None, page_size: int = 100) -> Scanner[Any]:
        """Every ``(key, value)`` in key order, as a scanner."""
        return cursor_scanner(self.cursor(db), "item", page_size)

    def values(self, db: Optional[int] = None, page_size: int = 100) -> Scanner[Any]:
        """Every value in key order, as a scanner."""
        return cursor_scanner(self.cursor(db), "value", page_size)

    def keys_nonlazy(self, db: Optional[int] = None) -> Deferred[List[Any]]:
        """Every key in one call (``match_prefix("")``)."""
        return self.match_prefix(b"", db=db)

    def replicate(self, sid: Optional[int] = None, timestamp: Optional[float] = None,
                  white_sid: bool = False, decode_values: bool = True, *,
                  retry_policy: Optional[Callable[[int], float]] = None,
                  failover_after: int = 3, high_water: int = 10_000) -> Any:
        """Tail the server's update log from ``timestamp`` (seconds; default now), as a scanner
        of dicts ``{sid, db, op, key, value, xt, ts}``; it resumes after reconnecting (with
        ``retry_policy``, default the client's), moves to the next node after
        ``failover_after`` failed attempts in a row, and stops reading from the socket while
        ``high_water`` logs wait for the consumer."""
        from txkv.kyoto.kt_replication import ReplicationScanner

        return ReplicationScanner(self, sid, timestamp, white_sid, decode_values,
                                  retry_policy=retry_policy, failover_after=failover_after,
                                  high_water=high_water)

    # -- mapping-style helpers ------

    def _key_db(self, item: KeyOrKeyDb) -> Tuple[Any, int]:
        if isinstance(item, tuple):
            return item[0], item[1]
        return item, self.default_db

    def item(self, key_or_keydb: KeyOrKeyDb) -> Deferred[Any]:
        """``client[key]`` / ``client[key, db]`` as a Deferred."""
        key, db = self._key_db(key_or_keydb)
        return self.get(key, db)

    def set_item(self, key_or_keydb: KeyOrKeyDb, value_or_valueexpire: Any) -> Deferred[Any]:
        """``client[key] = value`` / ``client[key, db] = (value, expire_time)``."""
        key, db = self._key_db(key_or_keydb)
        if isinstance(value_or_valueexpire, tuple):
            value, expire = value_or_valueexpire
        else:
            value, expire = value_or_valueexpire, None
        return self.set(key, value, db, expire)

    def del_item(self, key_or_keydb: KeyOrKeyDb) -> Deferred[Any]:
        """``del client[key]``."""
        key, db = self._key_db(key_or_keydb)
        return self.remove(key, db)

    def contains(self, key_or_keydb: KeyOrKeyDb) -> Deferred[bool]:
        """``key in client``."""
        key, db = self._key_db(key_or_keydb)
        return self.exists(key, db)

    def len(self) -> Deferred[int]:
        """``len(client)``: records in the default database."""
        return self.count()

    def update(self, __data: Optional[Mapping[Any, Any]] = None, db: Optional[int] = None,
               expire_time: ExpireTime = None, **kwargs: Any) -> Deferred[Any]:
        """Same as :meth:`set_bulk`."""
        return self.set_bulk(__data, db, expire_time, **kwargs)

    # The seed's dunders.  Python needs a plain int/bool from ``len()`` and ``in``, and drops
    # what ``client[k] = v`` returns, so :meth:`len`, :meth:`contains`, :meth:`set_item` and
    # :meth:`del_item` are the Deferred forms to use.

    def __getitem__(self, key_or_keydb: KeyOrKeyDb) -> Deferred[Any]:
        """``client[key]`` / ``client[key, db]``: a Deferred of :meth:`get`."""
        return self.item(key_or_keydb)

    def __setitem__(self, key_or_keydb: KeyOrKeyDb, value_or_valueexpire: Any) -> None:
        """``client[key] = value`` / ``client[key, db] = (value, expire_time)``: sends the
        :meth:`set` (a failure is logged; use :meth:`set_item` to wait for it)."""
        self._log_unobserved(self.set_item(key_or_keydb, value_or_valueexpire), "set")

    def __delitem__(self, key_or_keydb: KeyOrKeyDb) -> None:
        """``del client[key]``: sends the :meth:`remove` (use :meth:`del_item` to wait)."""
        self._log_unobserved(self.del_item(key_or_keydb), "remove")



def _decoded(raw: Optional[bytes], decode: Callable[[bytes], Any]) -> Any:
    return None if raw is None else decode(raw)


def _number(raw: bytes, floats: bool = True) -> Any:
    text = decode_text(raw)
    if not isinstance(text, str):
        return text
    stripped = text[1:] if text.startswith("-") else text
    if stripped.isdigit():
        return int(text)
    if floats and "." in text:
        whole, _, frac = text.partition(".")
        if whole.isdigit() and frac.isdigit():
            return float(text)
    return text


# KTBinaryError is re-exported for ``except`` clauses next to the client.
__all__ += ["KTBinaryError", "RPCReply"]
