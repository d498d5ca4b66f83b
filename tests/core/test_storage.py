"""The txkv.storage suite, run against both backends (in-memory and LevelDB).

Every test receives ``storage`` (or ``opener``) through a fixture parametrized over the two
backends, so both must behave identically.  Expiry runs on a twisted ``Clock``.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from typing import Any, Callable, Iterator, List, Optional

import pytest
from twisted.internet.task import Clock

from txkv.errors import ParameterError, TxKVError
from txkv.storage import (
    Cursor,
    Entry,
    Namespace,
    NamespaceDroppedError,
    SnapshotClosedError,
    Storage,
    StorageClosedError,
    StorageError,
    open_storage,
)

BACKENDS = ["memory", "leveldb"]


class Opener:
    """Opens storages of one backend (LevelDB: always the same directory)."""

    def __init__(self, backend: str, directory: Optional[str]) -> None:
        self.backend = backend
        self.directory = directory
        self.opened: List[Storage] = []

    def __call__(self, clock: Optional[Callable[[], float]] = None) -> Storage:
        storage = open_storage(self.directory, clock=clock)
        self.opened.append(storage)
        return storage


@pytest.fixture(params=BACKENDS)
def opener(request: pytest.FixtureRequest) -> Iterator[Opener]:
    directory = tempfile.mkdtemp(prefix="txkv-storage-") if request.param == "leveldb" else None
    result = Opener(request.param, directory)
    try:
        yield result
    finally:
        for storage in result.opened:
            storage.close()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.advance(1000)
    return clock


@pytest.fixture
def storage(opener: Opener, clock: Clock) -> Storage:
    return opener(clock.seconds)


@pytest.fixture
def ns(storage: Storage) -> Namespace:
    return storage.namespace("main")


def fill(ns: Namespace, keys: List[bytes]) -> None:
    for key in keys:
        ns.put(key, b"v-" + key)


# -- point operations -----------------------------------------------------------------------


def test_put_get_delete(ns: Namespace) -> None:
    assert ns.get(b"k") is None
    assert b"k" not in ns
    ns.put(b"k", b"v")
    assert ns.get(b"k") == b"v"
    assert b"k" in ns
    ns.put(b"k", b"w")
    assert ns.get(b"k") == b"w"
    assert ns.delete(b"k") is True
    assert ns.delete(b"k") is False
    assert ns.get(b"k") is None


def test_empty_key_and_value_are_allowed(ns: Namespace) -> None:
    ns.put(b"", b"")
    assert ns.get(b"") == b""
    assert list(ns.iterate()) == [(b"", b"")]
    assert ns.count() == 1


def test_bytes_like_inputs_are_stored_as_bytes(ns: Namespace) -> None:
    ns.put(bytearray(b"ba"), memoryview(b"mv-value"))
    value = ns.get(memoryview(b"ba"))
    assert type(value) is bytes and value == b"mv-value"
    key, stored = next(ns.iterate())
    assert type(key) is bytes and type(stored) is bytes
    assert bytearray(b"ba") in ns


@pytest.mark.parametrize("bad", ["text", 1, None, 1.5, ["k"], object()])
def test_bad_keys_raise_parameter_error(ns: Namespace, bad: Any) -> None:
    with pytest.raises(ParameterError, match="key must be bytes"):
        ns.put(bad, b"v")
    with pytest.raises(ParameterError):
        ns.get(bad)
    with pytest.raises(ParameterError):
        ns.delete(bad)
    with pytest.raises(ParameterError):
        bad in ns  # noqa: B015
    with pytest.raises(ParameterError):
        ns.write_batch().put(bad, b"v")
    assert ns.count() == 0


def test_bad_value_and_str_hint(ns: Namespace) -> None:
    text: Any = "text"
    number: Any = 3
    with pytest.raises(ParameterError, match="value must be bytes.*encode str first"):
        ns.put(b"k", text)
    with pytest.raises(ParameterError, match="start must be bytes"):
        ns.iterate(start=text)
    with pytest.raises(ParameterError, match="prefix must be bytes"):
        ns.iterate(prefix=number)
    assert ns.get(b"k") is None
    assert isinstance(ParameterError("x"), TxKVError)


def test_large_values(ns: Namespace) -> None:
    big = bytes(range(256)) * 4096
    ns.put(b"big", big)
    assert ns.get(b"big") == big


# -- ordering and ranges --------------------------------------------------------------------

KEYS = [b"", b"\x00", b"\x00\x00", b"a", b"a\x00", b"a\xff", b"a\xff\xff", b"ab", b"b", b"\xff"]


def test_iteration_is_in_byte_order(ns: Namespace) -> None:
    fill(ns, list(reversed(KEYS)))
    assert [k for k, _ in ns.iterate()] == sorted(KEYS)
    assert list(ns.iterate(keys_only=True)) == sorted(KEYS)
    assert list(ns.iterate(reverse=True, keys_only=True)) == sorted(KEYS, reverse=True)
    assert dict(ns.iterate()) == {k: b"v-" + k for k in KEYS}


@pytest.mark.parametrize(
    "start, stop",
    [
        (None, None),
        (b"a", None),
        (None, b"b"),
        (b"a", b"b"),
        (b"a\x00", b"a\xff\xff"),
        (b"b", b"a"),
        (b"a", b"a"),
        (b"0", b"1"),
        (b"", b"\x00"),
    ],
)
def test_start_inclusive_stop_exclusive(ns: Namespace, start: bytes, stop: bytes) -> None:
    fill(ns, KEYS)
    expected = [
        k for k in sorted(KEYS) if (start is None or k >= start) and (stop is None or k < stop)
    ]
    assert list(ns.iterate(start=start, stop=stop, keys_only=True)) == expected
    assert list(ns.iterate(start, stop, reverse=True, keys_only=True)) == expected[::-1]


@pytest.mark.parametrize("prefix", [b"", b"a", b"a\xff", b"\xff", b"\x00", b"zz"])
def test_prefix(ns: Namespace, prefix: bytes) -> None:
    fill(ns, KEYS)
    expected = [k for k in sorted(KEYS) if k.startswith(prefix)]
    assert list(ns.iterate(prefix=prefix, keys_only=True)) == expected
    assert list(ns.iterate(prefix=prefix, reverse=True, keys_only=True)) == expected[::-1]


@pytest.mark.parametrize(
    "start, stop, prefix",
    [
        (b"a\x00", None, b"a"),
        (None, b"a\xff", b"a"),
        (b"0", b"z", b"a\xff"),
        (b"b", None, b"a"),
        (None, b"a", b"a"),
        (b"a\xff\xff", b"b", b"a\xff"),
    ],
)
def test_prefix_combines_with_start_and_stop(
    ns: Namespace, start: Optional[bytes], stop: Optional[bytes], prefix: bytes
) -> None:
    fill(ns, KEYS)
    expected = [
        k
        for k in sorted(KEYS)
        if k.startswith(prefix) and (start is None or k >= start) and (stop is None or k < stop)
    ]
    assert list(ns.iterate(start, stop, prefix, keys_only=True)) == expected
    assert list(ns.iterate(start, stop, prefix, reverse=True, keys_only=True)) == expected[::-1]


def test_cursor_close_and_partial_consumption(ns: Namespace) -> None:
    fill(ns, [b"%03d" % i for i in range(300)])
    cursor = ns.iterate()
    assert isinstance(cursor, Cursor)
    assert next(cursor) == (b"000", b"v-000")
    cursor.close()
    assert list(cursor) == []
    reverse = ns.iterate(reverse=True, keys_only=True)
    assert [next(reverse) for _ in range(3)] == [b"299", b"298", b"297"]
    assert len(list(reverse)) == 297


def test_many_keys_cross_internal_chunk_boundaries(ns: Namespace) -> None:
    keys = [b"%05d" % i for i in range(0, 3000, 3)]
    fill(ns, keys)
    for key in keys[::7]:
        ns.delete(key)
    left = sorted(set(keys) - set(keys[::7]))
    assert list(ns.iterate(keys_only=True)) == left
    assert list(ns.iterate(start=b"01000", stop=b"02000", reverse=True, keys_only=True)) == [
        k for k in reversed(left) if b"01000" <= k < b"02000"
    ]
    assert ns.count() == len(left)


# -- namespaces -----------------------------------------------------------------------------


def test_namespaces_are_isolated_even_with_prefix_names(storage: Storage) -> None:
    a, ab, empty = storage.namespace("a"), storage.namespace("ab"), storage.namespace("")
    a.put(b"b", b"in a")
    ab.put(b"", b"in ab")
    empty.put(b"ab", b"in empty")
    assert list(a.iterate()) == [(b"b", b"in a")]
    assert list(ab.iterate()) == [(b"", b"in ab")]
    assert list(empty.iterate()) == [(b"ab", b"in empty")]
    assert a.count() == ab.count() == empty.count() == 1
    assert storage.namespaces() == ["", "a", "ab"]


def test_namespace_is_the_same_object(storage: Storage) -> None:
    assert storage.namespace("x") is storage.namespace("x")
    assert storage.namespace("x").name == "x"
    assert storage.namespace("x").storage is storage
    assert storage.namespace("ünï") is not storage.namespace("x")


def test_bad_namespace_names(storage: Storage) -> None:
    with pytest.raises(ParameterError, match="namespace name must be str"):
        storage.namespace(b"x")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="at most 65535"):
        storage.namespace("x" * 70000)
    assert storage.namespaces() == []


def test_drop_namespace(storage: Storage) -> None:
    old = storage.namespace("gone")
    keep = storage.namespace("kept")
    old.put(b"k", b"v")
    keep.put(b"k", b"kept")
    assert storage.drop_namespace("gone") is True
    assert storage.drop_namespace("gone") is False
    assert storage.drop_namespace("never") is False
    assert storage.namespaces() == ["kept"]
    with pytest.raises(NamespaceDroppedError, match="'gone' was dropped"):
        old.get(b"k")
    with pytest.raises(NamespaceDroppedError):
        old.put(b"k", b"v")
    fresh = storage.namespace("gone")
    assert fresh is not old
    assert fresh.get(b"k") is None and fresh.count() == 0
    assert keep.get(b"k") == b"kept"


def test_clear(ns: Namespace, storage: Storage) -> None:
    other = storage.namespace("other")
    other.put(b"k", b"v")
    fill(ns, KEYS)
    ns.clear()
    assert list(ns.iterate()) == [] and ns.count() == 0
    assert ns.get(b"a") is None
    ns.put(b"a", b"again")
    assert list(ns.iterate()) == [(b"a", b"again")]
    assert other.get(b"k") == b"v"
    assert "main" in storage.namespaces()


# -- batches --------------------------------------------------------------------------------


def test_batch_applies_on_clean_exit(ns: Namespace) -> None:
    ns.put(b"old", b"1")
    with ns.write_batch() as batch:
        batch.put(b"a", b"1")
        batch.put(b"b", b"2")
        batch.delete(b"old")
        batch.put(b"a", b"3")  # a later op on the same key wins
        assert len(batch) == 4
        assert ns.get(b"a") is None and ns.get(b"old") == b"1"  # nothing applied yet
    assert list(ns.iterate()) == [(b"a", b"3"), (b"b", b"2")]


def test_batch_delete_then_put_same_key(ns: Namespace) -> None:
    ns.put(b"k", b"old")
    with ns.write_batch() as batch:
        batch.delete(b"k")
        batch.put(b"k", b"new")
        batch.put(b"gone", b"x")
        batch.delete(b"gone")
    assert list(ns.iterate()) == [(b"k", b"new")]


def test_batch_is_discarded_when_the_block_raises(ns: Namespace) -> None:
    ns.put(b"keep", b"1")

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with ns.write_batch() as batch:
            batch.put(b"a", b"1")
            batch.delete(b"keep")
            raise Boom()
    assert list(ns.iterate()) == [(b"keep", b"1")]
    assert len(batch) == 0


def test_batch_commit_and_reuse(ns: Namespace) -> None:
    batch = ns.write_batch()
    batch.put(b"a", b"1")
    batch.commit()
    assert ns.get(b"a") == b"1" and len(batch) == 0
    batch.put(b"b", b"2")
    batch.discard()
    batch.commit()
    assert ns.get(b"b") is None
    batch.delete(b"a")
    batch.commit()
    assert ns.get(b"a") is None


def test_bad_batch_argument_leaves_batch_intact(ns: Namespace) -> None:
    batch = ns.write_batch()
    batch.put(b"a", b"1")
    with pytest.raises(ParameterError):
        batch.put(b"b", "not bytes")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="ttl must be a number"):
        batch.put(b"b", b"2", ttl="soon")  # type: ignore[arg-type]
    assert len(batch) == 1
    batch.commit()
    assert list(ns.iterate()) == [(b"a", b"1")]


def test_storage_batch_spans_namespaces(storage: Storage) -> None:
    first = storage.namespace("first")
    first.put(b"x", b"old")
    with storage.write_batch() as batch:
        batch.put("first", b"k", b"1")
        batch.put(storage.namespace("second"), b"k", b"2")
        batch.put("third", b"k", b"3")  # created on demand
        batch.delete(first, b"x")
    assert storage.namespaces() == ["first", "second", "third"]
    assert [storage.namespace(n).get(b"k") for n in ("first", "second", "third")] == [
        b"1",
        b"2",
        b"3",
    ]
    assert first.get(b"x") is None


def test_storage_batch_is_all_or_nothing(storage: Storage) -> None:
    a = storage.namespace("a")
    b = storage.namespace("b")
    batch = storage.write_batch()
    batch.put(a, b"k", b"1")
    batch.put(b, b"k", b"2")
    storage.drop_namespace("b")
    with pytest.raises(NamespaceDroppedError):
        batch.commit()
    assert a.get(b"k") is None  # nothing was applied
    assert len(batch) == 2  # and nothing was lost


def test_storage_batch_rejects_foreign_namespace(storage: Storage, opener: Opener) -> None:
    other = open_storage(None)
    try:
        with pytest.raises(ParameterError, match="another storage"):
            storage.write_batch().put(other.namespace("x"), b"k", b"v")
    finally:
        other.close()


# -- expiry ---------------------------------------------------------------------------------


def test_ttl_expires_everywhere(ns: Namespace, clock: Clock) -> None:
    ns.put(b"short", b"s", ttl=10)
    ns.put(b"long", b"l", ttl=100)
    ns.put(b"forever", b"f")
    assert ns.ttl(b"short") == 10
    assert ns.expire_at(b"short") == clock.seconds() + 10
    assert ns.ttl(b"forever") is None and ns.expire_at(b"forever") is None
    assert ns.ttl(b"absent") is None
    clock.advance(9.5)
    assert ns.get(b"short") == b"s" and ns.ttl(b"short") == pytest.approx(0.5)
    clock.advance(0.5)  # the deadline itself is already expired
    assert ns.get(b"short") is None
    assert b"short" not in ns
    assert ns.ttl(b"short") is None
    assert ns.get_entry(b"short") is None
    assert list(ns.iterate(keys_only=True)) == [b"forever", b"long"]
    assert ns.count() == 2
    clock.advance(90)
    assert list(ns.iterate()) == [(b"forever", b"f")]
    assert list(ns.iterate(reverse=True, prefix=b"l")) == []
    assert ns.count() == 1
    assert ns.delete(b"long") is False


def test_expiry_skipped_during_iteration_and_purged_lazily(ns: Namespace, clock: Clock) -> None:
    for i in range(10):
        ns.put(b"k%d" % i, b"v", ttl=5 if i % 2 else None)
    cursor = ns.iterate(keys_only=True)
    assert next(cursor) == b"k0"
    clock.advance(5)  # expires while the iterator is open
    assert list(cursor) == [b"k2", b"k4", b"k6", b"k8"]
    assert ns.purge_expired() == 0  # the iterator already deleted them


def test_purge_expired(storage: Storage, clock: Clock) -> None:
    a, b = storage.namespace("a"), storage.namespace("b")
    for i in range(5):
        a.put(b"%d" % i, b"v", ttl=i + 1)
        b.put(b"%d" % i, b"v", ttl=10)
    a.put(b"rewritten", b"v", ttl=1)
    a.put(b"rewritten", b"v", ttl=50)  # its first deadline is stale
    a.put(b"persisted", b"v", ttl=1)
    a.put(b"persisted", b"v")
    assert storage.purge_expired() == 0
    clock.advance(2)
    assert a.purge_expired() == 2
    assert a.purge_expired() == 0
    clock.advance(10)
    assert storage.purge_expired() == 3 + 5
    assert list(a.iterate(keys_only=True)) == [b"persisted", b"rewritten"]
    assert b.count() == 0
    clock.advance(100)
    assert storage.purge_expired() == 1
    assert list(a.iterate(keys_only=True)) == [b"persisted"]


def test_expire_at_and_touch(ns: Namespace, clock: Clock) -> None:
    now = clock.seconds()
    ns.put(b"k", b"v", expire_at=now + 30)
    assert ns.ttl(b"k") == 30
    assert ns.get_entry(b"k") == Entry(b"k", b"v", now + 30)
    assert ns.touch(b"k", 5) is True
    assert ns.expire_at(b"k") == now + 5
    assert ns.set_ttl(b"k", None) is True  # persist
    assert ns.ttl(b"k") is None and ns.get(b"k") == b"v"
    assert ns.touch(b"k", expire_at=now + 7) is True
    clock.advance(7)
    assert ns.touch(b"k", 100) is False  # already expired
    assert ns.touch(b"absent", 100) is False
    assert ns.get(b"k") is None


def test_non_positive_ttl_deletes(ns: Namespace, clock: Clock) -> None:
    ns.put(b"a", b"1")
    ns.put(b"a", b"2", ttl=0)
    assert ns.get(b"a") is None
    ns.put(b"b", b"1", expire_at=clock.seconds() - 1)
    ns.put(b"c", b"1")
    assert ns.touch(b"c", -5) is True
    assert list(ns.iterate()) == []


def test_infinite_ttl_means_never(ns: Namespace, clock: Clock) -> None:
    ns.put(b"a", b"1", ttl=math.inf)
    ns.put(b"b", b"1", expire_at=math.inf)
    clock.advance(1e12)
    assert ns.ttl(b"a") is None and ns.get(b"b") == b"1"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ttl": math.nan}, "NaN"),
        ({"ttl": "5"}, "number of seconds"),
        ({"ttl": True}, "number"),
        ({"expire_at": None, "ttl": [1]}, "number"),
        ({"ttl": 1, "expire_at": 5.0}, "not both"),
    ],
)
def test_bad_expiry_arguments(ns: Namespace, kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        ns.put(b"k", b"v", **kwargs)
    assert ns.get(b"k") is None


def test_batch_ttl_is_counted_from_commit(ns: Namespace, clock: Clock) -> None:
    batch = ns.write_batch()
    batch.put(b"k", b"v", ttl=10)
    batch.put(b"gone", b"v", ttl=-1)
    clock.advance(5)
    batch.commit()
    assert ns.ttl(b"k") == 10
    assert ns.get(b"gone") is None


def test_iterate_entries(ns: Namespace, clock: Clock) -> None:
    ns.put(b"a", b"1", ttl=5)
    ns.put(b"b", b"2")
    entries = list(ns.iterate_entries())
    assert entries == [Entry(b"a", b"1", clock.seconds() + 5), Entry(b"b", b"2", None)]


# -- snapshots and consistent iterators -----------------------------------------------------


def test_iterator_sees_state_at_creation(ns: Namespace) -> None:
    fill(ns, [b"%03d" % i for i in range(0, 400, 2)])
    forward = ns.iterate()
    backward = ns.iterate(reverse=True, keys_only=True)
    seen_forward = [next(forward)]
    seen_backward = [next(backward)]
    for i in range(1, 400, 2):
        ns.put(b"%03d" % i, b"new")  # inserts between and after the cursors
    for i in range(0, 400, 4):
        ns.delete(b"%03d" % i)
    ns.put(b"002", b"changed")
    seen_forward.extend(forward)
    seen_backward.extend(backward)
    assert seen_forward == [(b"%03d" % i, b"v-%03d" % i) for i in range(0, 400, 2)]
    assert seen_backward == [b"%03d" % i for i in range(398, -1, -2)]
    assert ns.get(b"002") == b"changed"
    assert ns.count() == 200 + 100


def test_iterator_created_then_unused_then_written(ns: Namespace) -> None:
    ns.put(b"a", b"1")
    cursor = ns.iterate()  # not started yet: still the state of this moment
    ns.put(b"a", b"2")
    ns.put(b"b", b"2")
    assert list(cursor) == [(b"a", b"1")]


def test_snapshot_isolation(ns: Namespace) -> None:
    fill(ns, [b"a", b"b", b"c"])
    with ns.snapshot() as snap:
        ns.put(b"a", b"changed")
        ns.delete(b"b")
        ns.put(b"d", b"new")
        with ns.write_batch() as batch:
            batch.put(b"e", b"batched")
        assert snap.get(b"a") == b"v-a"
        assert snap.get(b"b") == b"v-b"
        assert snap.get(b"d") is None
        assert b"b" in snap and b"d" not in snap
        assert list(snap.iterate(keys_only=True)) == [b"a", b"b", b"c"]
        assert list(ns.iterate(snapshot=snap, reverse=True, keys_only=True)) == [b"c", b"b", b"a"]
        assert snap.count() == 3
        assert list(ns.iterate(keys_only=True)) == [b"a", b"c", b"d", b"e"]
    assert snap.closed
    with pytest.raises(SnapshotClosedError):
        snap.get(b"a")
    with pytest.raises(SnapshotClosedError):
        list(ns.iterate(snapshot=snap))


def test_several_snapshots_see_their_own_moment(ns: Namespace) -> None:
    snaps = []
    for i in range(5):
        ns.put(b"k", b"%d" % i)
        ns.put(b"k%d" % i, b"x")
        if i == 2:
            ns.delete(b"k0")
        snaps.append(ns.snapshot())
    ns.delete(b"k")
    assert [s.get(b"k") for s in snaps] == [b"0", b"1", b"2", b"3", b"4"]
    snaps[2].close()
    snaps[0].close()
    ns.put(b"k", b"after")
    assert [s.get(b"k") for s in (snaps[1], snaps[3], snaps[4])] == [b"1", b"3", b"4"]
    assert list(snaps[1].iterate(keys_only=True)) == [b"k", b"k0", b"k1"]
    assert list(snaps[4].iterate(keys_only=True)) == [b"k", b"k1", b"k2", b"k3", b"k4"]
    for snap in snaps:
        snap.close()
    assert ns.get(b"k") == b"after"
    assert list(ns.iterate(keys_only=True)) == [b"k", b"k1", b"k2", b"k3", b"k4"]


def test_snapshot_survives_clear_and_drop(storage: Storage) -> None:
    ns = storage.namespace("n")
    fill(ns, [b"a", b"b"])
    snap = ns.snapshot()
    cursor = ns.iterate(keys_only=True)
    ns.clear()
    assert snap.get(b"a") == b"v-a"
    assert list(cursor) == [b"a", b"b"]
    storage.drop_namespace("n")
    assert list(snap.iterate(keys_only=True)) == [b"a", b"b"]
    snap.close()


def test_snapshot_expiry_follows_the_clock(ns: Namespace, clock: Clock) -> None:
    ns.put(b"k", b"v", ttl=5)
    with ns.snapshot() as snap:
        clock.advance(5)
        assert snap.get(b"k") is None
        assert list(snap.iterate()) == []


def test_snapshot_belongs_to_its_namespace(storage: Storage) -> None:
    a, b = storage.namespace("a"), storage.namespace("b")
    with a.snapshot() as snap:
        with pytest.raises(ParameterError, match="snapshot of namespace 'a' used on 'b'"):
            b.iterate(snapshot=snap)
        with pytest.raises(ParameterError, match="must be a Snapshot"):
            a.iterate(snapshot="nope")  # type: ignore[call-overload]


def test_snapshot_closed_during_iteration(ns: Namespace) -> None:
    fill(ns, [b"a", b"b"])
    snap = ns.snapshot()
    cursor = snap.iterate()
    assert next(cursor) == (b"a", b"v-a")
    snap.close()
    snap.close()  # idempotent
    with pytest.raises(SnapshotClosedError):
        next(cursor)


def test_unreleased_snapshots_and_cursors_do_not_leak_state(ns: Namespace) -> None:
    fill(ns, [b"a", b"b", b"c"])
    for _ in range(50):
        ns.snapshot()  # dropped without close: released when collected
        ns.iterate()  # never consumed
    ns.delete(b"b")
    assert list(ns.iterate(keys_only=True)) == [b"a", b"c"]


# -- closing --------------------------------------------------------------------------------


def test_closed_storage_raises(storage: Storage) -> None:
    ns = storage.namespace("n")
    ns.put(b"a", b"1")
    ns.put(b"b", b"2")
    snap = ns.snapshot()
    cursor = ns.iterate()
    assert next(cursor) == (b"a", b"1")
    batch = ns.write_batch()
    batch.put(b"c", b"3")
    assert not storage.closed
    storage.close()
    storage.close()  # idempotent
    assert storage.closed and snap.closed
    calls = [
        lambda: ns.get(b"a"),
        lambda: ns.put(b"a", b"1"),
        lambda: ns.delete(b"a"),
        lambda: b"a" in ns,
        lambda: ns.count(),
        lambda: ns.iterate(),
        lambda: next(cursor),
        lambda: snap.get(b"a"),
        lambda: batch.commit(),
        lambda: storage.namespace("n"),
        lambda: storage.namespaces(),
        lambda: storage.drop_namespace("n"),
        lambda: storage.write_batch(),
        lambda: storage.purge_expired(),
        lambda: ns.snapshot(),
        lambda: ns.clear(),
    ]
    for call in calls:
        with pytest.raises(StorageClosedError, match="is closed"):
            call()
    assert issubclass(StorageClosedError, StorageError)
    assert issubclass(StorageClosedError, TxKVError)
    snap.close()  # still fine after the storage closed
    cursor.close()


def test_context_manager_closes(opener: Opener) -> None:
    with opener() as storage:
        storage.namespace("n").put(b"k", b"v")
    assert storage.closed
    assert storage.durable is (opener.backend == "leveldb")


def test_default_clock_is_wall_time(opener: Opener) -> None:
    storage = opener()
    ns = storage.namespace("n")
    ns.put(b"k", b"v", ttl=3600)
    remaining = ns.ttl(b"k")
    assert remaining is not None and 3590 < remaining <= 3600
