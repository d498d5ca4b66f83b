"""Tests for txkv.serializers: round trips, clear errors, and pickle only on explicit request."""

from __future__ import annotations

import json
import pickle
from typing import Any

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from txkv.errors import ParameterError, SerializationError
from txkv.serializers import BYTES, JSON, MSGPACK, PICKLE, UTF8, Serializer, get_serializer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=20,
)
msgpack_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False) | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8) | st.integers(-5, 5), children, max_size=5),
    max_leaves=20,
)


class Unpicklable:
    def __reduce__(self) -> Any:
        raise TypeError("no pickling here")


class LookupTests(SynchronousTestCase):
    def test_bytes_is_the_default(self) -> None:
        self.assertIs(get_serializer(), BYTES)
        self.assertIs(get_serializer(None), BYTES)

    def test_names(self) -> None:
        expected = {
            "bytes": BYTES, "raw": BYTES, "none": BYTES,
            "str": UTF8, "utf-8": UTF8, "UTF8": UTF8,
            "json": JSON, "JSON": JSON, "msgpack": MSGPACK, "pickle": PICKLE,
        }
        for name, serializer in expected.items():
            self.assertIs(get_serializer(name), serializer, name)

    def test_serializer_object_passes_through(self) -> None:
        custom = Serializer("upper", lambda v: v.upper().encode(), lambda b: b.decode())
        self.assertIs(get_serializer(custom), custom)
        self.assertIs(get_serializer(PICKLE), PICKLE)

    def test_unknown_names_are_a_clear_error(self) -> None:
        for spec in ("yaml", "", "pickle5", 3, b"json", object()):
            with self.assertRaises(SerializationError) as caught:
                get_serializer(spec)  # type: ignore[arg-type]
            message = str(caught.exception)
            self.assertIn(repr(spec), message)
            self.assertIn("json", message)  # lists the choices
            self.assertIsInstance(caught.exception, ParameterError)

    def test_pickle_is_never_chosen_implicitly(self) -> None:
        """Only the name ``pickle`` (or the PICKLE object) yields the pickle serializer."""
        self.assertIsNot(get_serializer(), PICKLE)
        for name in ("bytes", "raw", "none", "str", "utf-8", "utf8", "json", "msgpack"):
            self.assertIsNot(get_serializer(name), PICKLE, name)
        for near in ("pkl", "pickled", "python", "object", "auto", "default"):
            self.assertRaises(SerializationError, get_serializer, near)

    def test_names_on_the_objects(self) -> None:
        self.assertEqual([s.name for s in (BYTES, UTF8, JSON, MSGPACK, PICKLE)],
                         ["bytes", "utf-8", "json", "msgpack", "pickle"])


class RoundTripTests(SynchronousTestCase):
    @given(st.binary())
    def test_bytes(self, value: bytes) -> None:
        self.assertEqual(BYTES.loads(BYTES.dumps(value)), value)
        self.assertIs(type(BYTES.dumps(bytearray(value))), bytes)
        self.assertEqual(BYTES.dumps(memoryview(value)), value)

    @given(st.text())
    def test_utf8(self, value: str) -> None:
        encoded = UTF8.dumps(value)
        self.assertEqual(encoded, value.encode("utf-8"))
        self.assertEqual(UTF8.loads(encoded), value)

    @settings(max_examples=200)
    @given(json_values)
    def test_json(self, value: Any) -> None:
        encoded = JSON.dumps(value)
        self.assertIsInstance(encoded, bytes)
        self.assertEqual(JSON.loads(encoded), value)
        self.assertEqual(json.loads(encoded.decode("utf-8")), value)  # standard JSON

    @settings(max_examples=200)
    @given(msgpack_values)
    def test_msgpack(self, value: Any) -> None:
        encoded = MSGPACK.dumps(value)
        self.assertEqual(MSGPACK.loads(encoded), value)
        self.assertEqual(msgpack.unpackb(encoded, raw=False, strict_map_key=False), value)

    @given(msgpack_values | st.sets(st.integers()) | st.tuples(st.text(), st.binary()))
    def test_pickle(self, value: Any) -> None:
        self.assertEqual(PICKLE.loads(PICKLE.dumps(value)), value)

    def test_json_is_compact_utf8(self) -> None:
        self.assertEqual(JSON.dumps({"a": [1, 2], "é": None}), '{"a":[1,2],"é":null}'.encode())

    def test_msgpack_keeps_bytes_and_str_apart(self) -> None:
        self.assertEqual(MSGPACK.loads(MSGPACK.dumps([b"raw", "text"])), [b"raw", "text"])

    def test_loads_accepts_bytes_like(self) -> None:
        self.assertEqual(JSON.loads(memoryview(b"[1]")), [1])
        self.assertEqual(MSGPACK.loads(bytearray(MSGPACK.dumps(5))), 5)
        self.assertEqual(UTF8.loads(memoryview("é".encode())), "é")
        self.assertEqual(PICKLE.loads(bytearray(pickle.dumps(3))), 3)

    def test_utf8_passes_bytes_through(self) -> None:
        self.assertEqual(UTF8.dumps(b"\xff"), b"\xff")


