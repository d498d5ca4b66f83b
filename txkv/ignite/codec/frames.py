"""Ignite thin-client framing, sans-IO: length-prefixed frames, request/response headers and
the handshake, in both directions.

Every message is ``int32 length`` + payload.  :class:`FrameReader` splits a byte stream into
payloads; the ``decode_*`` functions take a payload (the bytes *after* the length) and the
``encode_*`` / ``begin_*`` functions return whole frames (length included) as ``bytearray``.
Bodies are appended to the ``bytearray`` that ``begin_request``/``begin_response`` return and
the length is patched by :func:`finish_frame`, so a message is built in one buffer.

The module also holds the handful of primitive readers/writers (typed strings, UUID and byte
array objects, raw integers) that message bodies use for their fixed fields.
"""

from __future__ import annotations

import struct
import uuid
from typing import (
    Any,
    Callable,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Tuple,
    TypeVar,
    Union,
)

from txkv.ignite.codec.ops import (
    CLIENT_CODE_THIN,
    HANDSHAKE_CODE,
    PROTOCOL_VERSIONS,
    RESPONSE_FLAG_AFFINITY_TOPOLOGY_CHANGED,
    RESPONSE_FLAG_ERROR,
    RESPONSE_FLAG_NOTIFICATION,
    STATUS_AUTH_FAILED,
    STATUS_FAILED,
    Feature,
    ProtocolVersion,
)
from txkv.ignite.errors import ParameterError, ParseError

__all__ = [
    "Buffer",
    "DEFAULT_MAX_FRAME_SIZE",
    "FrameReader",
    "REQUEST_HEADER_SIZE",
    "begin_request",
    "encode_request_frame",
    "decode_request_header",
    "begin_response",
    "begin_notification",
    "encode_response_frame",
    "encode_error_response",
    "finish_frame",
    "ResponseHeader",
    "decode_response_header",
    "encode_features",
    "decode_features",
    "HandshakeRequest",
    "HandshakeResponse",
    "encode_handshake_request",
    "decode_handshake_request",
    "encode_handshake_success",
    "encode_handshake_failure",
    "decode_handshake_response",
    "guarded",
]

#: Anything a decoder accepts as input.
Buffer = Union[bytes, bytearray, memoryview]

#: Largest payload accepted by default (bytes after the length prefix).
DEFAULT_MAX_FRAME_SIZE = 128 * 1024 * 1024

# -- primitives -----------------------------------------------------------------------------------

I8 = struct.Struct("<b")
U8 = struct.Struct("<B")
I16 = struct.Struct("<h")
U16 = struct.Struct("<H")
I32 = struct.Struct("<i")
I64 = struct.Struct("<q")
TOPOLOGY = struct.Struct("<qi")
REQUEST_HEADER = struct.Struct("<ihq")  # length, op code, request id
REQUEST_HEADER_SIZE = 10  # op code + request id, after the length
RESPONSE_ID = struct.Struct("<iq")  # length, request id
STATUS_HEADER = struct.Struct("<qi")  # request id, status (< 1.4.0)
FLAGS_HEADER = struct.Struct("<qH")  # request id, flags (>= 1.4.0)
TYPED_LEN = struct.Struct("<Bi")  # type code + int32 length
UUID_OBJECT = struct.Struct("<BQQ")
VERSION = struct.Struct("<hhh")

TYPE_STRING = 0x09
TYPE_UUID = 0x0A
TYPE_BYTE_ARRAY = 0x0C
TYPE_MAP = 0x19
TYPE_NULL = 0x65
NULL_BYTE = b"\x65"

_LOW64 = (1 << 64) - 1

T = TypeVar("T")


def guarded(func: Callable[..., T]) -> Callable[..., T]:
    """Turn low-level failures of a decoder (short buffer, bad UTF-8...) into ParseError."""

    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except (struct.error, IndexError, UnicodeDecodeError, OverflowError) as exc:
            raise ParseError(f"malformed message: {exc}") from exc

    wrapper.__name__ = func.__name__
    wrapper.__qualname__ = func.__qualname__
    wrapper.__doc__ = func.__doc__
    return wrapper


def need(data: Buffer, end: int) -> None:
    """Raise ParseError unless ``data`` holds at least ``end`` bytes."""
    if end > len(data):
        raise ParseError(f"truncated message: need {end} bytes, have {len(data)}")


def check_count(count: int, data: Buffer, offset: int, item_size: int = 1) -> None:
    """Reject element counts that are negative or cannot fit in what is left of ``data``."""
    if count < 0:
        raise ParseError(f"negative element count {count}")
    if count * item_size > len(data) - offset:
        raise ParseError(f"element count {count} exceeds the message size")


