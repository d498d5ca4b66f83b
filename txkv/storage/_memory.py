"""In-memory engine: per-space sorted keys + multi-version chains (MVCC).

Each key maps to a short *chain* of ``(seq, record)`` versions, oldest first; a record of
None is a tombstone.  Every atomic write gets the next sequence number.  A view is just
the sequence number it was taken at (plus the space objects of that moment), and reads
through it pick the newest version not newer than that number.  While no view is open a
write replaces the chain outright, so the common case stores one version per key; while
views are open, old versions and tombstones are kept only as long as some view can still
see them and are swept when views are released.

``clear_space`` and ``drop_space`` swap in a fresh space object, so they are O(1) and open
views keep reading the old one.
"""

from __future__ import annotations

import heapq
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

from ._engine import Engine, Op, Record, View
from ._sortedkeys import SortedKeys
from .errors import StorageClosedError

Version = Tuple[int, Optional[Record]]

#: Keys fetched from the sorted index per step of a scan.
SCAN_BATCH = 128
#: Below this many dirty keys a partial sweep is not worth it.
MIN_SWEEP = 1024


class _Space:
    """The live state of one space."""

    def __init__(self, chunk_size: int) -> None:
        self.keys = SortedKeys(chunk_size)
        self.chains: Dict[bytes, List[Version]] = {}
        self.live = 0  # keys whose newest version is a record (expired or not)
        self.timed = 0  # ... of which carry a deadline
        self.expiry_heap: List[Tuple[float, bytes]] = []  # may hold stale entries
        self.dirty: Set[bytes] = set()  # keys holding more than their newest version

    def rebuild_expiry_heap(self) -> None:
        heap = []
        for key, chain in self.chains.items():
            record = chain[-1][1]
            if record is not None and record.deadline is not None:
                heap.append((record.deadline, key))
        heapq.heapify(heap)
        self.expiry_heap = heap


def _visible(chain: List[Version], seq: int) -> Optional[Record]:
    """The record of ``chain`` as seen at ``seq`` (None: absent)."""
    for i in range(len(chain) - 1, -1, -1):
        version_seq, record = chain[i]
        if version_seq <= seq:
            return record
    return None


def _prune(chain: List[Version], oldest: int) -> None:
    """Drop versions no view at ``oldest`` or later can see."""
    for i in range(len(chain) - 1, 0, -1):
        if chain[i][0] <= oldest:
            del chain[:i]
            return


class MemoryView(View):
    """A view: the sequence number and space objects at the time it was taken."""

    def __init__(self, engine: MemoryEngine, seq: int, spaces: Dict[str, _Space]) -> None:
        self.engine = engine
        self.seq = seq
        self.spaces = spaces

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.engine._release(self)


class _MemoryScan(Iterator[Tuple[bytes, Record]]):
    """Walks one space at a view, re-bisecting from the last key so writes cannot derail it."""

    def __init__(
        self,
        space: _Space,
        view: MemoryView,
        owns_view: bool,
        low: Optional[bytes],
        high: Optional[bytes],
        reverse: bool,
    ) -> None:
        self._space = space
        self._view = view
        self._owns_view = owns_view
        self._low = low
        self._high = high
        self._reverse = reverse
        self._cursor: Optional[bytes] = None
        self._pending: List[bytes] = []
        self._done = False

    def _refill(self) -> bool:
        keys = self._space.keys
        if self._reverse:
            if self._cursor is None:
                batch = keys.before(self._high, False, self._low, SCAN_BATCH)
            else:
                batch = keys.before(self._cursor, False, self._low, SCAN_BATCH)
        else:
            if self._cursor is None:
                batch = keys.after(self._low, True, self._high, SCAN_BATCH)
            else:
                batch = keys.after(self._cursor, False, self._high, SCAN_BATCH)
        if not batch:
            return False
        self._cursor = batch[-1]
        batch.reverse()  # pop() from the end
        self._pending = batch
        return True

    def __next__(self) -> Tuple[bytes, Record]:
        seq = self._view.seq
        chains = self._space.chains
        while not self._done:
            if not self._pending and not self._refill():
                break
            key = self._pending.pop()
            chain = chains.get(key)
            if chain is not None:
                record = _visible(chain, seq)
                if record is not None:
                    return key, record
        self.close()
        raise StopIteration

    def close(self) -> None:
        self._done = True
        self._pending = []
        if self._owns_view:
            self._view.release()

    def __del__(self) -> None:
        if self._owns_view and not self._view.released:
            self._view.release()


class _EmptyScan(Iterator[Tuple[bytes, Record]]):
    def __next__(self) -> Tuple[bytes, Record]:
        raise StopIteration

    def close(self) -> None:
        pass


