"""``GenericObjectMeta``: classes whose instances are Python values for Ignite complex objects.

A class built with the metaclass carries ``type_name``, ``type_id``, ``schema`` (an ordered
mapping *field name -> type hint*), ``schema_id``; its instances have one attribute per schema
field plus ``version``.  The generated ``__init__`` takes the fields (positionally or by name, all
optional, defaulting to the hint's default) and ``version=1``; instances compare equal when their
class and all field values match, and print as ``Person(name='Bob', age=30, version=1)``.  As in
pyignite, they are not hashable.

Example::

    class Person(metaclass=GenericObjectMeta, schema=OrderedDict([
        ('name', String), ('age', IntObject),
    ])):
        pass
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from ..errors import ParseError
from .hashing import entity_id, schema_id
from .hints import AnyDataObject, is_hint

__all__ = ["GenericObjectMeta", "GenericObject", "is_binary", "create_dataclass", "class_name_for"]

_IMMUTABLE_DEFAULTS = (type(None), int, float, str, bool, bytes, tuple)


class _GenericProps:
    """Properties readable on both the classes and their instances."""

    _type_name: str
    _type_id: int
    _schema: OrderedDict[str, type]
    _schema_id: int
    _field_ids: Tuple[int, ...]

    @property
    def type_name(self) -> str:
        """Binary type name (defaults to the class name)."""
        return self._type_name

    @property
    def type_id(self) -> int:
        """Binary type id: the lower-case hash of :attr:`type_name` unless given explicitly."""
        return self._type_id

    @property
    def schema(self) -> OrderedDict[str, type]:
        """A copy of the schema: field name -> type hint, in write order."""
        return OrderedDict(self._schema)

    @property
    def schema_id(self) -> int:
        """Schema id of :attr:`schema` (FNV-1a over the field ids)."""
        return self._schema_id


class GenericObject(_GenericProps):
    """Base class mixed into every class built by :class:`GenericObjectMeta`.

    Naming it as a base (``class Person(GenericObject, metaclass=GenericObjectMeta,
    schema=...)``) changes nothing at run time, but tells type checkers that the class takes
    field keywords and has field attributes.
    """

    version: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The metaclass consumes the class keywords (schema, type_name, type_id).
        super().__init_subclass__()

    if TYPE_CHECKING:  # pragma: no cover - for type checkers only: schema fields are dynamic

        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = list(self._schema)
        if len(args) > len(names) + 1:
            raise TypeError(
                f"{type(self).__name__}() takes at most {len(names) + 1} positional arguments"
            )
        values: Dict[str, Any] = dict(zip(names + ["version"], args))
        for key, value in kwargs.items():
            if key in values:
                raise TypeError(f"{type(self).__name__}() got multiple values for {key!r}")
            if key != "version" and key not in self._schema:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword {key!r}")
            values[key] = value
        self._set_defaults()
        for key, value in values.items():
            setattr(self, key, value)

    def _set_defaults(self) -> None:
        """Give every schema field its hint's default (mutable defaults copied) and version 1."""
        for name, hint in self._schema.items():
            default = getattr(hint, "default", None)
            if not isinstance(default, _IMMUTABLE_DEFAULTS):
                default = copy.copy(default)
            setattr(self, name, default)
        self.version = 1

    def _field_values(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, name, None) for name in self._schema) + (
            getattr(self, "version", None),
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, GenericObject)
        return self._field_values() == other._field_values()

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        name = type(self).__qualname__.rsplit(">.", 1)[-1]
        parts = [f"{field}={getattr(self, field, None)!r}" for field in self._schema]
        parts.append(f"version={getattr(self, 'version', None)!r}")
        return f"{name}({', '.join(parts)})"


class GenericObjectMeta(type, _GenericProps):
    """Metaclass of complex-object classes.

    Class keywords: ``schema`` (mapping field name -> type hint, default empty), ``type_name``
    (default: the class name) and, as a txkv extension, ``type_id`` (default: the id derived from
    ``type_name``; set it for types whose ids come from a custom Java id mapper).

    :raise ParseError: a schema value is not a type hint (pyignite's behaviour).
    """

    def __new__(
        mcs,
        name: str,
        bases: Tuple[type, ...],
        namespace: Dict[str, Any],
        **kwargs: Any,
    ) -> GenericObjectMeta:
        if not any(issubclass(base, GenericObject) for base in bases):
            bases = bases + (GenericObject,)
        return super().__new__(mcs, name, bases, namespace)

    def __init__(
        cls,
        name: str,
        bases: Tuple[type, ...],
        namespace: Dict[str, Any],
        type_name: Optional[str] = None,
        schema: Optional[Mapping[str, type]] = None,
        type_id: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, bases, namespace)
        fields: OrderedDict[str, type] = OrderedDict(schema or {})
        for field_name, hint in fields.items():
            if not isinstance(field_name, str) or not is_hint(hint):
                raise ParseError(f"Wrong binary field type: {field_name!r}: {hint!r}")
        cls._type_name = type_name or name
        cls._type_id = entity_id(cls._type_name) if type_id is None else type_id
        cls._schema = fields
        cls._field_ids = tuple(entity_id(field) for field in fields)
        cls._schema_id = schema_id(cls._field_ids)


def is_binary(value: Any) -> bool:
    """True if *value* is an instance of a :class:`GenericObjectMeta` class."""
    return isinstance(type(value), GenericObjectMeta)


_NOT_IDENTIFIER = re.compile(r"[^0-9a-zA-Z_.+$]")
_BAD_START = re.compile(r"^[^a-zA-Z_]+")


def _capitalize_parts(name: str, delimiter: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split(delimiter))


def class_name_for(type_name: str) -> str:
    """A Python class name for a binary type name, the way pyignite derives it
    (``org.foo.Person`` -> ``OrgFooPerson``, Scala ``$`` and .NET ``+`` removed)."""
    name = _NOT_IDENTIFIER.sub("", type_name)
    for delimiter in ("$", "+", "."):
        name = _capitalize_parts(name, delimiter)
    name = _BAD_START.sub("", name)
    name = name[:1].upper() + name[1:]
    return name or "BinaryType"


def create_dataclass(
    type_name: str, fields: List[Tuple[str, type]], type_id: Optional[int] = None
) -> GenericObjectMeta:
    """Build a class for a binary type read from the cluster (its ``type_name`` stays the original
    name, its Python ``__name__`` is :func:`class_name_for` of it)."""
    schema = OrderedDict((name, hint if is_hint(hint) else AnyDataObject) for name, hint in fields)
    return GenericObjectMeta(
        class_name_for(type_name), (), {}, type_name=type_name, schema=schema, type_id=type_id
    )
