"""Ignite framing: golden handshake/header bytes from the protocol brief (section 10), frame
splitting under arbitrary chunking, version-dependent headers, and fuzzing of every decoder."""

from __future__ import annotations

import uuid
from typing import List, Optional, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txkv.errors import ParameterError, ProtocolError
from txkv.ignite.codec import frames as fr
from txkv.ignite.codec import ops

NODE = uuid.UUID("a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90")
V170 = (1, 7, 0)


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", "").replace("|", ""))


def payload(frame: Union[bytes, bytearray]) -> bytes:
    """Strip (and check) the int32 length prefix."""
    assert int.from_bytes(frame[:4], "little", signed=True) == len(frame) - 4
    return bytes(frame[4:])


# -- golden handshakes (brief 10.1-10.3) ----------------------------------------------------------


def test_handshake_request_170_golden() -> None:
    frame = fr.encode_handshake_request(V170, features=[ops.Feature.CLUSTER_API])
    assert frame == h("0e 00 00 00 01 01 00 07 00 00 00 02 0c 01 00 00 00 04")
    request = fr.decode_handshake_request(payload(frame))
    assert request == fr.HandshakeRequest(V170, 2, b"\x04", None, None, None)
    assert request.feature_set == {2}


def test_handshake_request_with_credentials_golden() -> None:
    frame = fr.encode_handshake_request(V170, features=b"\x04", username="ignite",
                                        password="ignite")
    assert frame == h(
        "24 00 00 00 01 01 00 07 00 00 00 02 0c 01 00 00 00 04"
        "09 06 00 00 00 69 67 6e 69 74 65 09 06 00 00 00 69 67 6e 69 74 65")
    request = fr.decode_handshake_request(payload(frame))
    assert (request.username, request.password) == ("ignite", "ignite")


def test_handshake_request_120_golden() -> None:
    frame = fr.encode_handshake_request((1, 2, 0), features=[2])
    assert frame == h("08 00 00 00 01 01 00 02 00 00 00 02")
    assert fr.decode_handshake_request(payload(frame)) == fr.HandshakeRequest((1, 2, 0))


def test_handshake_success_reply_golden() -> None:
    frame = fr.encode_handshake_success(V170, features=[2], node_id=NODE)
    assert frame == h("18 00 00 00 01 0c 01 00 00 00 04 0a 18 07 f6 e5 d4 c3 b2 a1"
                      "90 8f 7e 6d 5c 4b 3a 29")
    reply = fr.decode_handshake_response(payload(frame), V170)
    assert reply.success and reply.node_id == NODE and reply.feature_set == {2}


def test_handshake_success_reply_by_version() -> None:
    assert fr.encode_handshake_success((1, 2, 0)) == h("01 00 00 00 01")
    assert fr.decode_handshake_response(h("01"), (1, 2, 0)) == fr.HandshakeResponse(True)
    frame = fr.encode_handshake_success((1, 4, 0), node_id=NODE)
    assert frame == h("12 00 00 00 01 0a 18 07 f6 e5 d4 c3 b2 a1 90 8f 7e 6d 5c 4b 3a 29")
    reply = fr.decode_handshake_response(payload(frame), (1, 4, 0))
    assert reply.node_id == NODE and reply.features is None
    with pytest.raises(ParameterError):
        fr.encode_handshake_success((1, 6, 0))


def test_handshake_version_mismatch_golden() -> None:
    frame = fr.encode_handshake_failure((1, 2, 0), "Unsupported version: 1.7.0",
                                        client_version=V170)
    assert frame == h("2a 00 00 00 00 01 00 02 00 00 00 09 1a 00 00 00") + \
        b"Unsupported version: 1.7.0" + h("01 00 00 00")
    reply = fr.decode_handshake_response(payload(frame), V170)
    assert not reply.success and not reply.is_auth_failure
    assert reply.server_version == (1, 2, 0)
    assert reply.message == "Unsupported version: 1.7.0"
    assert reply.status == ops.STATUS_FAILED


