"""Ignite thin-client protocol constants: op codes, status codes, flags, feature bits, cache
property codes and the enumerations used in request/response bodies.

Names follow pyignite (``OP_CACHE_GET``, ``PROP_NAME``, ``CacheMode.PARTITIONED`` ...) so code
written against pyignite reads the same.  Plain ``int`` constants are used on the hot path;
the enumerations are ``IntEnum`` and compare equal to the wire integers.
"""

from __future__ import annotations

import math
from datetime import timedelta
from enum import IntEnum
from typing import Dict, FrozenSet, Iterable, Optional, Tuple, Union

import attr

from txkv.ignite.errors import ParameterError

__all__ = [
    "ProtocolVersion",
    "PROTOCOL_VERSIONS",
    "DEFAULT_PROTOCOL_VERSION",
    "ProtocolContext",
    "OP_NAMES",
    "op_name",
    "STATUS_NAMES",
    "Feature",
    "PeekModes",
    "StatementType",
    "CacheMode",
    "CacheAtomicityMode",
    "WriteSynchronizationMode",
    "PartitionLossPolicy",
    "RebalanceMode",
    "IndexType",
    "TransactionConcurrency",
    "TransactionIsolation",
    "ClusterState",
    "Platform",
    "ExpiryPolicy",
    "PROP_NAMES",
]

ProtocolVersion = Tuple[int, int, int]

#: Every version an Ignite 2.x server accepts, newest first.
PROTOCOL_VERSIONS: Tuple[ProtocolVersion, ...] = (
    (1, 7, 0), (1, 6, 0), (1, 5, 0), (1, 4, 0), (1, 3, 0), (1, 2, 0), (1, 1, 0), (1, 0, 0),
)
DEFAULT_PROTOCOL_VERSION: ProtocolVersion = (1, 7, 0)

# -- handshake ------------------------------------------------------------------------------------

HANDSHAKE_CODE = 1
CLIENT_CODE_ODBC = 0
CLIENT_CODE_JDBC = 1
CLIENT_CODE_THIN = 2

# -- operation codes ------------------------------------------------------------------------------

OP_RESOURCE_CLOSE = 0
OP_HEARTBEAT = 1
OP_GET_IDLE_TIMEOUT = 2

OP_CACHE_GET = 1000
OP_CACHE_PUT = 1001
OP_CACHE_PUT_IF_ABSENT = 1002
OP_CACHE_GET_ALL = 1003
OP_CACHE_PUT_ALL = 1004
OP_CACHE_GET_AND_PUT = 1005
OP_CACHE_GET_AND_REPLACE = 1006
OP_CACHE_GET_AND_REMOVE = 1007
OP_CACHE_GET_AND_PUT_IF_ABSENT = 1008
OP_CACHE_REPLACE = 1009
OP_CACHE_REPLACE_IF_EQUALS = 1010
OP_CACHE_CONTAINS_KEY = 1011
OP_CACHE_CONTAINS_KEYS = 1012
OP_CACHE_CLEAR = 1013
OP_CACHE_CLEAR_KEY = 1014
OP_CACHE_CLEAR_KEYS = 1015
OP_CACHE_REMOVE_KEY = 1016
OP_CACHE_REMOVE_IF_EQUALS = 1017
OP_CACHE_REMOVE_KEYS = 1018
OP_CACHE_REMOVE_ALL = 1019
OP_CACHE_GET_SIZE = 1020
OP_CACHE_LOCAL_PEEK = 1021

OP_CACHE_GET_NAMES = 1050
OP_CACHE_CREATE_WITH_NAME = 1051
OP_CACHE_GET_OR_CREATE_WITH_NAME = 1052
OP_CACHE_CREATE_WITH_CONFIGURATION = 1053
OP_CACHE_GET_OR_CREATE_WITH_CONFIGURATION = 1054
OP_CACHE_GET_CONFIGURATION = 1055
OP_CACHE_DESTROY = 1056
OP_CACHE_NODE_PARTITIONS = 1100
OP_CACHE_PARTITIONS = 1101

OP_QUERY_SCAN = 2000
OP_QUERY_SCAN_CURSOR_GET_PAGE = 2001
OP_QUERY_SQL = 2002
OP_QUERY_SQL_CURSOR_GET_PAGE = 2003
OP_QUERY_SQL_FIELDS = 2004
OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE = 2005
OP_QUERY_CONTINUOUS = 2006
OP_QUERY_CONTINUOUS_EVENT_NOTIFICATION = 2007

