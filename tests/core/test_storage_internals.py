"""Internals of txkv.storage: the chunked key index, encodings, and memory-engine housekeeping."""

from __future__ import annotations

import gc
import math
import struct
from typing import List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.task import Clock

from txkv.storage import Storage
from txkv.storage._engine import Record
from txkv.storage._leveldb import decode_record, decode_when, encode_record, encode_when
from txkv.storage._memory import MemoryEngine
from txkv.storage._sortedkeys import SortedKeys
from txkv.storage._validate import key_range, prefix_successor

small_keys = st.binary(max_size=3).map(lambda raw: bytes(b"\x00a\xff"[b % 3] for b in raw))
bound = st.one_of(st.none(), small_keys)


@settings(max_examples=150, deadline=None)
@given(
    chunk_size=st.integers(min_value=2, max_value=5),
    ops=st.lists(st.tuples(st.booleans(), small_keys), max_size=80),
    queries=st.lists(
        st.tuples(bound, st.booleans(), bound, st.integers(min_value=1, max_value=7)), max_size=8
    ),
)
def test_sorted_keys_match_a_sorted_list(
    chunk_size: int,
    ops: List[Tuple[bool, bytes]],
    queries: List[Tuple[Optional[bytes], bool, Optional[bytes], int]],
) -> None:
    index = SortedKeys(chunk_size)
    model: set = set()
    for add, key in ops:
        if add and key not in model:
            index.add(key)
            model.add(key)
        elif not add and key in model:
            index.remove(key)
            model.discard(key)
        assert len(index) == len(model)
    ordered = sorted(model)
    assert index.after(None, True, None, 10**6) == ordered
    assert index.before(None, True, None, 10**6) == ordered[::-1]
    for key in set(k for _, k in ops):
        assert (key in index) is (key in model)
    for edge, inclusive, other, limit in queries:
        up = [
            k
            for k in ordered
            if (edge is None or (k >= edge if inclusive else k > edge))
            and (other is None or k < other)
        ]
        assert index.after(edge, inclusive, other, limit) == up[:limit]
        down = [
            k
            for k in reversed(ordered)
            if (edge is None or (k <= edge if inclusive else k < edge))
            and (other is None or k >= other)
        ]
        assert index.before(edge, inclusive, other, limit) == down[:limit]


def test_sorted_keys_errors() -> None:
    with pytest.raises(ValueError):
        SortedKeys(1)
    index = SortedKeys(2)
    index.add(b"a")
    with pytest.raises(KeyError):
        index.remove(b"b")


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(a=finite, b=finite)
def test_deadline_encoding_keeps_numeric_order(a: float, b: float) -> None:
    assert decode_when(encode_when(a)) == a
    if a < b:
        assert encode_when(a) < encode_when(b)


@given(value=st.binary(), deadline=st.one_of(st.none(), finite))
def test_record_encoding_round_trips(value: bytes, deadline: Optional[float]) -> None:
    assert decode_record(encode_record(Record(value, deadline))) == Record(value, deadline)


def test_record_header_layout() -> None:
    assert encode_record(Record(b"v", None)) == b"\x00v"
    assert encode_record(Record(b"v", 2.5)) == b"\x01" + struct.pack(">d", 2.5) + b"v"


@given(prefix=small_keys, key=small_keys)
def test_prefix_successor_bounds_exactly_the_prefixed_keys(prefix: bytes, key: bytes) -> None:
    upper = prefix_successor(prefix)
    if upper is None:
        assert prefix.strip(b"\xff") == b""
    elif key.startswith(prefix):
        assert key < upper
    elif key > prefix:
        assert key >= upper


def test_key_range_edge_cases() -> None:
    assert key_range(None, None, None) == (None, None, False)
    assert key_range(b"", b"", None)[2] is True
    assert key_range(None, None, b"\xff\xff") == (b"\xff\xff", None, False)
    assert key_range(b"b", b"a", None)[2] is True


# -- memory engine housekeeping ---------------------------------------------------------------


def memory_storage(clock: Optional[Clock] = None) -> Tuple[Storage, MemoryEngine]:
    engine = MemoryEngine(chunk_size=4)
    return Storage(engine, clock=(clock or Clock()).seconds), engine


