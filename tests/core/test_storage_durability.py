"""LevelDB-only behaviour of txkv.storage: durability across reopen and crash, open errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import plyvel
import pytest
from twisted.internet.task import Clock

from txkv.storage import StorageError, StorageFormatError, open_storage

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "db")


@pytest.mark.parametrize("sync", [False, True])
def test_acknowledged_writes_survive_close_and_reopen(path: str, sync: bool) -> None:
    clock = Clock()
    clock.advance(1000)
    storage = open_storage(path, clock=clock.seconds, sync=sync)
    users, orders = storage.namespace("users"), storage.namespace("orders")
    users.put(b"alice", b"1")
    users.put(b"bob", b"2")
    users.put(b"carol", b"3", ttl=60)
    users.delete(b"bob")
    with storage.write_batch() as batch:
        batch.put(orders, b"o1", b"x")
        batch.put(users, b"dave", b"4")
    storage.namespace("empty")
    storage.namespace("dropped").put(b"k", b"v")
    storage.drop_namespace("dropped")
    storage.namespace("cleared").put(b"k", b"v")
    storage.namespace("cleared").clear()
    storage.close()

    reopened = open_storage(path, clock=clock.seconds)
    try:
        assert reopened.namespaces() == ["cleared", "empty", "orders", "users"]
        users = reopened.namespace("users")
        assert list(users.iterate()) == [(b"alice", b"1"), (b"carol", b"3"), (b"dave", b"4")]
        assert users.expire_at(b"carol") == 1060  # deadlines are absolute, so they persist
        assert reopened.namespace("orders").get(b"o1") == b"x"
        assert reopened.namespace("cleared").count() == 0
        clock.advance(60)
        assert users.get(b"carol") is None
    finally:
        reopened.close()


def test_expiry_index_survives_reopen(path: str) -> None:
    clock = Clock()
    with open_storage(path, clock=clock.seconds) as storage:
        ns = storage.namespace("n")
        for i in range(10):
            ns.put(b"%d" % i, b"v", ttl=5 if i < 4 else None)
    clock.advance(5)
    with open_storage(path, clock=clock.seconds) as storage:
        assert storage.purge_expired() == 4
        assert storage.namespace("n").count() == 6
    with open_storage(path, clock=clock.seconds) as storage:
        assert storage.purge_expired() == 0
        assert list(storage.namespace("n").iterate(keys_only=True)) == [
            b"%d" % i for i in range(4, 10)
        ]


def test_acknowledged_writes_survive_a_process_crash(path: str) -> None:
    """The writer dies with os._exit (no close, no flush); what it acknowledged is there."""
    script = textwrap.dedent(
        """
        import os, sys
        from txkv.storage import open_storage
        storage = open_storage(sys.argv[1])
        ns = storage.namespace("crash")
        for i in range(200):
            ns.put(b"key-%03d" % i, b"value-%03d" % i)
        with ns.write_batch() as batch:
            batch.put(b"batched", b"yes")
            batch.delete(b"key-000")
        print("acknowledged", flush=True)
        os._exit(0)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", script, path],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.strip() == b"acknowledged"
    with open_storage(path) as storage:
        ns = storage.namespace("crash")
        assert ns.count() == 200
        assert ns.get(b"key-000") is None
        assert ns.get(b"key-199") == b"value-199"
        assert ns.get(b"batched") == b"yes"


def test_directory_in_use_is_a_clear_error(path: str) -> None:
    first = open_storage(path)
    try:
        with pytest.raises(StorageError, match="cannot open storage at .*lock"):
            open_storage(path)
    finally:
        first.close()
    with open_storage(path) as again:
        assert again.namespaces() == []


def test_path_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"not a directory")
    with pytest.raises(StorageError, match="cannot open storage"):
        open_storage(str(target))


def test_foreign_leveldb_is_refused(path: str) -> None:
    db = plyvel.DB(path, create_if_missing=True)
    db.put(b"someone", b"else")
    db.close()
    with pytest.raises(StorageFormatError, match="not made by txkv"):
        open_storage(path)
    # Refusing must not have taken the lock for good or changed the data.
    db = plyvel.DB(path)
    assert list(db) == [(b"someone", b"else")]
    db.put(b"\x00format", b"txkv-storage/99")
    db.close()
    with pytest.raises(StorageFormatError, match="storage format"):
        open_storage(path)


def test_corrupt_record_is_reported(path: str) -> None:
    with open_storage(path) as storage:
        storage.namespace("n").put(b"k", b"v")
    db = plyvel.DB(path)
    [data_key] = [k for k in db.iterator(include_value=False) if k.startswith(b"\x02")]
    db.put(data_key, b"\x07garbage")
    db.close()
    with open_storage(path) as storage:
        with pytest.raises(StorageError, match="corrupt record"):
            storage.namespace("n").get(b"k")


def test_path_like_accepted(tmp_path: Path) -> None:
    with open_storage(tmp_path / "pathlib") as storage:  # type: ignore[arg-type]
        storage.namespace("n").put(b"k", b"v")
        assert storage.path == str(tmp_path / "pathlib")
    assert (tmp_path / "pathlib" / "CURRENT").exists()


def test_memory_storages_are_independent() -> None:
    with open_storage() as first, open_storage() as second:
        first.namespace("n").put(b"k", b"v")
        assert second.namespaces() == []
        assert first.path is None and not first.durable