OP_GET_BINARY_TYPE_NAME = 3000
OP_REGISTER_BINARY_TYPE_NAME = 3001
OP_GET_BINARY_TYPE = 3002
OP_PUT_BINARY_TYPE = 3003

OP_TX_START = 4000
OP_TX_END = 4001

OP_CLUSTER_GET_STATE = 5000
OP_CLUSTER_CHANGE_STATE = 5001

OP_COMPUTE_TASK_FINISHED = 6001

#: Op code -> pyignite-style name, for logs and error messages.
OP_NAMES: Dict[int, str] = {
    value: name for name, value in list(globals().items())
    if name.startswith("OP_") and isinstance(value, int)
}


def op_name(op_code: int) -> str:
    """The symbolic name of an op code (``"OP_CACHE_GET"``), or ``"OP_<n>"`` if unknown."""
    return OP_NAMES.get(op_code, f"OP_{op_code}")


# -- status codes (ClientStatus) ------------------------------------------------------------------

STATUS_SUCCESS = 0
STATUS_FAILED = 1
STATUS_INVALID_OP_CODE = 2
STATUS_FUNCTIONALITY_DISABLED = 100
STATUS_CACHE_DOES_NOT_EXIST = 1000
STATUS_CACHE_EXISTS = 1001
STATUS_TOO_MANY_CURSORS = 1010
STATUS_RESOURCE_DOES_NOT_EXIST = 1011
STATUS_SECURITY_VIOLATION = 1012
STATUS_TX_LIMIT_EXCEEDED = 1020
STATUS_TX_NOT_FOUND = 1021
STATUS_TOO_MANY_COMPUTE_TASKS = 1030
STATUS_AUTH_FAILED = 2000

STATUS_NAMES: Dict[int, str] = {
    value: name[len("STATUS_"):] for name, value in list(globals().items())
    if name.startswith("STATUS_") and isinstance(value, int)
}

# -- response header flags (>= 1.4.0) -------------------------------------------------------------

RESPONSE_FLAG_ERROR = 0x0001
RESPONSE_FLAG_AFFINITY_TOPOLOGY_CHANGED = 0x0002
RESPONSE_FLAG_NOTIFICATION = 0x0004

# -- cache request flags (the byte after the cache id) --------------------------------------------

CACHE_FLAG_KEEP_BINARY = 0x01
CACHE_FLAG_TRANSACTIONAL = 0x02
CACHE_FLAG_WITH_EXPIRY_POLICY = 0x04

# -- cache configuration property codes (pyignite ``prop_codes``) ---------------------------------

PROP_NAME = 0
PROP_CACHE_MODE = 1
PROP_CACHE_ATOMICITY_MODE = 2
PROP_BACKUPS_NUMBER = 3
PROP_WRITE_SYNCHRONIZATION_MODE = 4
PROP_COPY_ON_READ = 5
PROP_READ_FROM_BACKUP = 6

PROP_DATA_REGION_NAME = 100
PROP_IS_ONHEAP_CACHE_ENABLED = 101

PROP_QUERY_ENTITIES = 200
PROP_QUERY_PARALLELISM = 201
PROP_QUERY_DETAIL_METRIC_SIZE = 202
PROP_SQL_SCHEMA = 203
PROP_SQL_INDEX_INLINE_MAX_SIZE = 204
PROP_SQL_ESCAPE_ALL = 205
PROP_MAX_QUERY_ITERATORS = 206

PROP_REBALANCE_MODE = 300
PROP_REBALANCE_DELAY = 301
PROP_REBALANCE_TIMEOUT = 302
PROP_REBALANCE_BATCH_SIZE = 303
PROP_REBALANCE_BATCHES_PREFETCH_COUNT = 304
PROP_REBALANCE_ORDER = 305
PROP_REBALANCE_THROTTLE = 306

PROP_GROUP_NAME = 400
PROP_CACHE_KEY_CONFIGURATION = 401
PROP_DEFAULT_LOCK_TIMEOUT = 402
PROP_MAX_CONCURRENT_ASYNC_OPERATIONS = 403
PROP_PARTITION_LOSS_POLICY = 404
PROP_EAGER_TTL = 405
PROP_STATISTICS_ENABLED = 406
PROP_EXPIRY_POLICY = 407

