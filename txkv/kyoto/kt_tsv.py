"""Kyoto Tycoon TSV-RPC bodies, sans-IO.

A body is an ordered list of ``key TAB value`` lines.  With ``colenc=B``, ``U`` or ``Q`` in the
Content-Type both columns of every line are Base64, URL (percent) or quoted-printable encoded.
Requests from txkv always use Base64 (as ukt does); replies from the txkv server follow Kyoto
Cabinet's rule: raw when every field is short printable text, else whichever of Base64 and URL
encoding is estimated smaller.
"""

from __future__ import annotations

import binascii
import re
from typing import Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import quote_from_bytes, unquote_to_bytes

from txkv.errors import ProtocolError

__all__ = [
    "TSV_CONTENT_TYPE",
    "TSV_B64_CONTENT_TYPE",
    "FORM_CONTENT_TYPE",
    "encode_request_body",
    "decode_body",
    "parse_colenc",
    "encode_reply_body",
    "choose_colenc",
    "url_encode",
    "url_decode",
]

TSV_CONTENT_TYPE = "text/tab-separated-values"
TSV_B64_CONTENT_TYPE = "text/tab-separated-values; colenc=B"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

Pairs = List[Tuple[bytes, bytes]]

_COLENC = re.compile(rb"colenc\s*=\s*[\"']?([A-Za-z])", re.IGNORECASE)
_URL_SAFE = b"-_.!~*'()"
_URL_SAFE_RE = re.compile(rb"[A-Za-z0-9_\-.!~*'()]")
_UNSAFE_RAW = re.compile(rb"[\x00-\x1f\x7f]")


def _b64(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False)


def encode_request_body(pairs: Iterable[Tuple[bytes, bytes]]) -> bytes:
    """``colenc=B`` body: Base64 key TAB Base64 value, lines joined by LF, no final LF."""
    b64 = _b64
    return b"\n".join([b64(k) + b"\t" + b64(v) for k, v in pairs])


def url_encode(data: bytes) -> bytes:
    """KC-style percent encoding (every byte outside ``[A-Za-z0-9_-.!~*'()]``)."""
    return quote_from_bytes(data, safe="!*'()").encode("ascii")


def url_decode(data: bytes) -> bytes:
    """Percent decoding; ``+`` means a space, as in Kyoto Cabinet's decoder."""
    return unquote_to_bytes(data.replace(b"+", b" "))


def _qp_decode(data: bytes) -> bytes:
    return binascii.a2b_qp(data)


def _b64_decode(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error as e:
        raise ProtocolError(f"bad Base64 column: {e}") from None


_DECODERS: Dict[bytes, Callable[[bytes], bytes]] = {
    b"B": _b64_decode,
    b"U": url_decode,
    b"Q": _qp_decode,
}


def parse_colenc(content_type: Optional[str | bytes]) -> Optional[bytes]:
    """The ``colenc`` letter (``b"B"``, ``b"U"``, ``b"Q"``) of a Content-Type, upper-cased."""
    if not content_type:
        return None
    if isinstance(content_type, str):
        content_type = content_type.encode("latin-1")
    m = _COLENC.search(content_type)
    return m.group(1).upper() if m else None


def _decode_tsv(body: bytes, colenc: Optional[bytes]) -> Pairs:
    decoder = _DECODERS.get(colenc) if colenc else None
    if colenc and decoder is None:
        raise ProtocolError(f"unknown column encoding {colenc!r}")
    out: Pairs = []
    append = out.append
    for line in body.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        tab = line.find(b"\t")
        if tab < 0:
            continue
        key, value = line[:tab], line[tab + 1 :]
        if decoder is not None:
            key, value = decoder(key), decoder(value)
        append((key, value))
    return out


def _decode_form(body: bytes) -> Pairs:
    out: Pairs = []
    for part in body.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        out.append((url_decode(key), url_decode(value)))
    return out


def decode_body(body: bytes, content_type: Optional[str | bytes]) -> Pairs:
    """The records of a TSV (any colenc) or form-urlencoded body, in order."""
    ct = content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type
    if ct and ct.lower().startswith(FORM_CONTENT_TYPE):
        return _decode_form(body)
    return _decode_tsv(body, parse_colenc(ct))


def decode_query(query: bytes) -> Pairs:
    """Records of a URL query string."""
    return _decode_form(query)


def choose_colenc(pairs: Iterable[Tuple[bytes, bytes]]) -> Optional[bytes]:
    """Kyoto Cabinet's choice: None (raw) when every field's first 255 bytes are printable and no
    field is longer than 255 bytes; else ``B`` when Base64 is estimated smaller, else ``U``."""
    raw = True
    b64_size = 0
    url_size = 0
    for pair in pairs:
        for field in pair:
            head = field[:255]
            if raw and (len(field) > 255 or _UNSAFE_RAW.search(head)):
                raw = False
            b64_size += len(head) * 6 // 4 + 3
            safe = len(_URL_SAFE_RE.findall(head))
            url_size += safe + (len(head) - safe) * 3
    if raw:
        return None
    return b"B" if b64_size < url_size else b"U"


def encode_reply_body(pairs: Pairs, sort: bool = True) -> Tuple[str, bytes]:
    """``(content_type, body)`` for a reply map: lines sorted bytewise, each ending in LF."""
    if sort:
        pairs = sorted(pairs)
    colenc = choose_colenc(pairs)
    if colenc is None:
        body = b"".join([k + b"\t" + v + b"\n" for k, v in pairs])
        return TSV_CONTENT_TYPE, body
    enc = _b64 if colenc == b"B" else url_encode
    body = b"".join([enc(k) + b"\t" + enc(v) + b"\n" for k, v in pairs])
    return f"{TSV_CONTENT_TYPE}; colenc={colenc.decode()}", body
