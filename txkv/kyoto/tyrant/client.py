"""The asynchronous Tokyo Tyrant client: the seed's ``TokyoTyrant`` API, every call a Deferred.

Connections come from :class:`txkv.connection.ConnectionManager`: a list of nodes gives
failover, ``pool_size`` several pipelined connections per node, ``tls`` wraps them in TLS.
Requests are pipelined on a connection; the Tokyo Tyrant protocol answers in order.
"""

from __future__ import annotations

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

from twisted.internet.defer import Deferred, fail, gatherResults, maybeDeferred, succeed
from twisted.logger import Logger

from txkv.errors import ParameterError, ServerError
from txkv.kyoto.client_base import ManagedClient, first_error
from txkv.kyoto.serializers import TT_TABLE, decode_text, encode_key, value_codec
from txkv.kyoto.serializers import to_bytes as _to_bytes
from txkv.kyoto.tyrant import codec
from txkv.kyoto.tyrant.codec import Cmd, Reply
from txkv.kyoto.tyrant.protocol import TokyoTyrantFactory, TokyoTyrantProtocol
from txkv.scanner import PagedScanner, Scanner

__all__ = ["TokyoTyrant", "TokyoTyrantError", "table_codec", "INDEX_LEXICAL", "INDEX_DECIMAL",
           "INDEX_TOKEN", "INDEX_QGRAM", "INDEX_OPTIMIZE", "INDEX_DELETE", "INDEX_KEEP"]

_log = Logger(namespace="txkv.kyoto.tyrant.client")

# setindex types (``TDBIT*``)
INDEX_LEXICAL = 0
INDEX_DECIMAL = 1
INDEX_TOKEN = 2
INDEX_QGRAM = 3
INDEX_OPTIMIZE = 9998
INDEX_DELETE = 9999
INDEX_KEEP = 1 << 24

_KEYS_BATCH = 64  # iternext requests pipelined at once by keys()


class TokyoTyrantError(ServerError):
    """The server answered a request with a failure code."""


def _encode_table(columns: Mapping[Any, Any]) -> bytes:
    if not isinstance(columns, Mapping):
        raise ParameterError(f"TT_TABLE values must be mappings, not {type(columns).__name__}")
    try:
        return codec.encode_table({_to_bytes(k): _to_bytes(v) for k, v in columns.items()})
    except ValueError as e:
        raise ParameterError(str(e)) from None


def _decode_table(data: bytes) -> Dict[Any, Any]:
    return {decode_text(k): decode_text(v) for k, v in codec.decode_table(data).items()}


def table_codec() -> Tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """``(encode, decode)`` of ``TT_TABLE``: dict <-> ``name\\0value\\0...`` (text decoded)."""
    return _encode_table, _decode_table


def _num(value: Any) -> bytes:
    return str(int(value)).encode("ascii")


def _pack_query(args: Sequence[Any]) -> bytes:
    return b"\0".join(_to_bytes(a) for a in args)