def chain_lengths(engine: MemoryEngine, name: str) -> List[int]:
    space = engine._spaces[name]
    return [len(chain) for chain in space.chains.values()]


def test_versions_collapse_when_the_last_view_is_released() -> None:
    storage, engine = memory_storage()
    ns = storage.namespace("n")
    for i in range(20):
        ns.put(b"%02d" % i, b"v1")
    snap = ns.snapshot()
    for i in range(20):
        ns.put(b"%02d" % i, b"v2")
        ns.put(b"%02d" % i, b"v3")
    for i in range(10):
        ns.delete(b"%02d" % i)
    assert max(chain_lengths(engine, "n")) >= 2
    assert len(engine._spaces["n"].keys) == 20  # tombstones kept for the snapshot
    assert snap.get(b"00") == b"v1"
    snap.close()
    assert chain_lengths(engine, "n") == [1] * 10
    assert len(engine._spaces["n"].keys) == 10
    assert engine._views == {} and engine._oldest is None


def test_without_views_writes_keep_one_version() -> None:
    storage, engine = memory_storage()
    ns = storage.namespace("n")
    for round_ in range(5):
        for i in range(50):
            ns.put(b"%02d" % i, b"%d" % round_)
    for i in range(0, 50, 2):
        ns.delete(b"%02d" % i)
    assert chain_lengths(engine, "n") == [1] * 25
    assert len(engine._spaces["n"].keys) == 25
    assert not engine._dirty_spaces


def test_forgotten_snapshots_and_cursors_release_their_views() -> None:
    storage, engine = memory_storage()
    ns = storage.namespace("n")
    ns.put(b"a", b"1")
    ns.snapshot()
    cursor = ns.iterate()
    next(cursor)
    ns.iterate()  # never started
    del cursor
    gc.collect()
    assert engine._views == {}
    ns.put(b"a", b"2")
    assert chain_lengths(engine, "n") == [1]


def test_partial_sweep_while_older_views_remain(monkeypatch: pytest.MonkeyPatch) -> None:
    from txkv.storage import _memory

    monkeypatch.setattr(_memory, "MIN_SWEEP", 1)
    storage, engine = memory_storage()
    ns = storage.namespace("n")
    ns.put(b"k", b"0")
    old = ns.snapshot()
    ns.put(b"k", b"1")
    middle = ns.snapshot()
    ns.put(b"k", b"2")
    ns.put(b"gone", b"x")
    newer = ns.snapshot()
    ns.delete(b"gone")
    assert chain_lengths(engine, "n") == [3, 2]
    old.close()  # the oldest view goes: versions only it could see are dropped
    assert sorted(chain_lengths(engine, "n")) == [2, 2]
    assert (middle.get(b"k"), newer.get(b"k"), ns.get(b"k")) == (b"1", b"2", b"2")
    assert newer.get(b"gone") == b"x" and ns.get(b"gone") is None
    middle.close()
    newer.close()
    assert chain_lengths(engine, "n") == [1]


def test_expiry_heap_stays_bounded_under_repeated_touches() -> None:
    clock = Clock()
    storage, engine = memory_storage(clock)
    ns = storage.namespace("n")
    for i in range(10):
        ns.put(b"%d" % i, b"v", ttl=1000)
    for _ in range(200):
        for i in range(10):
            ns.touch(b"%d" % i, 1000)
    assert len(engine._spaces["n"].expiry_heap) <= 2 * 10 + 64
    clock.advance(1000)
    assert ns.purge_expired() == 10
    assert ns.count() == 0


def test_count_is_tracked_without_scanning() -> None:
    clock = Clock()
    storage, engine = memory_storage(clock)
    ns = storage.namespace("n")
    for i in range(100):
        ns.put(b"%03d" % i, b"v", ttl=10 if i < 30 else None)
    ns.delete(b"099")
    ns.put(b"000", b"again", ttl=math.inf)
    assert ns.count() == 99
    clock.advance(10)
    assert ns.count() == 70
    assert engine._spaces["n"].live == 70
