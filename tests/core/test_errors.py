"""Tests for txkv.errors: every class carries node, op, server code and message, and says so."""

from __future__ import annotations

from typing import Any, Dict, Type

from twisted.internet.error import ConnectionRefusedError
from twisted.trial.unittest import SynchronousTestCase

from txkv import errors
from txkv.errors import (
    AuthenticationError,
    ConnectionLostError,
    HandshakeError,
    NotConnectedError,
    ParameterError,
    ProtocolError,
    ReconnectError,
    RequestTimeoutError,
    SerializationError,
    ServerError,
    TxKVError,
)

#: Each class and the standard exceptions ``except`` clauses may use for it.
EXPECTED_BASES: Dict[Type[TxKVError], tuple] = {
    ConnectionLostError: (TxKVError, ConnectionError),
    NotConnectedError: (ConnectionLostError, ConnectionError),
    RequestTimeoutError: (TxKVError, TimeoutError),
    ProtocolError: (TxKVError,),
    HandshakeError: (TxKVError,),
    AuthenticationError: (HandshakeError,),
    ServerError: (TxKVError,),
    ReconnectError: (TxKVError, ConnectionError),
    ParameterError: (TxKVError, ValueError),
    SerializationError: (ParameterError, ValueError),
}


class HierarchyTests(SynchronousTestCase):
    def test_every_exported_class_is_covered(self) -> None:
        exported = {getattr(errors, name) for name in errors.__all__}
        self.assertEqual(exported, set(EXPECTED_BASES) | {TxKVError})

    def test_bases(self) -> None:
        for cls, bases in EXPECTED_BASES.items():
            for base in bases:
                self.assertTrue(issubclass(cls, base), f"{cls.__name__} is not a {base.__name__}")

    def test_unrelated_branches_stay_apart(self) -> None:
        self.assertFalse(issubclass(ServerError, ConnectionError))
        self.assertFalse(issubclass(RequestTimeoutError, ConnectionLostError))
        self.assertFalse(issubclass(ProtocolError, ServerError))
        self.assertFalse(issubclass(ParameterError, ServerError))


class ContextTests(SynchronousTestCase):
    """Every class takes ``node=`` and ``op=``, keeps them as attributes and shows them."""

    def make(self, cls: Type[TxKVError], **kw: Any) -> TxKVError:
        return cls("it broke", node="db1:10800", op="OP_CACHE_GET", **kw)

    def test_node_and_op_on_every_class(self) -> None:
        for cls in [TxKVError, *EXPECTED_BASES]:
            err = self.make(cls)
            self.assertEqual((err.node, err.op), ("db1:10800", "OP_CACHE_GET"), cls.__name__)
            text = str(err)
            self.assertIn("it broke", text, cls.__name__)
            self.assertIn("op=OP_CACHE_GET", text, cls.__name__)
            self.assertIn("node=db1:10800", text, cls.__name__)

    def test_plain_message(self) -> None:
        self.assertEqual(str(TxKVError("plain")), "plain")
        self.assertEqual(TxKVError("plain").message, "plain")
        self.assertEqual(str(TxKVError("x", node="n:1")), "x (node=n:1)")
        self.assertEqual(str(TxKVError("x", op="get")), "x (op=get)")

    def test_empty_message_names_the_class(self) -> None:
        self.assertEqual(str(ProtocolError()), "ProtocolError")
        self.assertEqual(str(HandshakeError(node="a:1")), "HandshakeError (node=a:1)")


class RequestTimeoutErrorTests(SynchronousTestCase):
    def test_timeout_attribute_and_default_message(self) -> None:
        err = RequestTimeoutError(timeout=2.5, node="kt:1978", op="get")
        self.assertEqual(err.timeout, 2.5)
        self.assertEqual(str(err), "no reply within 2.5 s (op=get, node=kt:1978)")

    def test_explicit_message_wins(self) -> None:
        err = RequestTimeoutError("slow", timeout=1)
        self.assertEqual((str(err), err.timeout), ("slow", 1))


class ServerErrorTests(SynchronousTestCase):
    def test_code_and_server_message(self) -> None:
        err = ServerError(code=1000, server_message="Cache does not exist: users",
                          node="ig:10800", op="OP_CACHE_GET")
        self.assertEqual(err.code, 1000)
        self.assertEqual(err.server_message, "Cache does not exist: users")
        self.assertEqual(str(err), "Cache does not exist: users [code 1000] "
                                   "(op=OP_CACHE_GET, node=ig:10800)")

    def test_code_already_in_message_is_not_repeated(self) -> None:
        err = ServerError("HTTP 450 logical inconsistency", code=450, server_message="DB: 7")
        self.assertEqual(str(err), "HTTP 450 logical inconsistency")
        self.assertEqual(err.server_message, "DB: 7")

    def test_code_digits_inside_other_words_do_not_hide_it(self) -> None:
        self.assertIn("[code 1]", str(ServerError(server_message="cache c1 missing", code=1)))
        self.assertIn("[code 2]", str(ServerError(server_message="v2.0 refused", code=2)))
        self.assertIn("[code 1]", str(ServerError(server_message="needs -1", code=1)))

    def test_message_is_the_server_message_when_none_given(self) -> None:
        err = ServerError("busy")
        self.assertEqual((err.code, err.server_message, str(err)), (None, "busy", "busy"))

    def test_no_message_at_all(self) -> None:
        self.assertEqual(str(ServerError()), "server error")
        self.assertEqual(str(ServerError(code=7)), "server error [code 7]")


class ReconnectErrorTests(SynchronousTestCase):
    def test_every_node_and_its_last_error(self) -> None:
        refused = ConnectionRefusedError("a")
        lost = ConnectionLostError("peer closed", node="b:2")
        err = ReconnectError(errors={"a:1": refused, "b:2": lost})
        self.assertEqual(err.errors, {"a:1": refused, "b:2": lost})
        text = str(err)
        self.assertTrue(text.startswith("all nodes are down: "), text)
        self.assertIn(f"a:1: {refused!r}", text)
        self.assertIn(f"b:2: {lost!r}", text)

    def test_errors_are_copied(self) -> None:
        source: Dict[str, BaseException] = {"a:1": ValueError("x")}
        err = ReconnectError(errors=source)
        source.clear()
        self.assertEqual(list(err.errors), ["a:1"])

    def test_custom_message_and_no_errors(self) -> None:
        self.assertEqual(str(ReconnectError()), "all nodes are down")
        self.assertEqual(ReconnectError().errors, {})
        self.assertEqual(str(ReconnectError("gave up", op="get")), "gave up (op=get)")