def test_handshake_auth_failure_golden() -> None:
    message = "Unauthenticated sessions are prohibited."
    frame = fr.encode_handshake_failure((0, 0, 0), message, client_version=V170,
                                        status=ops.STATUS_AUTH_FAILED)
    assert frame == h("38 00 00 00 00 00 00 00 00 00 00 09 28 00 00 00") + \
        message.encode() + h("d0 07 00 00")
    reply = fr.decode_handshake_response(payload(frame), V170)
    assert reply.is_auth_failure and reply.server_version == (0, 0, 0)


def test_handshake_failure_without_status_for_100_clients() -> None:
    frame = fr.encode_handshake_failure((1, 7, 0), "no", client_version=(1, 0, 0))
    assert frame == h("0e 00 00 00 00 01 00 07 00 00 00 09 02 00 00 00 6e 6f")
    reply = fr.decode_handshake_response(payload(frame), (1, 0, 0))
    assert reply.status is None and reply.message == "no"


def test_handshake_request_rules() -> None:
    with pytest.raises(ParameterError):
        fr.encode_handshake_request((1, 0, 0), username="u", password="p")
    with pytest.raises(ParameterError):
        fr.encode_handshake_request(V170, features=[2], user_attributes={"a": "b"})
    with pytest.raises(ParameterError):
        fr.encode_handshake_request((1, 6, 0), user_attributes={"a": "b"})
    frame = fr.encode_handshake_request(V170, features=[0, 2], user_attributes={"k": "v"})
    assert frame == h("20 00 00 00 01 01 00 07 00 00 00 02 0c 01 00 00 00 05"
                      "19 01 00 00 00 01 09 01 00 00 00 6b 09 01 00 00 00 76")
    request = fr.decode_handshake_request(payload(frame))
    assert request.user_attributes == {"k": "v"}
    null_attrs = fr.decode_handshake_request(payload(
        fr.encode_handshake_request(V170, features=[0])))
    assert null_attrs.user_attributes is None and null_attrs.feature_set == {0}


def test_handshake_request_not_a_handshake() -> None:
    with pytest.raises(ProtocolError):
        fr.decode_handshake_request(h("02 01 00 07 00 00 00 02"))
    with pytest.raises(ProtocolError):
        fr.decode_handshake_request(h("01 01 00"))


def test_handshake_request_unsupported_version_keeps_header_only() -> None:
    request = fr.decode_handshake_request(h("01 01 00 08 00 00 00 02 ff ff"))
    assert request == fr.HandshakeRequest((1, 8, 0), 2)
    assert request.version not in ops.PROTOCOL_VERSIONS


versions = st.sampled_from(ops.PROTOCOL_VERSIONS)
maybe_text = st.one_of(st.none(), st.text(max_size=20))


@given(versions, st.frozensets(st.integers(0, 40), max_size=8), maybe_text, maybe_text,
       st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3))
def test_handshake_request_round_trip(
    version: ops.ProtocolVersion, features: frozenset, username: Optional[str],
    password: Optional[str], attributes: dict,
) -> None:
    with_attrs = version >= (1, 7, 0) and 0 in features
    creds = version >= (1, 1, 0)
    frame = fr.encode_handshake_request(
        version, features=features, user_attributes=attributes if with_attrs else None,
        username=username if creds else None, password=password if creds else None)
    request = fr.decode_handshake_request(payload(frame))
    assert request.version == version
    if version >= (1, 7, 0):
        assert request.feature_set == features
        assert request.user_attributes == (attributes if with_attrs else None)
    else:
        assert request.features is None
    if creds:
        assert (request.username, request.password) == (username, password)


@given(versions, st.frozensets(st.integers(0, 30), max_size=6), st.uuids())
def test_handshake_success_round_trip(
    version: ops.ProtocolVersion, features: frozenset, node: uuid.UUID
) -> None:
    frame = fr.encode_handshake_success(version, features=features, node_id=node)
    reply = fr.decode_handshake_response(payload(frame), version)
    assert reply.success
    assert reply.node_id == (node if version >= (1, 4, 0) else None)
    assert reply.feature_set == (features if version >= (1, 7, 0) else frozenset())


def test_feature_bitmask_encoding() -> None:
    assert fr.encode_features([]) == b""
    assert fr.encode_features([2]) == b"\x04"
    assert fr.encode_features([0, 8, 13]) == b"\x01\x21"
    assert fr.decode_features(b"\x01\x21\x00") == {0, 8, 13}
    assert fr.decode_features(None) == frozenset()
    with pytest.raises(ParameterError):
        fr.encode_features([-1])