class ErrorTests(SynchronousTestCase):
    def assert_fails(self, fn: Any, value: Any, fragment: str) -> None:
        with self.assertRaises(SerializationError) as caught:
            fn(value)
        self.assertIn(fragment, str(caught.exception))

    def test_bytes_refuses_other_types(self) -> None:
        for value in ("text", 1, None, [1]):
            self.assert_fails(BYTES.dumps, value, "bytes serializer needs bytes")

    def test_utf8_errors(self) -> None:
        self.assert_fails(UTF8.dumps, 1, "needs str or bytes")
        self.assert_fails(UTF8.loads, b"\xff\xfe", "not valid UTF-8")
        self.assert_fails(UTF8.dumps, "\ud800", "not encodable as UTF-8")  # lone surrogate

    def test_json_errors(self) -> None:
        self.assert_fails(JSON.dumps, {1, 2}, "not JSON-serializable")
        self.assert_fails(JSON.dumps, b"bytes", "not JSON-serializable")
        self.assert_fails(JSON.dumps, object(), "not JSON-serializable")
        self.assert_fails(JSON.dumps, "\ud800", "not JSON-serializable")
        self.assert_fails(JSON.loads, b"{not json", "not valid JSON")
        self.assert_fails(JSON.loads, b"\xff", "not valid JSON")
        self.assert_fails(JSON.loads, b"", "not valid JSON")

    def test_json_circular_value(self) -> None:
        loop: list = []
        loop.append(loop)
        self.assert_fails(JSON.dumps, loop, "not JSON-serializable")

    def test_msgpack_errors(self) -> None:
        self.assert_fails(MSGPACK.dumps, object(), "not msgpack-serializable")
        self.assert_fails(MSGPACK.dumps, 2**64, "not msgpack-serializable")
        self.assert_fails(MSGPACK.loads, b"\xc1", "not valid msgpack")  # reserved byte
        self.assert_fails(MSGPACK.loads, MSGPACK.dumps(1) + b"\x01", "not valid msgpack")
        self.assert_fails(MSGPACK.loads, b"\x92\x01", "not valid msgpack")  # truncated array

    def test_hostile_nesting_and_keys(self) -> None:
        self.assert_fails(JSON.loads, b"[" * 100_000, "not valid JSON")
        self.assert_fails(JSON.loads, b"1" * 5000, "not valid JSON")  # int digit limit
        self.assert_fails(MSGPACK.loads, b"\x91" * 100_000, "not valid msgpack")
        self.assert_fails(MSGPACK.loads, b"\x81\x90\x00", "not valid msgpack")  # {[]: 0}
        self.assert_fails(MSGPACK.loads, b"\x81\x80\x00", "not valid msgpack")  # {{}: 0}
        deep: list = []
        for _ in range(100_000):
            deep = [deep]
        self.assert_fails(JSON.dumps, deep, "not JSON-serializable")
        self.assert_fails(MSGPACK.dumps, deep, "not msgpack-serializable")

    def test_pickle_errors(self) -> None:
        self.assert_fails(PICKLE.dumps, Unpicklable(), "cannot be pickled")
        self.assert_fails(PICKLE.dumps, lambda: None, "cannot be pickled")
        self.assert_fails(PICKLE.loads, b"not a pickle", "cannot be unpickled")
        self.assert_fails(PICKLE.loads, pickle.dumps([1, 2])[:-3], "cannot be unpickled")

    @given(st.binary(max_size=64))
    def test_garbage_never_escapes_as_another_exception(self, data: bytes) -> None:
        for serializer in (UTF8, JSON, MSGPACK):
            try:
                serializer.loads(data)
            except SerializationError:
                pass
