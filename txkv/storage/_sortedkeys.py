"""A sorted set of byte strings kept as a list of bounded chunks.

Inserting into one flat sorted list moves every later element; splitting the keys into
chunks of at most ``2 * chunk_size`` keys (with the last key of each chunk in ``maxes`` for
bisecting) keeps an insert or removal to two bisects plus a short memmove.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from typing import List, Optional


class SortedKeys:
    """Sorted distinct byte strings with ordered range reads.

    :param chunk_size: target chunk length; chunks split at twice this size.
    """

    def __init__(self, chunk_size: int = 512) -> None:
        if chunk_size < 2:
            raise ValueError("chunk_size must be at least 2")
        self._chunk_size = chunk_size
        self._chunks: List[List[bytes]] = []
        self._maxes: List[bytes] = []
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __contains__(self, key: bytes) -> bool:
        i = bisect_left(self._maxes, key)
        if i == len(self._maxes):
            return False
        chunk = self._chunks[i]
        j = bisect_left(chunk, key)
        return chunk[j] == key

    def add(self, key: bytes) -> None:
        """Insert ``key``, which must not be present yet."""
        maxes = self._maxes
        if not maxes:
            self._chunks.append([key])
            maxes.append(key)
            self._len = 1
            return
        i = bisect_left(maxes, key)
        if i == len(maxes):
            i -= 1
            chunk = self._chunks[i]
            chunk.append(key)
            maxes[i] = key
        else:
            chunk = self._chunks[i]
            insort(chunk, key)
        self._len += 1
        if len(chunk) > 2 * self._chunk_size:
            tail = chunk[self._chunk_size :]
            del chunk[self._chunk_size :]
            maxes[i] = chunk[-1]
            self._chunks.insert(i + 1, tail)
            maxes.insert(i + 1, tail[-1])

    def remove(self, key: bytes) -> None:
        """Remove ``key``, which must be present."""
        maxes = self._maxes
        i = bisect_left(maxes, key)
        if i == len(maxes):
            raise KeyError(key)
        chunk = self._chunks[i]
        j = bisect_left(chunk, key)
        if chunk[j] != key:
            raise KeyError(key)
        del chunk[j]
        self._len -= 1
        if not chunk:
            del self._chunks[i]
            del maxes[i]
            return
        maxes[i] = chunk[-1]
        if len(chunk) < self._chunk_size // 2 and i + 1 < len(self._chunks):
            # Merge a shrunken chunk into its successor so chunks stay reasonably full.
            chunk.extend(self._chunks[i + 1])
            del self._chunks[i + 1]
            del maxes[i + 1]
            maxes[i] = chunk[-1]
            if len(chunk) > 2 * self._chunk_size:
                tail = chunk[self._chunk_size :]
                del chunk[self._chunk_size :]
                maxes[i] = chunk[-1]
                self._chunks.insert(i + 1, tail)
                maxes.insert(i + 1, tail[-1])

    def after(
        self, low: Optional[bytes], inclusive: bool, high: Optional[bytes], limit: int
    ) -> List[bytes]:
        """Up to ``limit`` keys above ``low`` (from ``low`` if ``inclusive``) and below ``high``.

        ``None`` bounds are open.  The result is ascending.
        """
        out: List[bytes] = []
        chunks, maxes = self._chunks, self._maxes
        if low is None:
            i, j = 0, 0
        else:
            find = bisect_left if inclusive else bisect_right
            i = find(maxes, low)
            if i == len(maxes):
                return out
            j = find(chunks[i], low)
        while i < len(chunks) and len(out) < limit:
            chunk = chunks[i]
            part = chunk[j : j + limit - len(out)]
            if high is not None and part and part[-1] >= high:
                out.extend(part[: bisect_left(part, high)])
                return out
            out.extend(part)
            i, j = i + 1, 0
        return out

    def before(
        self, high: Optional[bytes], inclusive: bool, low: Optional[bytes], limit: int
    ) -> List[bytes]:
        """Up to ``limit`` keys below ``high`` (or equal if ``inclusive``), not below ``low``.

        ``None`` bounds are open.  The result is descending.
        """
        out: List[bytes] = []
        chunks, maxes = self._chunks, self._maxes
        if not chunks:
            return out
        if high is None:
            i = len(chunks) - 1
            j = len(chunks[i])
        else:
            i = bisect_left(maxes, high)
            if i == len(maxes):
                i -= 1
                j = len(chunks[i])
            else:
                j = (bisect_right if inclusive else bisect_left)(chunks[i], high)
        while i >= 0 and len(out) < limit:
            chunk = chunks[i]
            begin = max(0, j - (limit - len(out)))
            part = chunk[begin:j]
            part.reverse()
            if low is not None and part and part[-1] < low:
                out.extend(part[: len(part) - bisect_left(part[::-1], low)])
                return out
            out.extend(part)
            i -= 1
            if i >= 0:
                j = len(chunks[i])
        return out
