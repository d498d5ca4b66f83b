"""Ignite binary-format constants: data-object type codes, complex-object flags, collection kinds.

Every data object on the wire starts with one of the ``TC_*`` bytes below (protocol brief §4.1).
"""

from __future__ import annotations

from typing import Final

# primitives
TC_BYTE: Final = 0x01
TC_SHORT: Final = 0x02
TC_INT: Final = 0x03
TC_LONG: Final = 0x04
TC_FLOAT: Final = 0x05
TC_DOUBLE: Final = 0x06
TC_CHAR: Final = 0x07
TC_BOOL: Final = 0x08
# standard objects
TC_STRING: Final = 0x09
TC_UUID: Final = 0x0A
TC_DATE: Final = 0x0B
# arrays of primitives
TC_BYTE_ARRAY: Final = 0x0C
TC_SHORT_ARRAY: Final = 0x0D
TC_INT_ARRAY: Final = 0x0E
TC_LONG_ARRAY: Final = 0x0F
TC_FLOAT_ARRAY: Final = 0x10
TC_DOUBLE_ARRAY: Final = 0x11
TC_CHAR_ARRAY: Final = 0x12
TC_BOOL_ARRAY: Final = 0x13
# arrays of objects, collections
TC_STRING_ARRAY: Final = 0x14
TC_UUID_ARRAY: Final = 0x15
TC_DATE_ARRAY: Final = 0x16
TC_OBJECT_ARRAY: Final = 0x17
TC_COLLECTION: Final = 0x18
TC_MAP: Final = 0x19
TC_WRAPPED: Final = 0x1B
TC_ENUM: Final = 0x1C
TC_ENUM_ARRAY: Final = 0x1D
TC_DECIMAL: Final = 0x1E
TC_DECIMAL_ARRAY: Final = 0x1F
TC_CLASS: Final = 0x20
TC_TIMESTAMP: Final = 0x21
TC_TIMESTAMP_ARRAY: Final = 0x22
TC_PROXY: Final = 0x23
TC_TIME: Final = 0x24
TC_TIME_ARRAY: Final = 0x25
TC_BINARY_ENUM: Final = 0x26
TC_NULL: Final = 0x65
TC_HANDLE: Final = 0x66
TC_COMPLEX: Final = 0x67
TC_OPTIMIZED: Final = 0xFE

# complex-object header flags (§4.6)
FLAG_USER_TYPE: Final = 0x0001
FLAG_HAS_SCHEMA: Final = 0x0002
FLAG_HAS_RAW: Final = 0x0004
FLAG_OFFSET_ONE_BYTE: Final = 0x0008
FLAG_OFFSET_TWO_BYTES: Final = 0x0010
FLAG_COMPACT_FOOTER: Final = 0x0020
FLAG_CUSTOM_DOTNET_TYPE: Final = 0x0040

#: size of the complex-object header, from the 0x67 byte to the first field
COMPLEX_HEADER_SIZE: Final = 24

# collection kinds (byte after the count of a 0x18 Collection)
COL_USER_SET: Final = -1
COL_USER_COL: Final = 0
COL_ARR_LIST: Final = 1
COL_LINKED_LIST: Final = 2
COL_HASH_SET: Final = 3
COL_LINKED_HASH_SET: Final = 4
COL_SINGLETON_LIST: Final = 5

# map kinds (byte after the count of a 0x19 Map)
MAP_HASH_MAP: Final = 1
MAP_LINKED_HASH_MAP: Final = 2

#: component type id meaning ``java.lang.Object`` in Object[] / Enum[] headers
OBJECT_TYPE_ID: Final = -1

#: collection kinds whose Java hashCode follows ``java.util.Set`` (sum of element hashes)
SET_KINDS: Final = frozenset({COL_USER_SET, COL_HASH_SET, COL_LINKED_HASH_SET})