def test_feature_bitmask_matches_pyignite() -> None:
    from pyignite.connection.bitmask_feature import BitmaskFeature

    assert fr.encode_features([ops.Feature.CLUSTER_API]) == bytes(BitmaskFeature.all_supported())


# -- request and response headers -----------------------------------------------------------------


def test_request_header_golden() -> None:
    frame = h("17 00 00 00 1c 04 01 00 00 00 00 00 00 00 09 08 00 00 00 6d 79 20 63 61 63 68 65")
    assert fr.decode_request_header(payload(frame)) == (ops.OP_CACHE_GET_OR_CREATE_WITH_NAME, 1)
    assert fr.encode_request_frame(1052, 1, h("09 08 00 00 00") + b"my cache") == frame
    with pytest.raises(ProtocolError):
        fr.decode_request_header(b"\x01\x02\x03")


def test_first_reply_with_topology_golden() -> None:
    frame = fr.encode_response_frame(1, status_flags=True, topology=(1, 0))
    assert frame == h("16 00 00 00 01 00 00 00 00 00 00 00 02 00 01 00 00 00 00 00 00 00"
                      "00 00 00 00")
    header = fr.decode_response_header(payload(frame), True)
    assert header == fr.ResponseHeader(1, 0, None, 2, (1, 0), None, 22)
    assert not header.is_error


def test_plain_reply_golden() -> None:
    frame = fr.encode_response_frame(2, status_flags=True)
    assert frame == h("0a 00 00 00 02 00 00 00 00 00 00 00 00 00")
    assert fr.decode_response_header(payload(frame), True).body_offset == 10


def test_pre_14_reply_golden() -> None:
    frame = fr.encode_response_frame(10, h("04 2a 00 00 00 00 00 00 00"), status_flags=False)
    assert frame == h("15 00 00 00 0a 00 00 00 00 00 00 00 00 00 00 00"
                      "04 2a 00 00 00 00 00 00 00")
    header = fr.decode_response_header(payload(frame), False)
    assert (header.request_id, header.status, header.body_offset) == (10, 0, 12)


def test_error_reply_golden() -> None:
    message = "Cache does not exist [cacheId= 3387254]"
    frame = fr.encode_error_response(4, ops.STATUS_CACHE_DOES_NOT_EXIST, message,
                                     status_flags=True)
    assert frame == h("3a 00 00 00 04 00 00 00 00 00 00 00 01 00 e8 03 00 00 09 27 00 00 00") + \
        message.encode()
    header = fr.decode_response_header(payload(frame), True)
    assert header.is_error and header.status == 1000 and header.message == message
    assert header.body_offset == len(frame) - 4


def test_error_reply_variants() -> None:
    old = fr.encode_error_response(7, 1, "boom", status_flags=False)
    header = fr.decode_response_header(payload(old), False)
    assert (header.request_id, header.status, header.message) == (7, 1, "boom")
    with_topology = fr.encode_error_response(8, 1011, None, status_flags=True, topology=(3, 2))
    header = fr.decode_response_header(payload(with_topology), True)
    assert header.topology == (3, 2) and header.status == 1011 and header.message is None
    with pytest.raises(ParameterError):
        fr.encode_error_response(1, 0, "x", status_flags=True)
    # ERROR flag with status 0 must still read as an error.
    zero = h("01 00 00 00 00 00 00 00 01 00 00 00 00 00 65")
    assert fr.decode_response_header(zero, True).is_error


def test_notification_header() -> None:
    buf = fr.begin_notification(5, ops.OP_QUERY_CONTINUOUS_EVENT_NOTIFICATION)
    buf += b"\x65\x65\x65\x00"
    header = fr.decode_response_header(payload(fr.finish_frame(buf)), True)
    assert header.is_notification and header.notification_op == 2007
    assert header.request_id == 5 and header.body_offset == 12


@given(st.integers(-(2 ** 63), 2 ** 63 - 1), st.booleans(),
       st.one_of(st.none(), st.tuples(st.integers(0, 2 ** 63 - 1), st.integers(0, 2 ** 31 - 1))),
       st.binary(max_size=20))