class TokyoTyrant(ManagedClient):
    """Client of a Tokyo Tyrant server (or txkv's embedded one).

    :param host: server host (ignored when ``nodes`` is given).
    :param port: server port.
    :param serializer: value serializer: ``KT_BINARY`` (default), ``KT_JSON``, ``KT_MSGPACK``,
        ``KT_NONE``, ``KT_PICKLE`` or ``TT_TABLE`` (dict values of a table database).
    :param decode_keys: return keys as str (UTF-8; bytes when not valid UTF-8), else bytes.
    :param timeout: seconds before a request fails with RequestTimeoutError (None: never).
    :param nodes: ``"host:port"`` strings, endpoint strings or endpoints to fail over across.
    :param reactor: reactor (tests: a memory reactor); default the global reactor.
    :param tls: TLS for ``host:port`` nodes (see :func:`txkv.tls.client_tls`).
    :param pool_size: connections per node.
    :param retry_policy: ``failed attempts -> delay`` for reconnecting.
    :param connect_timeout: seconds to wait for a connection before a request fails.
    """

    _manager: Any = None  # the connection manager, started on first use
    _proto: Optional[TokyoTyrantProtocol] = None  # the connection used last

    @staticmethod
    def _value_codec(serializer: Any) -> Tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
        if isinstance(serializer, str) and serializer.lower() == TT_TABLE:
            return table_codec()
        return value_codec(serializer)

    # -- connections ------------------------------------------------------------------------

    def connection(self) -> Deferred[TokyoTyrantProtocol]:
        """A live connection (the connection manager starts on first use)."""
        if self._manager is None:
            self._manager = self._start_manager(TokyoTyrantFactory(self.reactor, self.timeout))
        return self._live_connection(self._manager)

    def connect(self) -> Deferred[TokyoTyrant]:
        """Connect now; fires with the client."""
        return self.connection().addCallback(lambda _: self)

    def close(self) -> Deferred[None]:
        """Close every connection (pending requests fail with ConnectionLostError)."""
        manager, self._manager = self._manager, None
        self._proto = None
        if manager is None:
            return succeed(None)
        return maybeDeferred(manager.stopService).addCallback(lambda _: None)

    # -- plumbing ---------------------------------------------------------------------------

    def _with_connection(self, use: Callable[[TokyoTyrantProtocol], Any]) -> Deferred[Any]:
        proto = self._proto
        if self._ready(proto):
            assert proto is not None
            return use(proto)

        def remember(proto: TokyoTyrantProtocol) -> Any:
            self._proto = proto
            return use(proto)

        return self.connection().addCallback(remember)

    def request(self, cmd: int, frame: bytes) -> Deferred[Reply]:
        """Send one encoded request; fire with its :class:`~txkv.kyoto.tyrant.codec.Reply`."""
        return self._with_connection(lambda proto: proto.request(cmd, frame))

    def pipeline(self, requests: Sequence[Tuple[int, bytes]]) -> Deferred[List[Reply]]:
        """Send several requests in one write on one connection; fire with every reply."""
        def send(proto: TokyoTyrantProtocol) -> Deferred[List[Reply]]:
            return gatherResults(proto.pipeline(requests), consumeErrors=True).addErrback(
                first_error)

        return self._with_connection(send)

    def _value(self, data: bytes, decode: bool = True) -> Any:
        return self.decode_value(data) if decode else data

    def _encode(self, value: Any, encode: bool = True) -> bytes:
        return self.encode_value(value) if encode else _to_bytes(value)

    def _code(self, cmd: int, frame: bytes) -> Deferred[bool]:
        return self.request(cmd, frame).addCallback(lambda r: r.ok)

    def _raise(self, op: str, message: str) -> Callable[[Reply], Any]:
        def check(reply: Reply) -> Any:
            if not reply.ok:
                raise TokyoTyrantError(message, code=reply.code, op=op)
            return reply.data

        return check

    def _items(self, elements: Sequence[bytes], decode_values: bool = True
               ) -> List[Tuple[Any, Any]]:
        return [(self._key(k), self._value(v, decode_values))
                for k, v in zip(elements[0::2], elements[1::2])]

    # -- single records ---------------------------------------------------------------------

    def get(self, key: Any, decode_value: bool = True) -> Deferred[Any]:
        """The value at ``key`` or None."""
        frame = codec.encode_key(Cmd.GET, encode_key(key))
        return self.request(Cmd.GET, frame).addCallback(
            lambda r: self._value(r.data, decode_value) if r.ok else None)

    def get_bytes(self, key: Any) -> Deferred[Optional[bytes]]:
        """The raw value at ``key`` or None."""
        return self.get(key, decode_value=False)

    def set(self, key: Any, value: Any, no_reply: bool = False,
            encode_value: bool = True) -> Deferred[bool]:
        """Store ``value``; True on success.  ``no_reply`` uses ``putnr`` (fires once sent)."""
        cmd = Cmd.PUTNR if no_reply else Cmd.PUT
        frame = codec.encode_key_value(cmd, encode_key(key), self._encode(value, encode_value))
        return self._code(cmd, frame)

    put = set

    def add(self, key: Any, value: Any, encode_value: bool = True) -> Deferred[bool]:
        """Store only if ``key`` is absent; True when stored."""
        frame = codec.encode_key_value(Cmd.PUTKEEP, encode_key(key),
                                       self._encode(value, encode_value))
        return self._code(Cmd.PUTKEEP, frame)

    def append(self, key: Any, value: Any, encode_value: bool = True) -> Deferred[bool]:
        """Append to the value at ``key`` (creating it when absent)."""
        frame = codec.encode_key_value(Cmd.PUTCAT, encode_key(key),
                                       self._encode(value, encode_value))
        return self._code(Cmd.PUTCAT, frame)

    def addshl(self, key: Any, value: Any, width: int, encode_value: bool = True
               ) -> Deferred[bool]:
        """Append, then keep only the last ``width`` bytes."""
        try:
            frame = codec.encode_putshl(encode_key(key), self._encode(value, encode_value),
                                        int(width))
        except ValueError as e:
            return fail(ParameterError(str(e), op="putshl"))
        return self._code(Cmd.PUTSHL, frame)

    def remove(self, key: Any) -> Deferred[int]:
        """Remove ``key``; 1 when it existed, else 0."""
        frame = codec.encode_key(Cmd.OUT, encode_key(key))
        return self.request(Cmd.OUT, frame).addCallback(lambda r: 1 if r.ok else 0)

    def exists(self, key: Any) -> Deferred[bool]:
        """True when ``key`` exists."""
        return self.length(key).addCallback(lambda n: n is not None)

    def length(self, key: Any) -> Deferred[Optional[int]]:
        """Size in bytes of the value at ``key``, or None."""
        frame = codec.encode_key(Cmd.VSIZ, encode_key(key))
        return self.request(Cmd.VSIZ, frame).addCallback(lambda r: r.data if r.ok else None)

    def seize(self, key: Any, decode_value: bool = True) -> Deferred[Any]:
        """Get and remove ``key`` (``get`` and ``out`` pipelined in one write); None if absent."""
        bkey = encode_key(key)
        d = self.pipeline([(Cmd.GET, codec.encode_key(Cmd.GET, bkey)),
                           (Cmd.OUT, codec.encode_key(Cmd.OUT, bkey))])
        return d.addCallback(
            lambda replies: self._value(replies[0].data, decode_value) if replies[0].ok
            else None)

    pop = seize

    def incr(self, key: Any, n: int = 1) -> Deferred[int]:
        """Add ``n`` to the 32-bit integer at ``key`` (created when absent); the new value."""
        frame = codec.encode_addint(encode_key(key), int(n))
        return self.request(Cmd.ADDINT, frame).addCallback(
            self._raise("addint", "the record is not a 4-byte integer"))

    def incr_double(self, key: Any, n: float = 1.0) -> Deferred[float]:
        """Add ``n`` to the double at ``key`` (created when absent); the new value."""
        frame = codec.encode_adddouble(encode_key(key), float(n))
        return self.request(Cmd.ADDDOUBLE, frame).addCallback(
            self._raise("adddouble", "the record is not an 8-byte double"))

    def get_part(self, key: Any, start: Optional[int] = None, end: Optional[int] = None,
                 decode_value: bool = True) -> Deferred[Any]:
        """``end`` bytes of the value from offset ``start``; False if the key is missing or
        ``start`` is past the end."""
        args = [encode_key(key)]
        if start is not None or end is not None:
            args.append(_num(start or 0))
        if end is not None:
            args.append(_num(end))

        def done(items: Optional[List[bytes]]) -> Any:
            if items is None or not items:
                return False
            return self._value(items[0], decode_value)

        return self._misc(b"getpart", args, False).addCallback(done)

    # -- bulk -------------------------------------------------------------------------------

    def get_bulk(self, keys: Iterable[Any], decode_values: bool = True) -> Deferred[Dict[Any, Any]]:
        """``{key: value}`` of the keys that exist (``mget``)."""
        frame = codec.encode_mget([encode_key(k) for k in keys])
        return self.request(Cmd.MGET, frame).addCallback(
            lambda r: {self._key(k): self._value(v, decode_values) for k, v in (r.data or [])})

    def set_bulk(self, __data: Optional[Mapping[Any, Any]] = None, no_reply: bool = False,
                 encode_values: bool = True, **kwargs: Any) -> Deferred[bool]:
        """Store many records: misc ``putlist``, or pipelined ``putnr`` with ``no_reply``."""
        data: Dict[Any, Any] = dict(__data or {})
        data.update(kwargs)
        pairs = [(encode_key(k), self._encode(v, encode_values)) for k, v in data.items()]
        if no_reply:
            requests = [(Cmd.PUTNR, codec.encode_key_value(Cmd.PUTNR, k, v)) for k, v in pairs]
            return self.pipeline(requests).addCallback(lambda _: True)
        args = [item for pair in pairs for item in pair]
        return self._misc(b"putlist", args, True).addCallback(lambda items: items is not None)

    def update(self, __data: Optional[Mapping[Any, Any]] = None, db: Any = None,
               expire_time: Any = None, **kwargs: Any) -> Deferred[bool]:
        """Same as :meth:`set_bulk` (the seed's signature; Tokyo Tyrant has no databases or
        expiry, so ``db`` and ``expire_time`` are ignored)."""
        return self.set_bulk(__data, **kwargs)

    def remove_bulk(self, keys: Iterable[Any]) -> Deferred[bool]:
        """Remove many keys (misc ``outlist``; missing keys are ignored)."""
        return self._misc(b"outlist", [encode_key(k) for k in keys], True).addCallback(
            lambda items: items is not None)

    # -- misc -------------------------------------------------------------------------------

    def _misc(self, name: bytes, args: Sequence[bytes], update_log: bool
              ) -> Deferred[Optional[List[bytes]]]:
        """Run misc ``name``; the result elements, or None when the server reports failure.

        ``update_log=False`` sets ``RDBMONOULOG`` (keep the call out of the update log).
        """
        frame = codec.encode_misc(name, list(args), 0 if update_log else 1)
        return self.request(Cmd.MISC, frame).addCallback(lambda r: r.data if r.ok else None)

    def misc(self, cmd: Any, keys: Optional[Iterable[Any]] = None,
             data: Optional[Mapping[Any, Any]] = None, update_log: bool = True
             ) -> Deferred[Union[bool, List[bytes]]]:
        """Run any misc function with ``keys`` (a list of arguments) or ``data`` (key/value
        pairs, values serialized).  Fires False on failure, True on success without result
        elements, else the list of raw result elements (bytes)."""
        if keys is not None and data is not None:
            return fail(ParameterError("misc() takes keys or data, not both", op="misc"))
        args: List[bytes] = [encode_key(k) for k in (keys or [])]
        for k, v in (data or {}).items():
            args += [encode_key(k), self.encode_value(v)]

        def result(items: Optional[List[bytes]]) -> Union[bool, List[bytes]]:
            if items is None:
                return False
            return items if items else True

        return self._misc(_to_bytes(cmd), args, update_log).addCallback(result)

    def setdup(self, key: Any, value: Any, encode_value: bool = True) -> Deferred[bool]:
        """Add a duplicate value after the existing ones (B+ tree databases)."""
        return self._misc(b"putdup", [encode_key(key), self._encode(value, encode_value)],
                          True).addCallback(lambda items: items is not None)

    def setdupback(self, key: Any, value: Any, encode_value: bool = True) -> Deferred[bool]:
        """Add a duplicate value before the existing ones (B+ tree databases)."""
        return self._misc(b"putdupback", [encode_key(key), self._encode(value, encode_value)],
                          True).addCallback(lambda items: items is not None)

    def get_dup(self, key: Any, decode_values: bool = True) -> Deferred[List[Any]]:
        """Every value of ``key`` (duplicates of a B+ tree; one value otherwise)."""
        return self._misc(b"get", [encode_key(key)], False).addCallback(
            lambda items: [self._value(v, decode_values) for v in items or []])

    def _management(self, name: bytes, args: Sequence[bytes] = ()) -> Deferred[bool]:
        return self._misc(name, args, True).addCallback(lambda items: items is not None)

    @property
    def error(self) -> Deferred[Optional[str]]:
        """The message of the last error the server's database reported."""
        return self._misc(b"error", [], False).addCallback(
            lambda items: items[0].decode("utf-8", "replace") if items else None)

    def optimize(self, params: str = "") -> Deferred[bool]:
        """Optimize the database (``params`` are database-type specific tuning)."""
        return self._code(Cmd.OPTIMIZE, codec.encode_key(Cmd.OPTIMIZE, _to_bytes(params)))

    def synchronize(self) -> Deferred[bool]:
        """Flush the database to disk."""
        return self._code(Cmd.SYNC, codec.encode_simple(Cmd.SYNC))

    def clear_cache(self) -> Deferred[bool]:
        return self._management(b"cacheclear")

    def defragment(self, nsteps: Optional[int] = None) -> Deferred[bool]:
        return self._management(b"defrag", [_num(nsteps)] if nsteps is not None else [])

    def clear(self) -> Deferred[bool]:
        """Remove every record (``vanish``)."""
        return self._code(Cmd.VANISH, codec.encode_simple(Cmd.VANISH))

    def copy(self, path: str) -> Deferred[bool]:
        """Hot-copy the database to ``path`` on the server."""
        return self._code(Cmd.COPY, codec.encode_key(Cmd.COPY, _to_bytes(path)))

    def restore(self, path: str, timestamp: int, opts: int = 0) -> Deferred[bool]:
        """Restore from update logs at ``path`` since ``timestamp`` (microseconds)."""
        return self._code(Cmd.RESTORE, codec.encode_restore(_to_bytes(path), int(timestamp),
                                                            opts))

    def set_master(self, host: str, port: int, timestamp: int = 0, opts: int = 0
                   ) -> Deferred[bool]:
        """Replicate from ``host:port`` since ``timestamp`` (microseconds); empty host stops."""
        return self._code(Cmd.SETMST, codec.encode_setmst(_to_bytes(host), int(port),
                                                          int(timestamp), opts))

    # -- counts and status ------------------------------------------------------------------

    def count(self) -> Deferred[int]:
        """Number of records (``rnum``)."""
        return self.request(Cmd.RNUM, codec.encode_simple(Cmd.RNUM)).addCallback(
            self._raise("rnum", "rnum failed"))

    len = count

    @property
    def size(self) -> Deferred[int]:
        """Size of the database in bytes."""
        return self.request(Cmd.SIZE, codec.encode_simple(Cmd.SIZE)).addCallback(
            self._raise("size", "size failed"))

    def status(self) -> Deferred[Dict[str, Any]]:
        """Server statistics, numbers converted (``stat``)."""
        def parse(data: bytes) -> Dict[str, Any]:
            status: Dict[str, Any] = {}
            for line in data.decode("utf-8", "replace").splitlines():
                name, _, value = line.partition("\t")
                status[name] = _number(value)
            return status

        return self.request(Cmd.STAT, codec.encode_simple(Cmd.STAT)).addCallback(
            self._raise("stat", "stat failed")).addCallback(parse)

    # -- scripts ----------------------------------------------------------------------------

    def script(self, name: str, key: Any = None, value: Any = None,
               lock_records: bool = False, lock_all: bool = False, encode_value: bool = True,
               decode_value: bool = False, as_list: bool = False, as_dict: bool = False
               ) -> Deferred[Any]:
        """Call the server's ext (Lua) function ``name(key, value)``; its result bytes.

        ``true``/``false`` become booleans; ``as_list`` splits lines, ``as_dict`` splits
        lines into tab-separated pairs.  A failing function raises TokyoTyrantError.
        """
        if lock_records and lock_all:
            return fail(ParameterError("lock_records and lock_all are exclusive", op="ext"))
        opts = 1 if lock_records else 2 if lock_all else 0
        bvalue = b"" if value is None else self._encode(value, encode_value)
        frame = codec.encode_ext(_to_bytes(name), b"" if key is None else encode_key(key),
                                 bvalue, opts)

        def result(reply: Reply) -> Any:
            if not reply.ok:
                raise TokyoTyrantError(f"ext function {name!r} failed", code=reply.code,
                                       op="ext")
            data: bytes = reply.data
            if data == b"true":
                return True
            if data == b"false":
                return False
            if as_list or as_dict:
                lines = [line for line in data.split(b"\n") if line]
                if as_dict:
                    return dict(self._line_pair(line) for line in lines)
                return [decode_text(line) for line in lines]
            return self._value(data, decode_value)

        return self.request(Cmd.EXT, frame).addCallback(result)

    def _line_pair(self, line: bytes) -> Tuple[Any, Any]:
        key, _, value = line.partition(b"\t")
        return self._key(key), decode_text(value)

    # -- key iteration and ranges -----------------------------------------------------------

    def match_prefix(self, prefix: Any, max_keys: Optional[int] = 1024) -> Deferred[List[Any]]:
        """Keys starting with ``prefix`` (``fwmkeys``; None = no limit)."""
        frame = codec.encode_fwmkeys(encode_key(prefix), max_keys)
        return self.request(Cmd.FWMKEYS, frame).addCallback(
            lambda r: [self._key(k) for k in (r.data or [])])

    def keys_fast(self) -> Deferred[List[Any]]:
        """Every key in one request (``fwmkeys`` with an empty prefix)."""
        return self.match_prefix(b"", None)

    def match_regex(self, regex: Any, max_keys: Optional[int] = 1024) -> Deferred[List[Any]]:
        """Keys matching ``regex`` (misc ``regex``; prefix ``*`` = case-insensitive)."""
        return self.match_regex_items(regex, max_keys, decode_values=False).addCallback(
            lambda items: [k for k, _v in items])

    def match_regex_items(self, regex: Any, max_keys: Optional[int] = 1024,
                          decode_values: bool = True) -> Deferred[List[Tuple[Any, Any]]]:
        """``(key, value)`` of records whose key matches ``regex``."""
        args = [_to_bytes(regex)] + ([_num(max_keys)] if max_keys is not None else [])
        return self._misc(b"regex", args, False).addCallback(
            lambda items: self._items(items or [], decode_values))

    def get_range(self, start: Any, stop: Any = None, max_keys: int = 0,
                  decode_values: bool = True) -> Deferred[Dict[Any, Any]]:
        """``{key: value}`` for ``start <= key < stop`` in key order (B+ tree databases;
        ``max_keys`` 0 = no limit)."""
        return self.range_items(start, stop, max_keys, decode_values).addCallback(dict)

    def range_items(self, start: Any = None, stop: Any = None, max_keys: int = 0,
                    decode_values: bool = True) -> Deferred[List[Tuple[Any, Any]]]:
        """Like :meth:`get_range` but a list of pairs (keeps B+ tree duplicates)."""
        args = [b"" if start is None else encode_key(start), _num(max_keys)]
        if stop is not None:
            args.append(encode_key(stop))

        def done(items: Optional[List[bytes]]) -> List[Tuple[Any, Any]]:
            if items is None:
                raise TokyoTyrantError("range failed (only B+ tree databases are ordered)",
                                       code=1, op="range")
            return self._items(items, decode_values)

        return self._misc(b"range", args, False).addCallback(done)

    def items_fast(self, decode_values: bool = True) -> Deferred[List[Tuple[Any, Any]]]:
        """Every record in one request (misc ``range``; B+ tree databases)."""
        return self.range_items(None, None, 0, decode_values)

    def scan(self, start: Any = None, stop: Any = None, page_size: int = 1000,
             decode_values: bool = True) -> Scanner[Tuple[Any, Any]]:
        """``(key, value)`` for ``start <= key < stop`` as a scanner fetching ``page_size``
        records per misc ``range`` (B+ tree databases)."""
        bstop = None if stop is None else encode_key(stop)
        state = {"next": b"" if start is None else encode_key(start)}

        def fetch() -> Deferred[Tuple[Sequence[Tuple[Any, Any]], bool]]:
            args = [state["next"], _num(page_size)] + ([bstop] if bstop is not None else [])

            def page(items: Optional[List[bytes]]) -> Tuple[Sequence[Tuple[Any, Any]], bool]:
                if items is None:
                    raise TokyoTyrantError("range failed", code=1, op="range")
                keys = items[0::2]
                more = len(keys) >= page_size
                if keys:
                    state["next"] = keys[-1] + b"\0"
                return self._items(items, decode_values), more

            return self._misc(b"range", args, False).addCallback(page)

        return PagedScanner(fetch)

    def keys(self) -> Deferred[List[Any]]:
        """Every key (``iterinit`` + ``iternext``, pipelined in batches; the server's iterator
        is shared by all its clients)."""
        found: List[Any] = []

        def batch(_: object = None) -> Deferred[List[Any]]:
            frame = codec.encode_simple(Cmd.ITERNEXT)
            d = self.pipeline([(Cmd.ITERNEXT, frame)] * _KEYS_BATCH)
            return d.addCallback(collect)

        def collect(replies: List[Reply]) -> Any:
            for reply in replies:
                if not reply.ok:
                    return found
                found.append(self._key(reply.data))
            return batch()

        def start(reply: Reply) -> Any:
            return batch() if reply.ok else found

        return self.request(Cmd.ITERINIT, codec.encode_simple(Cmd.ITERINIT)).addCallback(start)

    def items(self, start_key: Any = None, decode_values: bool = True
              ) -> Deferred[List[Tuple[Any, Any]]]:
        """Every ``(key, value)`` from ``start_key`` (misc ``iterinit`` + ``iternext``)."""
        found: List[Tuple[Any, Any]] = []
        args = [] if start_key is None else [encode_key(start_key)]

        def step(_: object = None) -> Deferred[Any]:
            return self._misc(b"iternext", [], False).addCallback(collect)

        def collect(items: Optional[List[bytes]]) -> Any:
            if not items:
                return found
            found.append((self._key(items[0]), self._value(items[1], decode_values)))
            return step()

        def started(items: Optional[List[bytes]]) -> Any:
            return found if items is None else step()

        return self._misc(b"iterinit", args, False).addCallback(started)

    def iter_from(self, start_key: Any, decode_values: bool = True) -> Deferred[Dict[Any, Any]]:
        """``{key: value}`` of the records from ``start_key`` on, in iteration order."""
        return self.items(start_key, decode_values).addCallback(dict)

    # -- table databases --------------------------------------------------------------------

    def set_index(self, name: str, index_type: int, check_exists: bool = False
                  ) -> Deferred[bool]:
        """Create an index on column ``name`` (``INDEX_LEXICAL``, ``INDEX_DECIMAL``...)."""
        if check_exists:
            index_type |= INDEX_KEEP
        return self._management(b"setindex", [_to_bytes(name), _num(index_type)])

    def optimize_index(self, name: str) -> Deferred[bool]:
        return self._management(b"setindex", [_to_bytes(name), _num(INDEX_OPTIMIZE)])

    def delete_index(self, name: str) -> Deferred[bool]:
        return self._management(b"setindex", [_to_bytes(name), _num(INDEX_DELETE)])

    def search(self, expressions: Sequence[Sequence[Any]], cmd: Optional[str] = None
               ) -> Deferred[Any]:
        """Run a table query: ``expressions`` like ``[("addcond", col, op, expr),
        ("setorder", col, order), ("setlimit", max, skip)]``.

        ``cmd`` None: the matching primary keys; ``"get"``: ``[(key, {column: value})]``;
        ``"count"``: the number of matches; ``"out"``: delete them (True on success).
        """
        args = [_pack_query(expr) for expr in expressions]
        if cmd:
            args.append(_to_bytes(cmd))
        action = (cmd or "").split("\0")[0] if isinstance(cmd, str) else cmd

        def done(items: Optional[List[bytes]]) -> Any:
            if action == "out":
                return items is not None
            if items is None:
                raise TokyoTyrantError("search failed (is this a table database?)", code=1,
                                       op="search")
            if action == "count":
                return int(items[0]) if items else 0
            if action == "get":
                rows = []
                for row in items:
                    pairs = codec.table_pairs(row)
                    key = pairs[0][1] if pairs and pairs[0][0] == b"" else b""
                    columns = {decode_text(c): decode_text(v) for c, v in pairs[1:]}
                    rows.append((self._key(key), columns))
                return rows
            return [self._key(k) for k in items]

        return self._misc(b"search", args, False).addCallback(done)

    def genuid(self) -> Deferred[int]:
        """A new unique id for a table record."""
        def done(items: Optional[List[bytes]]) -> int:
            if not items:
                raise TokyoTyrantError("genuid failed (is this a table database?)", code=1,
                                       op="genuid")
            return int(items[0])

        return self._misc(b"genuid", [], False).addCallback(done)

    def query(self) -> Any:
        """A :class:`~txkv.kyoto.tyrant.query.QueryBuilder` bound to this client."""
        from txkv.kyoto.tyrant.query import QueryBuilder

        return QueryBuilder(self)

    # -- mapping-style helpers --------------------------------------------------------------

    def __getitem__(self, key: Any) -> Deferred[Any]:
        """``client[key]`` (a Deferred); ``client[start:stop]`` is :meth:`get_range`."""
        if isinstance(key, slice):
            return self.get_range(key.start, key.stop)
        return self.get(key)

    item = __getitem__

    def set_item(self, key: Any, value: Any) -> Deferred[bool]:
        """``client[key] = value`` as a Deferred."""
        return self.set(key, value)

    def del_item(self, key: Any) -> Deferred[int]:
        """``del client[key]`` as a Deferred."""
        return self.remove(key)

    def contains(self, key: Any) -> Deferred[bool]:
        """``key in client`` as a Deferred."""
        return self.exists(key)

    # Python needs a plain int/bool from ``len()`` and ``in`` and drops what ``client[k] = v``
    # returns: :meth:`len`, :meth:`contains`, :meth:`set_item`, :meth:`del_item` are the
    # Deferred forms.

    def __setitem__(self, key: Any, value: Any) -> None:
        """``client[key] = value``: sends the :meth:`set` (a failure is logged; use
        :meth:`set_item` to wait for it)."""
        self._log_unobserved(self.set_item(key, value), "set")

    def __delitem__(self, key: Any) -> None:
        """``del client[key]``: sends the :meth:`remove` (use :meth:`del_item` to wait)."""
        self._log_unobserved(self.del_item(key), "remove")



def _number(text: str) -> Any:
    stripped = text[1:] if text.startswith("-") else text
    if stripped.isdigit():
        return int(text)
    whole, dot, frac = stripped.partition(".")
    if dot and whole.isdigit() and frac.isdigit():
        return float(text)
    return text
