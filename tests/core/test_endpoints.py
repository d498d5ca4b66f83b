"""Tests for txkv.endpoints: node specs -> addresses and client endpoints."""

from __future__ import annotations

from typing import Any, List

from twisted.internet.endpoints import HostnameEndpoint, TCP4ClientEndpoint, UNIXClientEndpoint
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator, IStreamClientEndpoint
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.ssl import optionsForClientTLS
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from txkv.endpoints import describe_endpoint, format_address, parse_node, parse_nodes
from txkv.errors import ParameterError


class ParseNodeTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()

    def test_host_port(self) -> None:
        node = parse_node("db1.example:10800", self.reactor)
        self.assertEqual((node.address, node.host, node.port), ("db1.example:10800", "db1.example",
                                                                10800))
        self.assertIsInstance(node.endpoint, HostnameEndpoint)

    def test_host_port_endpoint_connects_to_that_address(self) -> None:
        node = parse_node("127.0.0.1:1978", self.reactor)
        node.endpoint.connect(Factory.forProtocol(Protocol))
        self.assertEqual([(h, p) for h, p, *_ in self.reactor.tcpClients], [("127.0.0.1", 1978)])

    def test_ipv6_brackets(self) -> None:
        node = parse_node("[::1]:1978", self.reactor)
        self.assertEqual((node.address, node.host, node.port), ("[::1]:1978", "::1", 1978))
        node = parse_node("[fe80::1]", self.reactor, default_port=7)
        self.assertEqual(node.address, "[fe80::1]:7")

    def test_unbracketed_ipv6_is_rejected(self) -> None:
        self.assertRaises(ParameterError, parse_node, "::1", self.reactor, default_port=1)

    def test_default_port(self) -> None:
        self.assertEqual(parse_node("cache", self.reactor, default_port=1978).address,
                         "cache:1978")
        self.assertEqual(parse_node(" cache:5 ", self.reactor, default_port=1978).port, 5)

    def test_missing_port_without_default(self) -> None:
        err = self.assertRaises(ParameterError, parse_node, "cache", self.reactor)
        self.assertIn("no port", str(err))

    def test_tuple(self) -> None:
        node = parse_node(("10.0.0.1", 10800), self.reactor)
        self.assertEqual(node.address, "10.0.0.1:10800")
        self.assertEqual(parse_node(("::1", 5), self.reactor).address, "[::1]:5")

    def test_bad_ports(self) -> None:
        for spec in ["h:0", "h:65536", "h:99999999", ("h", 0), ("h", "80"), ("h", True)]:
            self.assertRaises(ParameterError, parse_node, spec, self.reactor)

    def test_bad_specs(self) -> None:
        for spec in ["", "   ", "h:x", "a b:1", "h:1:2:3", 42, None, ("h",), [("h", 1)], ("", 1)]:
            with self.subTest(spec=spec):
                self.assertRaises(ParameterError, parse_node, spec, self.reactor)

    def test_endpoint_object(self) -> None:
        endpoint = TCP4ClientEndpoint(self.reactor, "10.1.2.3", 99)
        node = parse_node(endpoint, self.reactor)
        self.assertIs(node.endpoint, endpoint)
        self.assertEqual(node.address, "10.1.2.3:99")

    def test_named_endpoint(self) -> None:
        endpoint = TCP4ClientEndpoint(self.reactor, "10.1.2.3", 99)
        node = parse_node(("primary", endpoint), self.reactor)
        self.assertEqual((node.address, node.endpoint), ("primary", endpoint))

    def test_endpoint_strings(self) -> None:
        node = parse_node("tcp:host=db.example:port=1978", self.reactor)
        self.assertEqual(node.address, "tcp:host=db.example:port=1978")
        self.assertEqual(describe_endpoint(node.endpoint), "db.example:1978")
        unix = parse_node("unix:/run/kt.sock", self.reactor)
        self.assertIsInstance(unix.endpoint, UNIXClientEndpoint)
        self.assertEqual(describe_endpoint(unix.endpoint), "unix:/run/kt.sock")

    def test_bad_endpoint_string(self) -> None:
        err = self.assertRaises(ParameterError, parse_node, "nosuchtype:foo=1", self.reactor)
        self.assertIn("nosuchtype", str(err))
        self.assertRaises(ParameterError, parse_node, "tcp:host=h:port=notaport", self.reactor)

    def test_tls_creator_wraps_host_port_nodes(self) -> None:
        creator = optionsForClientTLS("db.example")
        node = parse_node("db.example:443", self.reactor, tls=creator)
        self.assertNotIsInstance(node.endpoint, HostnameEndpoint)
        self.assertEqual(describe_endpoint(node.endpoint), "db.example:443")
        self.assertEqual(node.address, "db.example:443")

    def test_tls_callable_gets_each_hostname(self) -> None:
        asked: List[str] = []

        def per_host(hostname: str) -> Any:
            asked.append(hostname)
            return optionsForClientTLS(hostname)

        parse_nodes("a.example:1,b.example:2", self.reactor, tls=per_host)
        self.assertEqual(asked, ["a.example", "b.example"])
        self.assertTrue(IOpenSSLClientConnectionCreator.providedBy(optionsForClientTLS("x")))

    def test_bad_tls(self) -> None:
        self.assertRaises(ParameterError, parse_node, "h:1", self.reactor, tls="yes")

    def test_format_address(self) -> None:
        self.assertEqual(format_address("h", 1), "h:1")
        self.assertEqual(format_address("::1", 1), "[::1]:1")


class ParseNodesTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()

    def test_comma_separated(self) -> None:
        nodes = parse_nodes("a:1, b:2,,[::1]:3", self.reactor)
        self.assertEqual([n.address for n in nodes], ["a:1", "b:2", "[::1]:3"])

    def test_list_mixed(self) -> None:
        endpoint = TCP4ClientEndpoint(self.reactor, "10.0.0.9", 9)
        nodes = parse_nodes(["a", ("b", 2), endpoint], self.reactor, default_port=7)
        self.assertEqual([n.address for n in nodes], ["a:7", "b:2", "10.0.0.9:9"])
        self.assertTrue(all(IStreamClientEndpoint.providedBy(n.endpoint) for n in nodes))

    def test_single_tuple_and_single_endpoint(self) -> None:
        self.assertEqual([n.address for n in parse_nodes(("a", 1), self.reactor)], ["a:1"])
        endpoint = TCP4ClientEndpoint(self.reactor, "10.0.0.9", 9)
        self.assertEqual(len(parse_nodes(endpoint, self.reactor)), 1)

    def test_empty_and_duplicates(self) -> None:
        for specs in ["", " , ", [], ()]:
            self.assertRaises(ParameterError, parse_nodes, specs, self.reactor)
        err = self.assertRaises(ParameterError, parse_nodes, "a:1,a:1", self.reactor)
        self.assertIn("twice", str(err))

    def test_not_iterable(self) -> None:
        self.assertRaises(ParameterError, parse_nodes, 12, self.reactor)