def read_bool(data: Buffer, offset: int) -> Tuple[bool, int]:
    """A raw boolean byte (any non-zero value is true)."""
    need(data, offset + 1)
    return data[offset] != 0, offset + 1


def write_string(buf: bytearray, value: Optional[str]) -> None:
    """A typed String data object (``09`` + int32 byte length + UTF-8), or ``65`` for None."""
    if value is None:
        buf += NULL_BYTE
        return
    if not isinstance(value, str):
        raise ParameterError(f"expected a string, got {type(value).__name__}")
    # Java writes unpaired surrogates as '?': do the same instead of failing.
    data = value.encode("utf-8", "replace")
    buf += TYPED_LEN.pack(TYPE_STRING, len(data))
    buf += data


def read_string(data: Buffer, offset: int) -> Tuple[Optional[str], int]:
    """A typed String data object or null; anything else is a ParseError."""
    code = data[offset]
    if code == TYPE_NULL:
        return None, offset + 1
    if code != TYPE_STRING:
        raise ParseError(f"expected a String object, got type code {code}")
    (length,) = I32.unpack_from(data, offset + 1)
    start = offset + 5
    end = start + length
    if length < 0 or end > len(data):
        raise ParseError(f"bad String length {length}")
    return str(data[start:end], "utf-8"), end


def write_uuid(buf: bytearray, value: Optional[uuid.UUID]) -> None:
    """A typed UUID object (msb and lsb as little-endian longs), or null."""
    if value is None:
        buf += NULL_BYTE
        return
    number = value.int
    buf += UUID_OBJECT.pack(TYPE_UUID, number >> 64, number & _LOW64)


def read_uuid(data: Buffer, offset: int) -> Tuple[Optional[uuid.UUID], int]:
    """A typed UUID object or null."""
    code = data[offset]
    if code == TYPE_NULL:
        return None, offset + 1
    if code != TYPE_UUID:
        raise ParseError(f"expected a UUID object, got type code {code}")
    _, msb, lsb = UUID_OBJECT.unpack_from(data, offset)
    return uuid.UUID(int=(msb << 64) | lsb), offset + UUID_OBJECT.size


def write_byte_array(buf: bytearray, value: Optional[bytes]) -> None:
    """A typed byte[] object (``0C`` + int32 n + n bytes), or null."""
    if value is None:
        buf += NULL_BYTE
        return
    buf += TYPED_LEN.pack(TYPE_BYTE_ARRAY, len(value))
    buf += value


def read_byte_array(data: Buffer, offset: int) -> Tuple[Optional[bytes], int]:
    """A typed byte[] object or null."""
    code = data[offset]
    if code == TYPE_NULL:
        return None, offset + 1
    if code != TYPE_BYTE_ARRAY:
        raise ParseError(f"expected a byte[] object, got type code {code}")
    (length,) = I32.unpack_from(data, offset + 1)
    start = offset + 5
    end = start + length
    if length < 0 or end > len(data):
        raise ParseError(f"bad byte[] length {length}")
    return bytes(data[start:end]), end


# -- frame reader ---------------------------------------------------------------------------------