class MemoryEngine(Engine):
    """Everything in process memory; nothing survives :meth:`close`.

    :param chunk_size: chunk length of the sorted key index (tests use tiny chunks).
    """

    def __init__(self, chunk_size: int = 512) -> None:
        self._chunk_size = chunk_size
        self._spaces: Dict[str, _Space] = {}
        self._seq = 0
        self._views: Dict[int, int] = {}  # seq -> number of open views at that seq
        self._oldest: Optional[int] = None  # smallest seq in _views
        self._dirty_spaces: Set[_Space] = set()
        self._dirty_count = 0
        self._sweep_at = MIN_SWEEP

    # -- registry -------------------------------------------------------------------------

    def _check(self) -> None:
        if self.closed:
            raise StorageClosedError("storage is closed")

    def spaces(self) -> List[str]:
        self._check()
        return list(self._spaces)

    def create_space(self, name: str) -> None:
        self._check()
        if name not in self._spaces:
            self._spaces[name] = _Space(self._chunk_size)

    def drop_space(self, name: str) -> None:
        self._check()
        space = self._spaces.pop(name, None)
        if space is not None:
            self._dirty_spaces.discard(space)

    def clear_space(self, name: str) -> None:
        self._check()
        old = self._spaces.get(name)
        if old is not None:
            self._dirty_spaces.discard(old)
            self._spaces[name] = _Space(self._chunk_size)

    def _space(self, name: str, view: Optional[View]) -> Optional[_Space]:
        if view is None:
            return self._spaces.get(name)
        assert isinstance(view, MemoryView)
        return view.spaces.get(name)

    # -- reads ----------------------------------------------------------------------------

    def get(self, space: str, key: bytes, view: Optional[View] = None) -> Optional[Record]:
        self._check()
        state = self._space(space, view)
        if state is None:
            return None
        chain = state.chains.get(key)
        if chain is None:
            return None
        if view is None:
            return chain[-1][1]
        assert isinstance(view, MemoryView)
        return _visible(chain, view.seq)

    def scan(
        self,
        space: str,
        low: Optional[bytes],
        high: Optional[bytes],
        reverse: bool,
        view: Optional[View] = None,
    ) -> Iterator[Tuple[bytes, Record]]:
        self._check()
        state = self._space(space, view)
        if state is None:
            return _EmptyScan()
        if view is None:
            own = self._take_view(self._spaces)
            return _MemoryScan(state, own, True, low, high, reverse)
        assert isinstance(view, MemoryView)
        return _MemoryScan(state, view, False, low, high, reverse)

    def count(self, space: str, now: float) -> int:
        self.purge(space, now)
        state = self._spaces.get(space)
        return 0 if state is None else state.live

    # -- views ----------------------------------------------------------------------------

    def view(self) -> View:
        self._check()
        return self._take_view(dict(self._spaces))

    def _take_view(self, spaces: Dict[str, _Space]) -> MemoryView:
        seq = self._seq
        self._views[seq] = self._views.get(seq, 0) + 1
        if self._oldest is None:
            self._oldest = seq
        return MemoryView(self, seq, spaces)

    def _release(self, view: MemoryView) -> None:
        if self.closed:
            return
        left = self._views[view.seq] - 1
        if left:
            self._views[view.seq] = left
            return
        del self._views[view.seq]
        if view.seq != self._oldest:
            return
        self._oldest = min(self._views) if self._views else None
        if self._oldest is None or self._dirty_count >= self._sweep_at:
            self._sweep()

    def _sweep(self) -> None:
        """Drop versions and tombstones no open view can see any more."""
        oldest = self._oldest
        remaining = 0
        for space in list(self._dirty_spaces):
            chains, keys = space.chains, space.keys
            for key in list(space.dirty):
                chain = chains.get(key)
                if chain is not None:
                    if oldest is None:
                        del chain[:-1]
                    else:
                        _prune(chain, oldest)
                    if len(chain) > 1:
                        remaining += 1
                        continue
                    if chain[0][1] is None:
                        # A lone tombstone: views older than it never saw the key either.
                        del chains[key]
                        keys.remove(key)
                space.dirty.discard(key)
            if not space.dirty:
                self._dirty_spaces.discard(space)
        self._dirty_count = remaining
        self._sweep_at = max(MIN_SWEEP, 2 * remaining)

    # -- writes ---------------------------------------------------------------------------

    def apply(self, ops: Sequence[Op], sync: Optional[bool] = None) -> None:
        self._check()
        if not ops:
            return
        self._seq += 1
        for name, key, record in ops:
            self._write(self._spaces[name], key, record, self._seq)

    def _write(self, space: _Space, key: bytes, record: Optional[Record], seq: int) -> None:
        chains = space.chains
        chain = chains.get(key)
        old = chain[-1][1] if chain is not None else None
        if old is None and record is None:
            return
        space.live += (record is not None) - (old is not None)
        if old is not None and old.deadline is not None:
            space.timed -= 1
        if record is not None and record.deadline is not None:
            space.timed += 1
            heapq.heappush(space.expiry_heap, (record.deadline, key))
            if len(space.expiry_heap) > 64 and len(space.expiry_heap) > 2 * space.timed:
                space.rebuild_expiry_heap()
        if chain is None:
            chains[key] = [(seq, record)]
            space.keys.add(key)
            return
        if self._oldest is None:
            if record is None:
                del chains[key]
                space.keys.remove(key)
            else:
                chains[key] = [(seq, record)]
            return
        if chain[-1][0] == seq:
            chain[-1] = (seq, record)
        else:
            chain.append((seq, record))
            _prune(chain, self._oldest)
        if len(chain) > 1 or record is None:
            if key not in space.dirty:
                space.dirty.add(key)
                self._dirty_count += 1
                self._dirty_spaces.add(space)

    def purge(self, space: str, now: float) -> int:
        self._check()
        state = self._spaces.get(space)
        if state is None:
            return 0
        heap = state.expiry_heap
        purged = 0
        seq = self._seq + 1
        while heap and heap[0][0] <= now:
            _, key = heapq.heappop(heap)
            chain = state.chains.get(key)
            record = chain[-1][1] if chain is not None else None
            if record is not None and record.deadline is not None and record.deadline <= now:
                self._write(state, key, None, seq)
                purged += 1
        if purged:
            self._seq = seq
        return purged

    def close(self) -> None:
        self.closed = True
        self._spaces = {}
        self._views = {}
        self._oldest = None
        self._dirty_spaces = set()
