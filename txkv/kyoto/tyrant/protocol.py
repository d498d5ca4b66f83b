"""The Tokyo Tyrant client connection: pipelined requests, replies matched in order.

Each request that expects a reply appends a :class:`~txkv.kyoto.tyrant.codec.ReplyParser` for
its command's reply shape (see :class:`~txkv.kyoto.fifo_protocol.FifoProtocol`).  ``putnr``
expects no reply, takes no slot and fires once written.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred, succeed

from txkv.kyoto.fifo_protocol import FifoFactory, FifoProtocol
from txkv.kyoto.tyrant.codec import COMMAND_NAMES, NONE, REPLY_KIND, Reply, ReplyParser

__all__ = ["TokyoTyrantProtocol", "TokyoTyrantFactory"]


class TokyoTyrantProtocol(FifoProtocol):
    """One connection to a Tokyo Tyrant server.

    :meth:`request` sends a frame built by :mod:`~txkv.kyoto.tyrant.codec` and fires with the
    :class:`~txkv.kyoto.tyrant.codec.Reply` (code and data); failures of the connection fire
    :class:`~txkv.errors.ConnectionLostError`, :class:`~txkv.errors.RequestTimeoutError` or
    :class:`~txkv.errors.ProtocolError`.  Server "failure" codes are *not* errors here: the
    client layer decides what a non-zero code means for each command.

    :param clock: runs request timeouts (default: the global reactor).
    :param timeout: default seconds before a request fails (None: never).
    """

    store = "Tokyo Tyrant"

    # -- requests ---------------------------------------------------------------------------

    def request(self, cmd: int, frame: bytes, timeout: Optional[float] = None
                ) -> Deferred[Reply]:
        """Send ``frame`` (a request for command ``cmd``); fire with its reply.

        For ``putnr`` (no reply) the Deferred fires with ``Reply(0, None)`` once written.
        """
        kind = REPLY_KIND.get(cmd)
        if kind is None or kind == NONE:
            return self.pipeline([(cmd, frame)], timeout)[0]
        return self._send(frame, ReplyParser(kind), COMMAND_NAMES[cmd], timeout)

    def pipeline(self, requests: Sequence[Tuple[int, bytes]], timeout: Optional[float] = None
                 ) -> List[Deferred[Reply]]:
        """Send several requests in one write; one Deferred per request, in order."""
        if not self.usable or self.transport is None:
            return [self._refuse(COMMAND_NAMES.get(cmd)) for cmd, _frame in requests]
        kinds = [REPLY_KIND.get(cmd) for cmd, _frame in requests]
        for (cmd, _frame), kind in zip(requests, kinds):
            if kind is None:
                raise ValueError(f"command 0x{cmd:02x} cannot be sent as a request")
        results: List[Deferred[Reply]] = []
        for (cmd, _frame), kind in zip(requests, kinds):
            assert kind is not None
            if kind == NONE:
                results.append(succeed(Reply(0, None)))
                continue
            results.append(self.pending.add(COMMAND_NAMES[cmd], timeout))
            self._parsers.append(ReplyParser(kind))
        self._write(b"".join(frame for _cmd, frame in requests))
        return results


class TokyoTyrantFactory(FifoFactory):
    """Builds :class:`TokyoTyrantProtocol` with a clock and a default request timeout."""

    protocol_class = TokyoTyrantProtocol