class FrameReader:
    """Split a byte stream into Ignite payloads (the bytes after each ``int32`` length).

    >>> reader = FrameReader()
    >>> reader.feed(b"\\x01\\x00\\x00\\x00\\x01\\x02\\x00")
    [b'\\x01']
    >>> reader.feed(b"\\x00\\x00ab")
    [b'ab']

    A negative length or one above ``max_frame_size`` raises :class:`ParseError`; after that
    the reader refuses further input (the connection must be closed).
    """

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        self._error: Optional[ParseError] = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as part of a frame."""
        return len(self._buffer)

    def feed(self, data: Buffer) -> List[bytes]:
        """Add received bytes; return every payload completed by them, in order."""
        if self._error is not None:
            raise self._error
        buffer = self._buffer
        buffer += data
        size = len(buffer)
        frames: List[bytes] = []
        pos = 0
        with memoryview(buffer) as view:
            while size - pos >= 4:
                (length,) = I32.unpack_from(view, pos)
                if length < 0 or length > self.max_frame_size:
                    self._error = ParseError(
                        f"bad frame length {length} (limit {self.max_frame_size})")
                    raise self._error
                end = pos + 4 + length
                if end > size:
                    break
                frames.append(bytes(view[pos + 4:end]))
                pos = end
        if pos:
            del buffer[:pos]
        return frames


# -- requests -------------------------------------------------------------------------------------


def begin_request(op_code: int, request_id: int) -> bytearray:
    """A request frame with its header written; append the body, then :func:`finish_frame`."""
    return bytearray(REQUEST_HEADER.pack(0, op_code, request_id))


def finish_frame(buf: bytearray) -> bytearray:
    """Patch the leading int32 length of a frame built in ``buf``; return ``buf``."""
    I32.pack_into(buf, 0, len(buf) - 4)
    return buf


def encode_request_frame(op_code: int, request_id: int, body: Buffer = b"") -> bytearray:
    """A whole request frame from an already-built body."""
    buf = begin_request(op_code, request_id)
    buf += body
    return finish_frame(buf)


@guarded
def decode_request_header(payload: Buffer) -> Tuple[int, int]:
    """``(op_code, request_id)`` of a request payload; its body starts at REQUEST_HEADER_SIZE."""
    need(payload, REQUEST_HEADER_SIZE)
    op_code, request_id = struct.unpack_from("<hq", payload, 0)
    return op_code & 0xFFFF, request_id


# -- responses ------------------------------------------------------------------------------------


class ResponseHeader(NamedTuple):
    """A decoded response (or notification) header.

    ``status`` is 0 on success; ``message`` is the server's error text when it is not.
    ``topology`` is ``(major, minor)`` when the server reported an affinity topology change.
    The body, if any, starts at ``body_offset`` of the payload.
    """

    request_id: int
    status: int
    message: Optional[str]
    flags: int
    topology: Optional[Tuple[int, int]]
    notification_op: Optional[int]
    body_offset: int

    @property
    def is_error(self) -> bool:
        return self.status != 0

    @property
    def is_notification(self) -> bool:
        return bool(self.flags & RESPONSE_FLAG_NOTIFICATION)


@guarded
def decode_response_header(payload: Buffer, status_flags: bool) -> ResponseHeader:
    """Decode a response payload's header (``status_flags``: the connection is >= 1.4.0)."""
    if not status_flags:
        request_id, status = STATUS_HEADER.unpack_from(payload, 0)
        offset = STATUS_HEADER.size
        message = None
        if status != 0:
            message, offset = read_string(payload, offset)
        return ResponseHeader(request_id, status, message, 0, None, None, offset)
    request_id, flags = FLAGS_HEADER.unpack_from(payload, 0)
    offset = FLAGS_HEADER.size
    topology = None
    notification_op = None
    status = 0
    message = None
    if flags & RESPONSE_FLAG_AFFINITY_TOPOLOGY_CHANGED:
        topology = TOPOLOGY.unpack_from(payload, offset)
        offset += TOPOLOGY.size
    if flags & RESPONSE_FLAG_NOTIFICATION:
        (notification_op,) = U16.unpack_from(payload, offset)
        offset += 2
    if flags & RESPONSE_FLAG_ERROR:
        (status,) = I32.unpack_from(payload, offset)
        message, offset = read_string(payload, offset + 4)
        if status == 0:
            # An error flag with a zero status would read as success: keep it an error.
            status = STATUS_FAILED
    return ResponseHeader(request_id, status, message, flags, topology, notification_op, offset)


def begin_response(
    request_id: int, *, status_flags: bool, topology: Optional[Tuple[int, int]] = None
) -> bytearray:
    """A success response with its header written; append the body, then finish_frame.

    ``topology`` (>= 1.4.0 only) sets the affinity-topology-changed flag and writes the version.
    """
    if not status_flags:
        return bytearray(RESPONSE_ID.pack(0, request_id) + b"\x00\x00\x00\x00")
    buf = bytearray(RESPONSE_ID.pack(0, request_id))
    if topology is None:
        buf += b"\x00\x00"
    else:
        buf += U16.pack(RESPONSE_FLAG_AFFINITY_TOPOLOGY_CHANGED)
        buf += TOPOLOGY.pack(*topology)
    return buf


def begin_notification(resource_id: int, op_code: int) -> bytearray:
    """A server notification (>= 1.4.0) with its header written; append the payload."""
    buf = bytearray(RESPONSE_ID.pack(0, resource_id))
    buf += U16.pack(RESPONSE_FLAG_NOTIFICATION)
    buf += U16.pack(op_code)
    return buf


def encode_response_frame(
    request_id: int,
    body: Buffer = b"",
    *,
    status_flags: bool,
    topology: Optional[Tuple[int, int]] = None,
) -> bytearray:
    """A whole success response frame from an already-built body."""
    buf = begin_response(request_id, status_flags=status_flags, topology=topology)
    buf += body
    return finish_frame(buf)


