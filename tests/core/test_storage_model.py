"""Both storage backends against a plain-dict model, driven by a hypothesis state machine.

Each step runs the same operation on the in-memory storage (with tiny internal chunks, so
chunk splits, merges and scan refills happen) and on a LevelDB storage, and checks both
against the model: ``{namespace: {key: (value, deadline)}}``.  Snapshots and open iterators
are modelled as frozen copies; the clock only moves forward by explicit steps.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from twisted.internet.task import Clock

from txkv.storage import Cursor, Snapshot, Storage, _memory, open_storage
from txkv.storage._memory import MemoryEngine

NAMES = ["a", "ab", ""]
Model = Dict[bytes, Tuple[bytes, Optional[float]]]

names = st.sampled_from(NAMES)
keys = st.binary(max_size=3).map(
    lambda raw: bytes(b"\x00ab\xff"[byte % 4] for byte in raw)  # a few bytes, many collisions
)
values = st.binary(max_size=4)
ttls = st.one_of(st.none(), st.integers(min_value=-1, max_value=4))
bounds = st.one_of(st.none(), keys)


def select(
    model: Model,
    now: float,
    start: Optional[bytes],
    stop: Optional[bytes],
    prefix: Optional[bytes],
    reverse: bool,
) -> List[Tuple[bytes, bytes]]:
    """What an iteration must yield: unexpired keys in range, in order."""
    items = sorted(
        (key, value)
        for key, (value, deadline) in model.items()
        if (deadline is None or deadline > now)
        and (start is None or key >= start)
        and (stop is None or key < stop)
        and (prefix is None or key.startswith(prefix))
    )
    return items[::-1] if reverse else items


class OpenSnapshot:
    def __init__(self, name: str, frozen: Model, handles: Dict[str, Snapshot]) -> None:
        self.name = name
        self.frozen = frozen
        self.handles = handles


class OpenCursor:
    def __init__(
        self,
        ordered: List[Tuple[bytes, bytes, Optional[float]]],
        handles: Dict[str, Cursor[Tuple[bytes, bytes]]],
    ) -> None:
        self.ordered = ordered  # the frozen range, expiry still to be judged
        self.handles = handles


class StorageMachine(RuleBasedStateMachine):
    snapshots = Bundle("snapshots")
    cursors = Bundle("cursors")

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.clock.advance(100)
        self.directory = tempfile.mkdtemp(prefix="txkv-model-")
        self.stores: Dict[str, Storage] = {
            "memory": Storage(MemoryEngine(chunk_size=4), clock=self.clock.seconds),
            "leveldb": open_storage(self.directory, clock=self.clock.seconds),
        }
        self.model: Dict[str, Model] = {}
        self.open_snapshots: List[OpenSnapshot] = []
        self.open_cursors: List[OpenCursor] = []

    def teardown(self) -> None:
        for storage in self.stores.values():
            storage.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def now(self) -> float:
        return self.clock.seconds()

    def each(self) -> Iterator[Tuple[str, Storage]]:
        return iter(self.stores.items())

    def space(self, name: str) -> Model:
        return self.model.setdefault(name, {})

    def alive(self, name: str, key: bytes) -> Optional[Tuple[bytes, Optional[float]]]:
        entry = self.space(name).get(key)
        if entry is None or (entry[1] is not None and entry[1] <= self.now):
            return None
        return entry

    def set_model(self, name: str, key: bytes, value: bytes, ttl: Optional[int]) -> None:
        if ttl is not None and ttl <= 0:
            self.space(name).pop(key, None)
        else:
            self.space(name)[key] = (value, None if ttl is None else self.now + ttl)

    # -- writes -----------------------------------------------------------------------------

    @rule(name=names, key=keys, value=values, ttl=ttls)
    def put(self, name: str, key: bytes, value: bytes, ttl: Optional[int]) -> None:
        for _, storage in self.each():
            storage.namespace(name).put(key, value, ttl=ttl)
        self.set_model(name, key, value, ttl)

    @rule(name=names, key=keys)
    def delete(self, name: str, key: bytes) -> None:
        existed = self.alive(name, key) is not None
        for _, storage in self.each():
            assert storage.namespace(name).delete(key) is existed
        self.space(name).pop(key, None)

    @rule(name=names, key=keys, ttl=ttls)
    def touch(self, name: str, key: bytes, ttl: Optional[int]) -> None:
        entry = self.alive(name, key)
        for _, storage in self.each():
            assert storage.namespace(name).touch(key, ttl) is (entry is not None)
        if entry is not None:
            self.set_model(name, key, entry[0], ttl)

    @rule(
        ops=st.lists(st.tuples(names, keys, st.one_of(st.none(), values), ttls), max_size=6),
        fail=st.booleans(),
    )
    def batch(
        self, ops: List[Tuple[str, bytes, Optional[bytes], Optional[int]]], fail: bool
    ) -> None:
        for _, storage in self.each():
            with pytest.raises(RuntimeError) if fail else _nothing():
                with storage.write_batch() as batch:
                    for name, key, value, ttl in ops:
                        if value is None:
                            batch.delete(name, key)
                        else:
                            batch.put(name, key, value, ttl)
                    if fail:
                        raise RuntimeError("abandon")
        for name, key, value, ttl in ops:
            self.space(name)  # the batch created the namespace even if abandoned
            if fail:
                continue
            if value is None:
                self.space(name).pop(key, None)
            else:
                self.set_model(name, key, value, ttl)

    @rule(name=names)
    def clear(self, name: str) -> None:
        for _, storage in self.each():
            storage.namespace(name).clear()
        self.model[name] = {}

    @rule(name=names)
    def drop(self, name: str) -> None:
        for _, storage in self.each():
            assert storage.drop_namespace(name) is (name in self.model)
        self.model.pop(name, None)

    @rule(seconds=st.integers(min_value=0, max_value=3))
    def advance(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule()
    def purge(self) -> None:
        counts = {kind: storage.purge_expired() for kind, storage in self.each()}
        assert counts["memory"] == counts["leveldb"]
        expired = sum(
            1
            for space in self.model.values()
            for _, d in space.values()
            if d is not None and d <= self.now
        )
        assert counts["memory"] <= expired
        for space in self.model.values():
            for key in [k for k, (_, d) in space.items() if d is not None and d <= self.now]:
                del space[key]

    @rule()
    def reopen_leveldb(self) -> None:
        for snap in self.open_snapshots:
            for handle in snap.handles.values():
                handle.close()
        for cursor in self.open_cursors:
            for open_cursor in cursor.handles.values():
                open_cursor.close()
        self.open_snapshots.clear()
        self.open_cursors.clear()
        self.stores["leveldb"].close()
        self.stores["leveldb"] = open_storage(self.directory, clock=self.clock.seconds)

    # -- reads ------------------------------------------------------------------------------

    @rule(name=names, key=keys)
    def point_reads(self, name: str, key: bytes) -> None:
        entry = self.alive(name, key)
        for _, storage in self.each():
            ns = storage.namespace(name)
            assert ns.get(key) == (None if entry is None else entry[0])
            assert (key in ns) is (entry is not None)
            assert ns.expire_at(key) == (None if entry is None else entry[1])

    @rule(name=names, start=bounds, stop=bounds, prefix=bounds, reverse=st.booleans())
    def iterate(
        self,
        name: str,
        start: Optional[bytes],
        stop: Optional[bytes],
        prefix: Optional[bytes],
        reverse: bool,
    ) -> None:
        expected = select(self.space(name), self.now, start, stop, prefix, reverse)
        for _, storage in self.each():
            ns = storage.namespace(name)
            assert list(ns.iterate(start, stop, prefix, reverse)) == expected
            assert list(ns.iterate(start, stop, prefix, reverse, keys_only=True)) == [
                k for k, _ in expected
            ]

    @rule(name=names)
    def count(self, name: str) -> None:
        expected = len(select(self.space(name), self.now, None, None, None, False))
        for _, storage in self.each():
            assert storage.namespace(name).count() == expected

    @invariant()
    def same_content(self) -> None:
        for _, storage in self.each():
            assert storage.namespaces() == sorted(self.model)
        for name, space in self.model.items():
            expected = select(space, self.now, None, None, None, False)
            for _, storage in self.each():
                with storage.namespace(name).snapshot() as snap:  # snapshots do not purge
                    assert list(snap.iterate()) == expected

    # -- snapshots and open iterators -------------------------------------------------------

    @rule(target=snapshots, name=names)
    def take_snapshot(self, name: str) -> OpenSnapshot:
        handles = {kind: storage.namespace(name).snapshot() for kind, storage in self.each()}
        snap = OpenSnapshot(name, dict(self.space(name)), handles)
        self.open_snapshots.append(snap)
        return snap

    @rule(snap=snapshots, key=keys, start=bounds, stop=bounds, reverse=st.booleans())
    def read_snapshot(
        self,
        snap: OpenSnapshot,
        key: bytes,
        start: Optional[bytes],
        stop: Optional[bytes],
        reverse: bool,
    ) -> None:
        if snap not in self.open_snapshots:
            return
        expected = select(snap.frozen, self.now, start, stop, None, reverse)
        entry = snap.frozen.get(key)
        value = (
            None if entry is None or (entry[1] is not None and entry[1] <= self.now) else entry[0]
        )
        for handle in snap.handles.values():
            assert list(handle.iterate(start, stop, reverse=reverse)) == expected
            assert handle.get(key) == value

    @rule(snap=consumes(snapshots))
    def close_snapshot(self, snap: OpenSnapshot) -> None:
        for handle in snap.handles.values():
            handle.close()
        if snap in self.open_snapshots:
            self.open_snapshots.remove(snap)

    @rule(target=cursors, name=names, start=bounds, stop=bounds, reverse=st.booleans())
    def open_cursor(
        self, name: str, start: Optional[bytes], stop: Optional[bytes], reverse: bool
    ) -> OpenCursor:
        frozen = sorted(
            (k, v, d)
            for k, (v, d) in self.space(name).items()
            if (start is None or k >= start) and (stop is None or k < stop)
        )
        if reverse:
            frozen.reverse()
        handles = {
            kind: storage.namespace(name).iterate(start, stop, reverse=reverse)
            for kind, storage in self.each()
        }
        cursor = OpenCursor(frozen, handles)
        self.open_cursors.append(cursor)
        return cursor

    @rule(cursor=cursors, steps=st.integers(min_value=1, max_value=3))
    def step_cursor(self, cursor: OpenCursor, steps: int) -> None:
        if cursor not in self.open_cursors:
            return
        for _ in range(steps):
            while (
                cursor.ordered
                and cursor.ordered[0][2] is not None
                and cursor.ordered[0][2] <= self.now
            ):
                cursor.ordered.pop(0)  # expired by now: skipped
            expected = cursor.ordered.pop(0)[:2] if cursor.ordered else None
            for handle in cursor.handles.values():
                assert next(handle, None) == expected


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_backends_match_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_memory, "SCAN_BATCH", 2)  # refill scans often
    monkeypatch.setattr(_memory, "MIN_SWEEP", 1)  # sweep old versions whenever possible
    run_state_machine_as_test(
        StorageMachine,
        settings=settings(
            max_examples=80,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
