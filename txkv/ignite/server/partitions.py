"""Partition placement: which node is primary for each of a cache's partitions, and which
partition a key belongs to (RendezvousAffinityFunction's formula, affinity-key fields)."""

from __future__ import annotations

import uuid
from typing import Dict, List, Mapping, Optional, Sequence

from txkv.ignite.codec import (
    BinaryRegistry,
    complex_header,
    field_raw,
    hashcode_of_raw,
    partition_for,
)
from txkv.ignite.codec.typecodes import TC_COMPLEX
from txkv.ignite.errors import ParseError

__all__ = ["DEFAULT_PARTITIONS", "assign_partitions", "key_partition", "key_hashcode"]

#: RendezvousAffinityFunction's default partition count.
DEFAULT_PARTITIONS = 1024


def assign_partitions(
    node_ids: Sequence[uuid.UUID], partitions: int = DEFAULT_PARTITIONS
) -> Dict[uuid.UUID, List[int]]:
    """Primary partitions per node: partition ``p`` belongs to node ``p % n`` (join order)."""
    mapping: Dict[uuid.UUID, List[int]] = {node: [] for node in node_ids}
    if not node_ids:
        return mapping
    count = len(node_ids)
    for partition in range(partitions):
        mapping[node_ids[partition % count]].append(partition)
    return mapping


def key_hashcode(raw_key: bytes, key_configs: Mapping[int, int],
                 registry: Optional[BinaryRegistry] = None) -> int:
    """The hash partition awareness uses: the key's Java hashCode, or that of its affinity-key
    field when the key is a complex object of a type listed in ``key_configs``."""
    start = 5 if raw_key[:1] == b"\x1b" and len(raw_key) > 5 else 0
    if key_configs and raw_key[start:start + 1] == bytes((TC_COMPLEX,)):
        try:
            header = complex_header(raw_key, start)
            field_id = key_configs.get(header.type_id)
            if field_id is not None:
                from txkv.ignite.codec import CodecContext

                ctx = CodecContext(registry=registry) if registry is not None else None
                field = field_raw(raw_key, field_id, ctx)
                if field is not None:
                    return hashcode_of_raw(field)
        except ParseError:
            pass
    return hashcode_of_raw(raw_key)


def key_partition(raw_key: bytes, key_configs: Mapping[int, int],
                  registry: Optional[BinaryRegistry] = None,
                  partitions: int = DEFAULT_PARTITIONS) -> int:
    """The partition of a serialized key."""
    return partition_for(key_hashcode(raw_key, key_configs, registry), partitions)
