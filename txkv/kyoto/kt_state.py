"""State shared by every connection of the embedded Kyoto Tycoon server: the databases, the
update log that feeds replication, named conditions (``WAIT``/``SIGNAL``) and counters."""

from __future__ import annotations

import os
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from txkv.kyoto.kt_db import KTDatabase
from txkv.kyoto.kt_values import UpdateLog, encode_ulog

__all__ = ["KTServerState", "UpdateLogBuffer", "Conditions", "KT_VERSION"]

KT_VERSION = "0.9.56"


class UpdateLogBuffer:
    """The most recent update logs, newest last, with nanosecond timestamps that never repeat.

    ``listeners`` are called with ``(ts, body)`` for every new log (open replication streams).
    """

    def __init__(self, clock: IReactorTime, capacity: int = 100_000) -> None:
        self.clock = clock
        self.logs: Deque[Tuple[int, bytes]] = deque(maxlen=capacity)
        self.listeners: List[Callable[[int, bytes], None]] = []
        self._last_ts = 0

    def now_ns(self) -> int:
        ts = int(self.clock.seconds() * 1e9)
        if ts <= self._last_ts:
            ts = self._last_ts + 1
        return ts

    def append(self, log: UpdateLog) -> None:
        ts = self.now_ns()
        self._last_ts = ts
        body = encode_ulog(log)
        self.logs.append((ts, body))
        for listener in list(self.listeners):
            listener(ts, body)

    def since(self, ts: int) -> List[Tuple[int, bytes]]:
        """Logs strictly newer than ``ts``."""
        return [(t, b) for t, b in self.logs if t > ts]

    @property
    def last_ts(self) -> int:
        return self._last_ts


class Conditions:
    """Named conditions for ``WAIT``/``SIGNAL``: waiters are Deferreds firing True when
    signalled and False on timeout."""

    def __init__(self, clock: IReactorTime) -> None:
        self.clock = clock
        self._waiters: Dict[bytes, List[Tuple[Deferred[bool], IDelayedCall]]] = {}

    def wait(self, name: bytes, timeout: float) -> Deferred[bool]:
        d: Deferred[bool] = Deferred()
        entry: List[Any] = []

        def expire() -> None:
            waiters = self._waiters.get(name, [])
            if entry and entry[0] in waiters:
                waiters.remove(entry[0])
            if not d.called:
                d.callback(False)

        call = self.clock.callLater(timeout, expire)
        pair = (d, call)
        entry.append(pair)
        self._waiters.setdefault(name, []).append(pair)
        return d

    def signal(self, name: bytes, broadcast: bool) -> int:
        waiters = self._waiters.get(name)
        if not waiters:
            return 0
        chosen = list(waiters) if broadcast else [waiters[0]]
        for pair in chosen:
            waiters.remove(pair)
            d, call = pair
            if call.active():
                call.cancel()
            d.callback(True)
        if not waiters:
            del self._waiters[name]
        return len(chosen)

    def cancel_all(self) -> None:
        for waiters in self._waiters.values():
            for d, call in waiters:
                if call.active():
                    call.cancel()
                if not d.called:
                    d.callback(False)
        self._waiters.clear()


class KTServerState:
    """Databases (by index and by name), counters, update log, conditions and scripts."""

    def __init__(self, databases: Sequence[KTDatabase], clock: IReactorTime, sid: int = 1,
                 ulog: Optional[UpdateLogBuffer] = None, scripts: Any = None) -> None:
        self.databases = list(databases)
        self.clock = clock
        self.sid = sid
        self.ulog = ulog
        self.scripts = scripts
        self.conditions = Conditions(clock)
        self.started = clock.seconds()
        self.connections = 0
        self.counters: Dict[str, int] = {
            name: 0 for name in ("set", "set_misses", "remove", "remove_misses", "get",
                                 "get_misses", "script", "misc")
        }
        self._by_name = {db.name: db for db in self.databases}
        if ulog is not None:
            for db in self.databases:
                db.on_update = ulog.append

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def database(self, spec: Optional[bytes]) -> Optional[KTDatabase]:
        """The database a ``DB`` parameter names: digits = index, else name; empty = 0."""
        if not spec:
            return self.databases[0] if self.databases else None
        if spec[:1].isdigit():
            digits = spec
            for i, ch in enumerate(spec):
                if not 48 <= ch <= 57:
                    digits = spec[:i]
                    break
            index = int(digits)
            return self.databases[index] if index < len(self.databases) else None
        return self._by_name.get(spec.decode("utf-8", "replace"))

    def by_index(self, index: int) -> Optional[KTDatabase]:
        return self.databases[index] if 0 <= index < len(self.databases) else None

    def report(self) -> List[Tuple[bytes, bytes]]:
        now = self.clock.seconds()
        out: Dict[str, str] = {
            "conf_kt_version": f"{KT_VERSION} (txkv)",
            "conf_kt_features": "(txkv)" + (" (lua)" if self.scripts is not None else ""),
            "conf_kc_version": "1.2.76 (txkv)",
            "conf_kc_features": "(txkv)",
            "conf_os_name": os.uname().sysname if hasattr(os, "uname") else "unknown",
            "serv_conn_count": str(self.connections),
            "serv_task_count": "0",
            "serv_thread_count": "1",
            "serv_current_time": f"{now:.6f}",
            "serv_running_term": f"{now - self.started:.6f}",
            "serv_proc_id": str(os.getpid()),
            "sys_mem_rss": "0",
        }
        total_count = total_size = 0
        for db in self.databases:
            count, size = db.count(), db.size()
            total_count += count
            total_size += size
            out[f"db_{db.index}"] = f"count={count} size={size} path={db.path}"
        out["db_total_count"] = str(total_count)
        out["db_total_size"] = str(total_size)
        for name, value in self.counters.items():
            out[f"cnt_{name}"] = str(value)
        if self.ulog is not None:
            out["repl_master_host"] = ""
            out["repl_interval"] = "0"
        return [(k.encode(), v.encode()) for k, v in out.items()]


def wall_clock_ns() -> int:
    return time.time_ns()