def encode_error_response(
    request_id: int,
    status: int,
    message: Optional[str],
    *,
    status_flags: bool,
    topology: Optional[Tuple[int, int]] = None,
) -> bytearray:
    """A whole error response frame: status + message, no body."""
    if status == 0:
        raise ParameterError("an error response needs a non-zero status")
    buf = bytearray(RESPONSE_ID.pack(0, request_id))
    if status_flags:
        flags = RESPONSE_FLAG_ERROR
        if topology is not None:
            flags |= RESPONSE_FLAG_AFFINITY_TOPOLOGY_CHANGED
        buf += U16.pack(flags)
        if topology is not None:
            buf += TOPOLOGY.pack(*topology)
    buf += I32.pack(status)
    write_string(buf, message)
    return finish_frame(buf)


# -- handshake ------------------------------------------------------------------------------------


def encode_features(features: Iterable[int]) -> bytes:
    """A feature set as the handshake bitmask (bit n % 8 of byte n // 8, trailing zeros trimmed)."""
    mask = 0
    for feature in features:
        if feature < 0:
            raise ParameterError(f"bad feature id {feature}")
        mask |= 1 << int(feature)
    return mask.to_bytes((mask.bit_length() + 7) // 8, "little")


def decode_features(mask: Optional[bytes], max_bytes: int = 64) -> FrozenSet[int]:
    """The feature ids set in a bitmask (only the first ``max_bytes`` bytes are considered)."""
    if not mask:
        return frozenset()
    number = int.from_bytes(mask[:max_bytes], "little")
    return frozenset(bit for bit in range(number.bit_length()) if number >> bit & 1)


def _mask_bytes(features: Union[bytes, bytearray, Iterable[int], None]) -> bytes:
    if features is None:
        return b""
    if isinstance(features, (bytes, bytearray)):
        return bytes(features)
    return encode_features(features)


class HandshakeRequest(NamedTuple):
    """A decoded (or to-be-encoded) handshake request.

    ``features`` is the raw bitmask (``None`` before 1.7.0).  For a version the server does not
    support, only ``version`` and ``client_code`` are decoded.
    """

    version: ProtocolVersion
    client_code: int = CLIENT_CODE_THIN
    features: Optional[bytes] = None
    user_attributes: Optional[Mapping[str, Any]] = None
    username: Optional[str] = None
    password: Optional[str] = None

    @property
    def feature_set(self) -> FrozenSet[int]:
        return decode_features(self.features)


def _write_attributes(buf: bytearray, attributes: Optional[Mapping[str, Any]]) -> None:
    """User attributes as a typed HASH_MAP of String -> String (or null)."""
    if attributes is None:
        buf += NULL_BYTE
        return
    buf += TYPED_LEN.pack(TYPE_MAP, len(attributes))
    buf += b"\x01"  # HASH_MAP
    for key, value in attributes.items():
        write_string(buf, str(key))
        write_string(buf, None if value is None else str(value))


def _read_attributes(data: Buffer, offset: int) -> Tuple[Optional[dict], int]:
    code = data[offset]
    if code == TYPE_NULL:
        return None, offset + 1
    if code != TYPE_MAP:
        raise ParseError(f"expected a Map of user attributes, got type code {code}")
    (count,) = I32.unpack_from(data, offset + 1)
    offset += 6  # type code, count, map kind
    check_count(count, data, offset, 2)
    result = {}
    for _ in range(count):
        key, offset = read_string(data, offset)
        value, offset = read_string(data, offset)
        result[key] = value
    return result, offset


def encode_handshake_request(
    version: ProtocolVersion,
    *,
    features: Union[bytes, Iterable[int], None] = None,
    user_attributes: Optional[Mapping[str, Any]] = None,
    username: Optional[str] = None,
    password: Optional[str] = None,
    client_code: int = CLIENT_CODE_THIN,
) -> bytearray:
    """A whole handshake request frame.

    ``features`` (>= 1.7.0: ids or a raw bitmask, default none) is ignored before 1.7.0.
    ``user_attributes`` (String -> String) need feature USER_ATTRIBUTES in ``features``.
    Credentials (>= 1.1.0) are sent when ``username`` or ``password`` is given.
    """
    buf = bytearray(I32.pack(0))
    buf += bytes((HANDSHAKE_CODE,))
    buf += VERSION.pack(*version)
    buf += bytes((client_code,))
    if version >= (1, 7, 0):
        mask = _mask_bytes(features)
        write_byte_array(buf, mask)
        if Feature.USER_ATTRIBUTES in decode_features(mask):
            _write_attributes(buf, user_attributes)
        elif user_attributes is not None:
            raise ParameterError("user attributes need the USER_ATTRIBUTES feature bit")
    elif user_attributes is not None:
        raise ParameterError("user attributes need protocol 1.7.0")
    if username is not None or password is not None:
        if version < (1, 1, 0):
            raise ParameterError("credentials need protocol 1.1.0 or newer")
        write_string(buf, username)
        write_string(buf, password)
    return finish_frame(buf)


@guarded
def decode_handshake_request(payload: Buffer) -> HandshakeRequest:
    """Decode a handshake payload (server side).

    A first byte other than the handshake code raises ParseError: the server must close.
    """
    need(payload, 8)
    if payload[0] != HANDSHAKE_CODE:
        raise ParseError(f"expected a handshake, got message code {payload[0]}")
    version: ProtocolVersion = VERSION.unpack_from(payload, 1)
    client_code = payload[7]
    if version not in PROTOCOL_VERSIONS:
        return HandshakeRequest(version, client_code)
    offset = 8
    features = None
    attributes = None
    username = password = None
    if version >= (1, 7, 0):
        features, offset = read_byte_array(payload, offset)
        features = features or b""
        if Feature.USER_ATTRIBUTES in decode_features(features):
            attributes, offset = _read_attributes(payload, offset)
    if version >= (1, 1, 0) and offset < len(payload):
        username, offset = read_string(payload, offset)
        if offset < len(payload):
            password, offset = read_string(payload, offset)
    return HandshakeRequest(version, client_code, features, attributes, username, password)


class HandshakeResponse(NamedTuple):
    """A decoded handshake reply.

    On success: ``features`` (raw bitmask, >= 1.7.0) and ``node_id`` (>= 1.4.0).
    On failure: the server's preferred ``server_version`` (0.0.0 on authentication failure),
    its ``message`` and, when sent, the ``status`` (1 FAILED, 2000 AUTH_FAILED).
    """

    success: bool
    features: Optional[bytes] = None
    node_id: Optional[uuid.UUID] = None
    server_version: Optional[ProtocolVersion] = None
    message: Optional[str] = None
    status: Optional[int] = None

    @property
    def feature_set(self) -> FrozenSet[int]:
        return decode_features(self.features)

    @property
    def is_auth_failure(self) -> bool:
        return not self.success and self.status == STATUS_AUTH_FAILED


def encode_handshake_success(
    version: ProtocolVersion,
    *,
    features: Union[bytes, Iterable[int], None] = None,
    node_id: Optional[uuid.UUID] = None,
) -> bytearray:
    """A whole success reply for a connection that negotiated ``version``."""
    buf = bytearray(I32.pack(0))
    buf += b"\x01"
    if version >= (1, 7, 0):
        write_byte_array(buf, _mask_bytes(features))
    if version >= (1, 4, 0):
        if node_id is None:
            raise ParameterError("a >= 1.4.0 handshake reply needs the node id")
        write_uuid(buf, node_id)
    return finish_frame(buf)


def encode_handshake_failure(
    server_version: ProtocolVersion,
    message: Optional[str],
    *,
    client_version: ProtocolVersion,
    status: int = STATUS_FAILED,
) -> bytearray:
    """A whole failure reply; the status is only written for clients at >= 1.1.0."""
    buf = bytearray(I32.pack(0))
    buf += b"\x00"
    buf += VERSION.pack(*server_version)
    write_string(buf, message)
    if client_version >= (1, 1, 0):
        buf += I32.pack(status)
    return finish_frame(buf)


@guarded
def decode_handshake_response(payload: Buffer, version: ProtocolVersion) -> HandshakeResponse:
    """Decode a handshake reply to a request made with ``version`` (client side)."""
    need(payload, 1)
    if payload[0] == 0:
        server_version: ProtocolVersion = VERSION.unpack_from(payload, 1)
        message, offset = read_string(payload, 7)
        status = None
        if len(payload) - offset >= 4:
            (status,) = I32.unpack_from(payload, offset)
        return HandshakeResponse(
            False, server_version=server_version, message=message, status=status)
    if payload[0] != 1:
        raise ParseError(f"bad handshake reply code {payload[0]}")
    offset = 1
    features = None
    node_id = None
    if version >= (1, 7, 0):
        features, offset = read_byte_array(payload, offset)
        features = features or b""
    if version >= (1, 4, 0):
        node_id, offset = read_uuid(payload, offset)
    return HandshakeResponse(True, features=features, node_id=node_id)
