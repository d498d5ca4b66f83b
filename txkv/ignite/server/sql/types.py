"""SQL column types: H2 names, Ignite type codes, Java class names and sqlite storage.

Every value is kept in sqlite in one canonical, column-independent form, so comparisons between
columns and ``?`` arguments work without knowing the column:

=============  ====================================  =========================================
family         sqlite storage                        returned to the caller
=============  ====================================  =========================================
integers       INTEGER                               ``int``
BOOLEAN        INTEGER 0/1                           ``bool``
DECIMAL        INTEGER when whole (no fraction),     ``decimal.Decimal`` at the column scale
               a REAL when the value has at most 15  (exact: a 15-digit decimal survives a
               significant digits, else its exact    double round trip)
               TEXT (compared as text: documented)
REAL, DOUBLE   REAL (REAL rounded to float32)        ``float``
CHAR, VARCHAR  TEXT                                  ``str``
DATE           TEXT ``YYYY-MM-DD[ HH:MM:SS[.f]]``    naive ``datetime`` (pyignite's Date)
TIMESTAMP      same text, nanoseconds kept           ``(datetime, nanos within the ms)``
TIME           TEXT ``HH:MM:SS[.f]``                 ``timedelta`` (pyignite's Time)
UUID           TEXT                                  ``uuid.UUID``
BINARY         BLOB                                  ``bytes``
OTHER          as given (int, float, str, bytes)     as stored
=============  ====================================  =========================================

A midnight datetime is stored without its time part, so DATE and TIMESTAMP columns compare equal
to the same ``datetime`` argument.
"""

from __future__ import annotations

import decimal
import re
import struct
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Optional, Tuple

from .errors import SqlError

__all__ = [
    "SqlType",
    "TC_BYTE", "TC_SHORT", "TC_INT", "TC_LONG", "TC_FLOAT", "TC_DOUBLE", "TC_BOOL",
    "TC_STRING", "TC_UUID", "TC_DATE", "TC_BYTE_ARRAY", "TC_DECIMAL", "TC_TIMESTAMP",
    "TC_TIME", "TC_NULL", "TC_COMPLEX", "TC_INFER",
    "parse_type_name", "type_from_java", "type_from_decltype", "infer_type_code",
    "to_storage", "from_storage", "coerce",
]

TC_BYTE = 1
TC_SHORT = 2
TC_INT = 3
TC_LONG = 4
TC_FLOAT = 5
TC_DOUBLE = 6
TC_BOOL = 8
TC_STRING = 9
TC_UUID = 10
TC_DATE = 11
TC_BYTE_ARRAY = 12
TC_DECIMAL = 30
TC_TIMESTAMP = 33
TC_TIME = 36
TC_NULL = 101
TC_COMPLEX = 103
#: "no declared type: let the codec infer it from the Python value" (OTHER columns)
TC_INFER = 0


@dataclass(frozen=True)
class _Family:
    type_code: int
    java_name: str
    #: suffix giving the sqlite column the affinity we want (see sqlite's affinity rules)
    affinity: str


_FAMILIES: Dict[str, _Family] = {
    "VARCHAR": _Family(TC_STRING, "java.lang.String", "_TEXT"),
    "CHAR": _Family(TC_STRING, "java.lang.String", "_TEXT"),
    "INT": _Family(TC_INT, "java.lang.Integer", ""),
    "SMALLINT": _Family(TC_SHORT, "java.lang.Short", ""),
    "TINYINT": _Family(TC_BYTE, "java.lang.Byte", ""),
    "BIGINT": _Family(TC_LONG, "java.lang.Long", ""),
    "DECIMAL": _Family(TC_DECIMAL, "java.math.BigDecimal", "_BLOB"),
    "REAL": _Family(TC_FLOAT, "java.lang.Float", ""),
    "DOUBLE": _Family(TC_DOUBLE, "java.lang.Double", ""),
    "BOOLEAN": _Family(TC_BOOL, "java.lang.Boolean", "_INT"),
    "DATE": _Family(TC_DATE, "java.sql.Date", "_TEXT"),
    "TIME": _Family(TC_TIME, "java.sql.Time", "_TEXT"),
    "TIMESTAMP": _Family(TC_TIMESTAMP, "java.sql.Timestamp", "_TEXT"),
    "UUID": _Family(TC_UUID, "java.util.UUID", "_TEXT"),
    "BINARY": _Family(TC_BYTE_ARRAY, "[B", "_BLOB"),
    "OTHER": _Family(TC_INFER, "java.lang.Object", "_BLOB"),
}