PROP_NAMES: Dict[int, str] = {
    value: name for name, value in list(globals().items())
    if name.startswith("PROP_") and isinstance(value, int)
}


# -- enumerations ---------------------------------------------------------------------------------


class Feature(IntEnum):
    """Bitmask feature ids negotiated in the 1.7.0 handshake (ClientBitmaskFeature)."""

    USER_ATTRIBUTES = 0
    EXECUTE_TASK_BY_NAME = 1
    CLUSTER_STATES = 2
    CLUSTER_GROUP_GET_NODES_ENDPOINTS = 3
    CLUSTER_GROUPS = 4
    SERVICE_INVOKE = 5
    DEFAULT_QRY_TIMEOUT = 6
    QRY_PARTITIONS_BATCH_SIZE = 7
    BINARY_CONFIGURATION = 8
    GET_SERVICE_DESCRIPTORS = 9
    SERVICE_INVOKE_CALLCTX = 10
    HEARTBEAT = 11
    DATA_REPLICATION_OPERATIONS = 12
    ALL_AFFINITY_MAPPINGS = 13
    INDEX_QUERY = 14
    INDEX_QUERY_LIMIT = 15
    SERVICE_TOPOLOGY = 16
    CACHE_INVOKE = 17
    TX_AWARE_QUERIES = 18

    #: pyignite's name for CLUSTER_STATES (needed for ops 5000/5001).
    CLUSTER_API = 2


class PeekModes(IntEnum):
    """Peek modes of OP_CACHE_GET_SIZE / OP_CACHE_LOCAL_PEEK."""

    ALL = 0
    NEAR = 1
    PRIMARY = 2
    BACKUP = 3
    ONHEAP = 4
    OFFHEAP = 5


class StatementType(IntEnum):
    """Statement type of an SQL fields query."""

    ANY = 0
    SELECT = 1
    UPDATE = 2


class CacheMode(IntEnum):
    LOCAL = 0
    REPLICATED = 1
    PARTITIONED = 2


class CacheAtomicityMode(IntEnum):
    TRANSACTIONAL = 0
    ATOMIC = 1
    TRANSACTIONAL_SNAPSHOT = 2


class WriteSynchronizationMode(IntEnum):
    FULL_SYNC = 0
    FULL_ASYNC = 1
    PRIMARY_SYNC = 2


class PartitionLossPolicy(IntEnum):
    READ_ONLY_SAFE = 0
    READ_ONLY_ALL = 1
    READ_WRITE_SAFE = 2
    READ_WRITE_ALL = 3
    IGNORE = 4


class RebalanceMode(IntEnum):
    SYNC = 0
    ASYNC = 1
    NONE = 2


class IndexType(IntEnum):
    SORTED = 0
    FULLTEXT = 1
    GEOSPATIAL = 2


class TransactionConcurrency(IntEnum):
    OPTIMISTIC = 0
    PESSIMISTIC = 1


class TransactionIsolation(IntEnum):
    READ_COMMITTED = 0
    REPEATABLE_READ = 1
    SERIALIZABLE = 2


class ClusterState(IntEnum):
    INACTIVE = 0
    ACTIVE = 1
    ACTIVE_READ_ONLY = 2


class Platform(IntEnum):
    """Platform byte of binary-type-name ops (3000/3001)."""

    JAVA = 0
    DOTNET = 1


#: Platform byte that follows a non-null scan-query filter.
FILTER_PLATFORM_JAVA = 1
FILTER_PLATFORM_DOTNET = 2
FILTER_PLATFORM_CPP = 3


# -- expiry policy --------------------------------------------------------------------------------

Duration = Union[int, timedelta, None]