def test_response_header_round_trip(
    request_id: int, status_flags: bool, topology: Optional[tuple], body: bytes
) -> None:
    frame = fr.encode_response_frame(request_id, body, status_flags=status_flags,
                                     topology=topology)
    header = fr.decode_response_header(payload(frame), status_flags)
    assert header.request_id == request_id and header.status == 0
    assert header.topology == (topology if status_flags else None)
    assert payload(frame)[header.body_offset:] == body


# -- frame reader ---------------------------------------------------------------------------------


def split(data: bytes, cuts: List[int]) -> List[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points + [len(data)]:
        pieces.append(data[last:point])
        last = point
    return pieces


@given(st.lists(st.binary(max_size=40), max_size=8), st.lists(st.integers(0, 10 ** 6)))
def test_frame_reader_any_chunking(payloads: List[bytes], cuts: List[int]) -> None:
    stream = b"".join(len(p).to_bytes(4, "little") + p for p in payloads)
    reader = fr.FrameReader()
    got: List[bytes] = []
    for piece in split(stream, cuts):
        got.extend(reader.feed(piece))
    assert got == payloads
    assert reader.buffered == 0


def test_frame_reader_byte_by_byte_and_partial() -> None:
    reader = fr.FrameReader()
    frame = h("03 00 00 00 61 62 63 02 00 00")
    out: List[bytes] = []
    for byte in frame:
        out.extend(reader.feed(bytes([byte])))
    assert out == [b"abc"]
    assert reader.buffered == 3
    assert reader.feed(memoryview(b"\x00xy")) == [b"xy"]


def test_frame_reader_limits() -> None:
    reader = fr.FrameReader(max_frame_size=8)
    assert reader.feed(h("08 00 00 00") + b"12345678") == [b"12345678"]
    with pytest.raises(ProtocolError):
        reader.feed(h("09 00 00 00"))
    with pytest.raises(ProtocolError):  # poisoned: the connection must close
        reader.feed(b"")
    with pytest.raises(ProtocolError):
        fr.FrameReader().feed(h("ff ff ff ff"))


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_frame_reader_fuzz(data: bytes) -> None:
    reader = fr.FrameReader(max_frame_size=1 << 20)
    try:
        for frame in reader.feed(data):
            assert len(frame) <= 1 << 20
    except ProtocolError:
        pass


# -- fuzzing the decoders -------------------------------------------------------------------------


@settings(max_examples=400)
@given(st.binary(max_size=80), st.booleans(), versions)
def test_header_decoders_fuzz(data: bytes, status_flags: bool,
                              version: ops.ProtocolVersion) -> None:
    for decode in (
        lambda: fr.decode_response_header(data, status_flags),
        lambda: fr.decode_handshake_response(data, version),
        lambda: fr.decode_request_header(data),
    ):
        try:
            decode()
        except ProtocolError:
            pass


@settings(max_examples=400)
@given(versions, st.binary(max_size=60))
def test_handshake_request_decoder_fuzz(version: ops.ProtocolVersion, tail: bytes) -> None:
    data = b"\x01" + version[0].to_bytes(2, "little") + version[1].to_bytes(2, "little") + \
        version[2].to_bytes(2, "little") + b"\x02" + tail
    try:
        request = fr.decode_handshake_request(data)
    except ProtocolError:
        return
    assert request.version == version


def test_string_helpers_reject_bad_input() -> None:
    with pytest.raises(ProtocolError):
        fr.decode_response_header(h("00 00 00 00 00 00 00 00 01 00 00 00 09 ff ff ff ff"), False)
    with pytest.raises(ProtocolError):
        fr.decode_response_header(h("00 00 00 00 00 00 00 00 01 00 00 00 09 02 00 00 00 ff fe"),
                                  False)
    with pytest.raises(ProtocolError):
        fr.decode_response_header(h("00 00 00 00 00 00 00 00 01 00 00 00 03 01 00 00 00"), False)
    buf = bytearray()
    fr.write_string(buf, "a\ud800b")  # lone surrogate -> '?', as Java does
    assert bytes(buf) == h("09 03 00 00 00 61 3f 62")