_INT_RANGES = {
    "TINYINT": (-(1 << 7), (1 << 7) - 1),
    "SMALLINT": (-(1 << 15), (1 << 15) - 1),
    "INT": (-(1 << 31), (1 << 31) - 1),
    "BIGINT": (-(1 << 63), (1 << 63) - 1),
}

#: H2 type names (and their synonyms) -> family
_H2_NAMES = {
    **dict.fromkeys(["INT", "INTEGER", "MEDIUMINT", "INT4", "SIGNED"], "INT"),
    **dict.fromkeys(["SMALLINT", "INT2", "YEAR"], "SMALLINT"),
    "TINYINT": "TINYINT",
    **dict.fromkeys(["BIGINT", "INT8", "LONG"], "BIGINT"),
    **dict.fromkeys(["DECIMAL", "NUMERIC", "DEC", "NUMBER"], "DECIMAL"),
    **dict.fromkeys(["REAL", "FLOAT4"], "REAL"),
    **dict.fromkeys(["DOUBLE", "FLOAT", "FLOAT8"], "DOUBLE"),
    **dict.fromkeys(["BOOLEAN", "BIT", "BOOL"], "BOOLEAN"),
    "DATE": "DATE",
    "TIME": "TIME",
    **dict.fromkeys(["TIMESTAMP", "DATETIME", "SMALLDATETIME"], "TIMESTAMP"),
    "UUID": "UUID",
    **dict.fromkeys(["BINARY", "VARBINARY", "LONGVARBINARY", "BLOB", "BYTEA", "RAW",
                     "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "IMAGE"], "BINARY"),
    **dict.fromkeys(["VARCHAR", "VARCHAR2", "NVARCHAR", "NVARCHAR2", "VARCHAR_CASESENSITIVE",
                     "VARCHAR_IGNORECASE", "LONGVARCHAR", "TEXT", "CLOB", "STRING",
                     "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "NTEXT", "NCLOB"], "VARCHAR"),
    **dict.fromkeys(["CHAR", "CHARACTER", "NCHAR"], "CHAR"),
    **dict.fromkeys(["OTHER", "OBJECT", "JAVA_OBJECT"], "OTHER"),
}

#: simple Java class names (query entities) -> family
_JAVA_NAMES = {
    **dict.fromkeys(["String", "char", "Character"], "VARCHAR"),
    **dict.fromkeys(["Integer", "int"], "INT"),
    **dict.fromkeys(["Long", "long"], "BIGINT"),
    **dict.fromkeys(["Short", "short"], "SMALLINT"),
    **dict.fromkeys(["Byte", "byte"], "TINYINT"),
    **dict.fromkeys(["Boolean", "boolean"], "BOOLEAN"),
    **dict.fromkeys(["Float", "float"], "REAL"),
    **dict.fromkeys(["Double", "double"], "DOUBLE"),
    **dict.fromkeys(["BigDecimal", "BigInteger"], "DECIMAL"),
    "Date": "DATE",
    "Time": "TIME",
    **dict.fromkeys(["Timestamp", "LocalDateTime", "Instant"], "TIMESTAMP"),
    "LocalDate": "DATE",
    "LocalTime": "TIME",
    "UUID": "UUID",
    **dict.fromkeys(["[B", "byte[]"], "BINARY"),
}


@dataclass(frozen=True)
class SqlType:
    """A column type: its family name (``INT``, ``DECIMAL``, ``VARCHAR``...) with the declared
    precision and scale (-1 when not given)."""

    name: str
    precision: int = -1
    scale: int = -1

    @property
    def type_code(self) -> int:
        """The Ignite type code values of this type are encoded with."""
        return _FAMILIES[self.name].type_code

    @property
    def java_name(self) -> str:
        """The Java class name Ignite reports in a QueryEntity field."""
        return _FAMILIES[self.name].java_name

    @property
    def decltype(self) -> str:
        """The sqlite declared type: the family (for :func:`type_from_decltype`) plus a suffix
        choosing sqlite's affinity."""
        precision = "N" if self.precision < 0 else str(self.precision)
        scale = "N" if self.scale < 0 else str(self.scale)
        return f"X_{self.name}{_FAMILIES[self.name].affinity}_P{precision}_S{scale}"

    def sql(self) -> str:
        """The type as H2 would print it, e.g. ``DECIMAL(10, 2)``."""
        if self.precision >= 0 and self.scale >= 0:
            return f"{self.name}({self.precision}, {self.scale})"
        if self.precision >= 0:
            return f"{self.name}({self.precision})"
        return self.name


_DECLTYPE = re.compile(r"X_([A-Z]+)(?:_TEXT|_INT|_BLOB)?_P(N|\d+)_S(N|\d+)$")


def parse_type_name(name: str, precision: int = -1, scale: int = -1) -> SqlType:
    """The :class:`SqlType` of an H2 type name (``INT``, ``CHAR``, ``DOUBLE PRECISION``...)."""
    words = name.upper().split()
    family = _H2_NAMES.get(words[0] if words else "")
    if words[:2] in (["CHARACTER", "VARYING"], ["CHAR", "VARYING"]):
        family = "VARCHAR"
    elif words[:2] == ["BINARY", "VARYING"]:
        family = "BINARY"
    if family is None:
        raise SqlError(f'Unknown data type: "{name}"', sql_state="42000")
    if family not in ("CHAR", "VARCHAR", "DECIMAL", "BINARY"):
        precision = scale = -1  # INT(11), SMALLINT(6): display widths, ignored like H2 does
    return SqlType(family, precision, scale)


def type_from_java(java_name: Optional[str], precision: int = -1, scale: int = -1) -> SqlType:
    """The :class:`SqlType` of a QueryEntity field's Java class name (``java.lang.Integer``,
    ``int``, ``byte[]``...); unknown classes (binary types) are ``OTHER``."""
    simple = (java_name or "").rsplit(".", 1)[-1]
    family = _JAVA_NAMES.get(simple, "OTHER")
    if java_name == "java.util.Date":
        family = "DATE"
    if family not in ("CHAR", "VARCHAR", "DECIMAL", "BINARY"):
        precision = scale = -1
    return SqlType(family, -1 if precision is None else precision,
                   -1 if scale is None else scale)


def type_from_decltype(decltype: Optional[str]) -> Optional[SqlType]:
    """The :class:`SqlType` a sqlite declared type was made from, or None."""
    match = _DECLTYPE.match(decltype or "")
    if match is None or match.group(1) not in _FAMILIES:
        return None
    precision, scale = match.group(2), match.group(3)
    return SqlType(match.group(1), -1 if precision == "N" else int(precision),
                   -1 if scale == "N" else int(scale))


def infer_type_code(value: Any) -> int:
    """The Ignite type code for a value of unknown SQL type (int -> Long, float -> Double...)."""
    from .result import SqlObject  # local: result imports this module

    if value is None:
        return TC_NULL
    if isinstance(value, bool):
        return TC_BOOL
    if isinstance(value, int):
        return TC_LONG
    if isinstance(value, float):
        return TC_DOUBLE
    if isinstance(value, str):
        return TC_STRING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return TC_BYTE_ARRAY
    if isinstance(value, decimal.Decimal):
        return TC_DECIMAL
    if isinstance(value, uuid.UUID):
        return TC_UUID
    if isinstance(value, (datetime, date)):
        return TC_DATE
    if isinstance(value, timedelta):
        return TC_TIME
    if isinstance(value, SqlObject):
        return TC_COMPLEX
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], datetime):
        return TC_TIMESTAMP
    return TC_INFER


# -- canonical text of dates and times -----------------------------------------------------------

_MOMENT = re.compile(
    r"\s*(-?\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?"
    r"\s*$"
)
_CLOCK = re.compile(r"\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?\s*$")
_FLOAT32 = struct.Struct("<f")
_EXACT = decimal.Context(prec=1000, rounding=decimal.ROUND_HALF_UP)


def _fraction(nanos: int) -> str:
    return f".{nanos:09d}".rstrip("0") if nanos else ""


def _moment_text(day: date, hour: int = 0, minute: int = 0, second: int = 0,
                 nanos: int = 0) -> str:
    text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    if hour or minute or second or nanos:
        text += f" {hour:02d}:{minute:02d}:{second:02d}{_fraction(nanos)}"
    return text


def _datetime_text(value: datetime, nanos_in_ms: Optional[int] = None) -> str:
    if nanos_in_ms is None:
        nanos = value.microsecond * 1000
    else:
        nanos = (value.microsecond // 1000) * 1_000_000 + nanos_in_ms
    return _moment_text(value.date(), value.hour, value.minute, value.second, nanos)


def _clock_text(total_nanos: int) -> str:
    seconds, nanos = divmod(total_nanos, 1_000_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{hour:02d}:{minute:02d}:{second:02d}{_fraction(nanos)}"


def _parse_moment(text: str) -> Tuple[datetime, int]:
    """``(datetime, nanoseconds within the second)`` of a canonical or ISO date/time text."""
    match = _MOMENT.match(text)
    if match is None:
        raise SqlError(f'Cannot parse "TIMESTAMP" constant "{text}"', sql_state="22007")
    year, month, day, hour, minute, second, fraction = match.groups()
    nanos = int((fraction or "").ljust(9, "0"))
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                          int(second or 0), nanos // 1000)
    except ValueError as exc:
        raise SqlError(f'Cannot parse "TIMESTAMP" constant "{text}": {exc}',
                       sql_state="22007") from None
    return moment, nanos


def _parse_clock(text: str) -> int:
    """Nanoseconds since midnight of a ``HH:MM[:SS[.f]]`` text."""
    match = _CLOCK.match(text)
    if match is None:
        raise SqlError(f'Cannot parse "TIME" constant "{text}"', sql_state="22007")
    hour, minute, second, fraction = match.groups()
    return ((int(hour) * 60 + int(minute)) * 60 + int(second or 0)) * 1_000_000_000 + int(
        (fraction or "").ljust(9, "0"))


def _timedelta_nanos(value: timedelta) -> int:
    return ((value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds) * 1000


def _decimal_text(value: decimal.Decimal) -> str:
    if not value.is_finite():
        raise SqlError(f'Data conversion error converting "{value}"', sql_state="22018")
    return format(value, "f")


def _decimal_storage(value: decimal.Decimal) -> Any:
    """An INTEGER for a whole decimal written without a fraction (``100``), a REAL when it has
    at most 15 significant digits (a double keeps them exactly), else its exact text.

    Columns with a scale are read back at that scale; a column without one gives ``100`` back
    as ``100`` and ``2.5`` as ``2.5`` (trailing fraction zeros are not kept there)."""
    text = _decimal_text(value)
    sign, digits, exponent = value.as_tuple()
    if len(digits) <= 15:
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
        return float(text)
    return text


# -- conversions ---------------------------------------------------------------------------------


def to_storage(value: Any) -> Any:
    """A value in sqlite's canonical form, whatever column it will meet (``?`` arguments)."""
    if value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal):
        return _decimal_storage(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return _datetime_text(value)
    if isinstance(value, date):
        return _moment_text(value)
    if isinstance(value, time):
        return _clock_text(
            ((value.hour * 60 + value.minute) * 60 + value.second) * 10**9
            + value.microsecond * 1000)
    if isinstance(value, timedelta):
        return _clock_text(_timedelta_nanos(value))
    if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], datetime)
            and isinstance(value[1], int)):
        return _datetime_text(value[0], value[1])
    raise SqlError(f"Unsupported SQL argument type: {type(value).__name__}", sql_state="22018")


def _conversion_error(value: Any, sql_type: SqlType) -> SqlError:
    return SqlError(f'Data conversion error converting "{value}" to {sql_type.sql()}',
                    sql_state="22018")


def _to_int(value: Any, sql_type: SqlType) -> int:
    try:
        if isinstance(value, (float, decimal.Decimal)):
            number = int(decimal.Decimal(value).to_integral_value(decimal.ROUND_HALF_UP))
        elif isinstance(value, str):
            number = int(value.strip())
        else:
            number = int(value)
    except (TypeError, ValueError, ArithmeticError):
        raise _conversion_error(value, sql_type) from None
    low, high = _INT_RANGES[sql_type.name]
    if not low <= number <= high:
        raise SqlError(f'Numeric value out of range: "{number}"', sql_state="22003")
    return number


def _to_decimal(value: Any, sql_type: SqlType) -> decimal.Decimal:
    try:
        if isinstance(value, float):
            number = decimal.Decimal(repr(value))
        elif isinstance(value, str):
            number = decimal.Decimal(value.strip())
        else:
            number = decimal.Decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        raise _conversion_error(value, sql_type) from None
    if not number.is_finite():
        raise _conversion_error(value, sql_type)
    if sql_type.scale >= 0:
        number = number.quantize(decimal.Decimal(1).scaleb(-sql_type.scale), context=_EXACT)
    if sql_type.precision > 0 and number:
        integer_digits = sql_type.precision - max(sql_type.scale, 0)
        if number.adjusted() + 1 > integer_digits:
            raise SqlError(f'Numeric value out of range: "{number}"', sql_state="22003")
    return number


def _to_text(value: Any, sql_type: SqlType, column: str) -> str:
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, decimal.Decimal):
        text = _decimal_text(value)
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        stored = to_storage(value)
        if isinstance(stored, bytes):
            raise _conversion_error(value, sql_type)
        text = str(stored)
    if 0 < sql_type.precision < len(text):
        raise SqlError(
            f"Value for a column '{column}' is too long. Maximum length: {sql_type.precision}, "
            f"actual length: {len(text)}", sql_state="22001")
    return text


def coerce(sql_type: SqlType, value: Any, column: str = "") -> Any:
    """``value`` converted to ``sql_type`` (like H2 on INSERT) in sqlite's storage form;
    SqlError when it cannot be."""
    if value is None:
        return None
    family = sql_type.name
    if family in _INT_RANGES:
        return _to_int(value, sql_type)
    if family == "BOOLEAN":
        if isinstance(value, str):
            flag = value.strip().upper()
            if flag in ("TRUE", "T", "YES", "Y", "1"):
                return 1
            if flag in ("FALSE", "F", "NO", "N", "0"):
                return 0
            raise _conversion_error(value, sql_type)
        if isinstance(value, (bool, int, float, decimal.Decimal)):
            return int(bool(value))
        raise _conversion_error(value, sql_type)
    if family == "DECIMAL":
        return _decimal_storage(_to_decimal(value, sql_type))
    if family in ("REAL", "DOUBLE"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _conversion_error(value, sql_type) from None
        if family == "REAL":
            number = _FLOAT32.unpack(_FLOAT32.pack(number))[0]
        return number
    if family in ("CHAR", "VARCHAR"):
        return _to_text(value, sql_type, column)
    if family in ("DATE", "TIMESTAMP"):
        if isinstance(value, str):
            moment, nanos = _parse_moment(value)
            return _moment_text(moment.date(), moment.hour, moment.minute, moment.second, nanos)
        if isinstance(value, (date, tuple)):
            return to_storage(value)
        raise _conversion_error(value, sql_type)
    if family == "TIME":
        if isinstance(value, str):
            return _clock_text(_parse_clock(value))
        if isinstance(value, (time, timedelta)):
            return to_storage(value)
        if isinstance(value, datetime):
            return to_storage(value.time())
        raise _conversion_error(value, sql_type)
    if family == "UUID":
        try:
            return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            raise _conversion_error(value, sql_type) from None
    if family == "BINARY":
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            if 0 < sql_type.precision < len(data):
                raise SqlError(f"Value for a column '{column}' is too long. Maximum length: "
                               f"{sql_type.precision}, actual length: {len(data)}",
                               sql_state="22001")
            return data
        raise _conversion_error(value, sql_type)
    return to_storage(value)


def from_storage(sql_type: Optional[SqlType], raw: Any) -> Any:
    """The Python value of a stored ``raw`` value of a column of ``sql_type`` (None: as is)."""
    if raw is None or sql_type is None:
        return raw
    family = sql_type.name
    try:
        if family in _INT_RANGES:
            return int(raw)
        if family == "BOOLEAN":
            if isinstance(raw, str):
                return raw.strip().upper() in ("TRUE", "T", "1", "YES", "Y")
            return bool(raw)
        if family == "DECIMAL":
            number = decimal.Decimal(repr(raw) if isinstance(raw, float) else raw)
            if sql_type.scale >= 0:
                number = number.quantize(decimal.Decimal(1).scaleb(-sql_type.scale),
                                         context=_EXACT)
            return number
        if family in ("REAL", "DOUBLE"):
            return float(raw)
        if family in ("CHAR", "VARCHAR"):
            return raw if isinstance(raw, str) else str(raw)
        if family == "DATE":
            moment, _ = _parse_moment(str(raw))
            return moment
        if family == "TIMESTAMP":
            moment, nanos = _parse_moment(str(raw))
            millis = (nanos // 1_000_000) * 1000
            return moment.replace(microsecond=millis), nanos % 1_000_000
        if family == "TIME":
            return timedelta(microseconds=_parse_clock(str(raw)) // 1000)
        if family == "UUID":
            return uuid.UUID(str(raw))
        if family == "BINARY":
            return raw.encode() if isinstance(raw, str) else bytes(raw)
    except (TypeError, ValueError, ArithmeticError):
        raise SqlError(f'Data conversion error converting "{raw}" to {sql_type.sql()}',
                       sql_state="22018") from None
    return raw