def _duration_ms(value: Duration, name: str) -> int:
    """One expiry duration as wire milliseconds (``None`` means unchanged)."""
    if value is None:
        return ExpiryPolicy.UNCHANGED
    if isinstance(value, timedelta):
        millis = math.floor(value.total_seconds() * 1000)
    elif isinstance(value, int) and not isinstance(value, bool):
        millis = value
    else:
        raise ParameterError(
            f"expiry {name!r} must be milliseconds (int), a timedelta or None, not {value!r}")
    if millis < 0 and millis not in (ExpiryPolicy.UNCHANGED, ExpiryPolicy.ETERNAL):
        raise ParameterError(f"expiry {name!r} must not be negative: {value!r}")
    if millis >= 1 << 63:
        raise ParameterError(f"expiry {name!r} is too large: {value!r}")
    return millis


def _check_duration(_instance: object, attribute: attr.Attribute, value: Duration) -> None:
    _duration_ms(value, attribute.name)


@attr.s(frozen=True, slots=True)
class ExpiryPolicy:
    """Per-operation (or per-cache) entry lifetimes, as in pyignite 0.5+.

    Each of ``create``, ``update`` and ``access`` is milliseconds (``int``), a ``timedelta``,
    :attr:`ETERNAL`, or :attr:`UNCHANGED` / ``None`` (leave the entry's lifetime as it is).
    """

    #: Keep the entry's current lifetime.
    UNCHANGED = -2
    #: Never expire.
    ETERNAL = -1

    create: Duration = attr.ib(default=-2, kw_only=True, validator=_check_duration)
    update: Duration = attr.ib(default=-2, kw_only=True, validator=_check_duration)
    access: Duration = attr.ib(default=-2, kw_only=True, validator=_check_duration)

    def to_millis(self) -> Tuple[int, int, int]:
        """``(create, update, access)`` as the wire's int64 milliseconds."""
        return (
            _duration_ms(self.create, "create"),
            _duration_ms(self.update, "update"),
            _duration_ms(self.access, "access"),
        )

    @classmethod
    def from_millis(cls, create: int, update: int, access: int) -> ExpiryPolicy:
        """Build from wire milliseconds (any negative other than -1 reads as unchanged)."""
        return cls(create=_from_wire(create), update=_from_wire(update), access=_from_wire(access))


def _from_wire(millis: int) -> int:
    return millis if millis >= -1 else ExpiryPolicy.UNCHANGED


# -- protocol context -----------------------------------------------------------------------------


def _feature_set(features: Iterable[int]) -> FrozenSet[int]:
    return frozenset(int(feature) for feature in features)


@attr.s(frozen=True, slots=True)
class ProtocolContext:
    """What one connection negotiated: the protocol version and (>= 1.7.0) the feature set.

    Everything whose wire layout depends on the version or a feature bit asks this object.
    """

    version: ProtocolVersion = attr.ib(default=DEFAULT_PROTOCOL_VERSION)
    features: FrozenSet[int] = attr.ib(default=frozenset(), converter=_feature_set)

    @property
    def status_flags(self) -> bool:
        """Responses carry an int16 flags field instead of an int32 status (>= 1.4.0)."""
        return self.version >= (1, 4, 0)

    @property
    def partition_awareness(self) -> bool:
        return self.version >= (1, 4, 0)

    @property
    def credentials(self) -> bool:
        """The handshake may carry a user name and password (>= 1.1.0)."""
        return self.version >= (1, 1, 0)

    @property
    def query_field_precision(self) -> bool:
        """Query-entity fields carry precision and scale (>= 1.2.0)."""
        return self.version >= (1, 2, 0)

    @property
    def transactions(self) -> bool:
        return self.version >= (1, 5, 0)

    @property
    def expiry_policy(self) -> bool:
        return self.version >= (1, 6, 0)

    @property
    def feature_bitmask(self) -> bool:
        """The handshake exchanges a feature bitmask (>= 1.7.0)."""
        return self.version >= (1, 7, 0)

    def has_feature(self, feature: int) -> bool:
        """Whether ``feature`` was negotiated (always ``False`` before 1.7.0)."""
        return self.feature_bitmask and feature in self.features

    def with_features(self, features: Iterable[int]) -> ProtocolContext:
        return ProtocolContext(self.version, _feature_set(features))


def version_string(version: Optional[ProtocolVersion]) -> str:
    """``(1, 7, 0)`` -> ``"1.7.0"``."""
    return "?" if version is None else ".".join(str(part) for part in version)


__all__ += ["version_string", "Duration"] + sorted(
    name for name, value in list(globals().items())
    if name.isupper() and not name.startswith("_") and isinstance(value, int)
)
