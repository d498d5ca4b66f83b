"""Tour of txkv's shared mechanisms: storage engine, scanners, request tables, serializers."""

from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock

from txkv.errors import RequestTimeoutError
from txkv.pending import PendingRequests
from txkv.scanner import PagedScanner
from txkv.serializers import get_serializer
from txkv.storage import open_storage


async def tour(reactor: Any, say: Callable[[str], Any]) -> None:
    storage = open_storage()  # in memory; open_storage("dir") is durable (LevelDB)
    users = storage.namespace("users")
    with users.write_batch() as batch:
        for i in range(10):
            batch.put(b"user:%03d" % i, b"name-%d" % i)
    say(f"storage: {users.count()} keys written atomically in one batch")

    snapshot = users.snapshot()
    users.delete(b"user:000")
    say(f"snapshot still sees user:000 = {snapshot.get(b'user:000')!r}; live view: "
        f"{users.get(b'user:000')!r}")
    snapshot.close()

    # A scanner pages through the namespace three keys at a time.
    last = [b""]

    def fetch_page() -> Deferred[Tuple[Sequence[Tuple[bytes, bytes]], bool]]:
        page: List[Tuple[bytes, bytes]] = []
        for key, value in users.iterate(start=last[0] + b"\0" if last[0] else None):
            page.append((key, value))
            if len(page) == 4:
                break
        more = len(page) == 4
        page = page[:3]
        if page:
            last[0] = page[-1][0]
        return succeed((page, more))

    scanner = PagedScanner(fetch_page)
    first = await scanner.get_next()
    say(f"scanner: first item {first!r}")
    rest = await scanner.collect(limit=4)
    say(f"scanner: next four {[k.decode() for k, _ in rest]} in {scanner.pages_fetched} pages")

    # Request tables time out on an injected clock.
    clock = Clock()
    table = PendingRequests(clock, default_timeout=2.0, node="demo:0")
    waiting = table.add(table.next_id(), op="get")
    clock.advance(2.5)
    try:
        await waiting
    except RequestTimeoutError as e:
        say(f"pending: {e}")

    json = get_serializer("json")
    say(f"serializers: json {json.dumps({'a': [1, 2]})!r} -> {json.loads(b'[1,2]')!r}")
    storage.close()
