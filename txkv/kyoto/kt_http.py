"""Just enough HTTP/1.x framing for Kyoto Tycoon's RPC, sans-IO, both directions.

Requests and replies carry a ``Content-Length`` body (chunked bodies are read too); the parsers
are fed the front of a growing buffer and return the message length once it is complete.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from txkv.errors import ProtocolError

__all__ = [
    "MAX_HEAD",
    "HTTPFramingError",
    "HTTPResponse",
    "HTTPRequest",
    "encode_request",
    "encode_response",
    "ResponseParser",
    "RequestParser",
    "REASONS",
]

MAX_HEAD = 64 * 1024
MAX_BODY = 1 << 30

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Request Entity Too Large",
    450: "Logical Inconsistency",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


class HTTPFramingError(ProtocolError):
    """A message that cannot be framed; ``status`` is the code a server answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class HTTPResponse:
    __slots__ = ("status", "headers", "body", "keep_alive")

    def __init__(self, status: int, headers: Dict[bytes, bytes], body: bytes,
                 keep_alive: bool) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive

    @property
    def content_type(self) -> Optional[bytes]:
        return self.headers.get(b"content-type")


class HTTPRequest:
    __slots__ = ("method", "target", "version", "headers", "body", "keep_alive")

    def __init__(self, method: bytes, target: bytes, version: bytes,
                 headers: Dict[bytes, bytes], body: bytes, keep_alive: bool) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive


def encode_request(path: bytes, body: bytes, host: bytes, content_type: bytes,
                   method: bytes = b"POST") -> bytes:
    """An HTTP/1.1 keep-alive request."""
    return b"".join((
        method, b" ", path, b" HTTP/1.1\r\nHost: ", host,
        b"\r\nContent-Type: ", content_type,
        b"\r\nContent-Length: ", str(len(body)).encode("ascii"),
        b"\r\n\r\n", body,
    ))


def encode_response(status: int, body: bytes, content_type: Optional[str],
                    keep_alive: bool, extra: Optional[List[Tuple[str, str]]] = None,
                    head_only: bool = False) -> bytes:
    """An HTTP/1.1 response with ``Content-Length``."""
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}",
             "Server: txkv KyotoTycoon",
             f"Connection: {'keep-alive' if keep_alive else 'close'}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    for name, value in extra or ():
        lines.append(f"{name}: {value}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + body


def _find_head(data: memoryview) -> int:
    """Index just past the blank line ending the head, or -1."""
    raw = bytes(data) if len(data) <= MAX_HEAD else bytes(data[:MAX_HEAD])
    end = raw.find(b"\r\n\r\n")
    if end >= 0:
        return end + 4
    end = raw.find(b"\n\n")
    if end >= 0:
        return end + 2
    if len(raw) >= MAX_HEAD:
        raise HTTPFramingError("header section too large", 413)
    return -1


def _split_head(head: bytes) -> Tuple[bytes, Dict[bytes, bytes]]:
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    headers: Dict[bytes, bytes] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise HTTPFramingError(f"malformed header line {line[:60]!r}")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def _keep_alive(version: bytes, headers: Dict[bytes, bytes]) -> bool:
    conn = headers.get(b"connection", b"").lower()
    if version.upper() == b"HTTP/1.0":
        return b"keep-alive" in conn
    return b"close" not in conn


class _BodyReader:
    """Content-Length, chunked, or (responses only) read-until-close bodies."""

    def __init__(self) -> None:
        self.head_end = -1
        self.first_line = b""
        self.headers: Dict[bytes, bytes] = {}
        self.until_close = False

    def _read_head(self, data: memoryview) -> bool:
        if self.head_end >= 0:
            return True
        end = _find_head(data)
        if end < 0:
            return False
        self.first_line, self.headers = _split_head(bytes(data[:end]))
        self.head_end = end
        return True

    def _read_body(self, data: memoryview, allow_until_close: bool) -> Optional[Tuple[bytes, int]]:
        start = self.head_end
        te = self.headers.get(b"transfer-encoding", b"").lower()
        if b"chunked" in te:
            return _read_chunked(data, start)
        length_text = self.headers.get(b"content-length")
        if length_text is None:
            if allow_until_close:
                self.until_close = True
                return None
            return b"", start
        try:
            length = int(length_text)
        except ValueError:
            raise HTTPFramingError(f"bad Content-Length {length_text!r}") from None
        if length < 0:
            raise HTTPFramingError("negative Content-Length")
        if length > MAX_BODY:
            raise HTTPFramingError("body too large", 413)
        if len(data) - start < length:
            return None
        return bytes(data[start : start + length]), start + length


def _read_chunked(data: memoryview, pos: int) -> Optional[Tuple[bytes, int]]:
    raw = bytes(data[pos:])
    parts: List[bytes] = []
    i = 0
    while True:
        eol = raw.find(b"\r\n", i)
        if eol < 0:
            return None
        try:
            size = int(raw[i:eol].split(b";")[0], 16)
        except ValueError:
            raise HTTPFramingError("bad chunk size") from None
        i = eol + 2
        if size == 0:
            end = raw.find(b"\r\n", i)  # no trailers supported beyond the final CRLF
            if end < 0:
                return None
            return b"".join(parts), pos + end + 2
        if len(raw) < i + size + 2:
            return None
        parts.append(raw[i : i + size])
        i += size + 2


class ResponseParser(_BodyReader):
    """One HTTP response (client side); ``result`` is an :class:`HTTPResponse`."""

    result: Optional[HTTPResponse] = None

    def parse(self, data: memoryview) -> Optional[int]:
        if not self._read_head(data):
            return None
        got = self._read_body(data, allow_until_close=True)
        if got is None:
            return None
        body, end = got
        self.result = self._make(body)
        return end

    def finish_at_close(self, data: memoryview) -> Optional[HTTPResponse]:
        """The response of a read-until-close body once the connection closed."""
        if self.head_end < 0 or not self.until_close:
            return None
        self.result = self._make(bytes(data[self.head_end :]), keep_alive=False)
        return self.result

    def _make(self, body: bytes, keep_alive: Optional[bool] = None) -> HTTPResponse:
        parts = self.first_line.split(None, 2)
        if len(parts) < 2 or not parts[0].upper().startswith(b"HTTP/"):
            raise ProtocolError(f"malformed status line {self.first_line[:80]!r}")
        try:
            status = int(parts[1])
        except ValueError:
            raise ProtocolError(f"malformed status line {self.first_line[:80]!r}") from None
        if keep_alive is None:
            keep_alive = _keep_alive(parts[0], self.headers)
        return HTTPResponse(status, self.headers, body, keep_alive)


class RequestParser(_BodyReader):
    """One HTTP request (server side); ``result`` is an :class:`HTTPRequest`."""

    result: Optional[HTTPRequest] = None

    def parse(self, data: memoryview) -> Optional[int]:
        if not self._read_head(data):
            return None
        parts = self.first_line.split()
        if len(parts) == 2:  # HTTP/0.9 style request line
            parts.append(b"HTTP/1.0")
        if len(parts) != 3 or not parts[2].upper().startswith(b"HTTP/"):
            raise HTTPFramingError(f"malformed request line {self.first_line[:80]!r}")
        got = self._read_body(data, allow_until_close=False)
        if got is None:
            return None
        body, end = got
        method, target, version = parts
        self.result = HTTPRequest(method.upper(), target, version,
                                  self.headers, body, _keep_alive(version, self.headers))
        return end
