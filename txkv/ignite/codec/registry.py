"""Binary-type metadata (what OP_GET/PUT_BINARY_TYPE carry) and the per-connection codec context.

:class:`BinaryRegistry` maps type ids to :class:`BinaryTypeInfo`; the decoder needs it to name the
fields of complex objects (compact footers carry no field ids at all).  :class:`CodecContext`
bundles the registry with the footer style to write and the user's classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..errors import BinaryTypeError
from .generic import GenericObjectMeta, create_dataclass
from .hashing import entity_id
from .hints import AnyDataObject, hint_for_type_code
from .typecodes import TC_COMPLEX

__all__ = ["BinaryTypeInfo", "BinaryRegistry", "CodecContext", "DEFAULT_CONTEXT"]


@dataclass
class BinaryTypeInfo:
    """One binary type, as exchanged by ops 3002/3003 (brief §3.5).

    :ivar fields: field name -> field type code, in registration order.
    :ivar field_ids: field name -> field id (normally :func:`entity_id` of the name).
    :ivar schemas: schema id -> field ids in write order.
    :ivar enum_values: literal -> ordinal, for enum types.
    """

    type_id: int
    type_name: str
    fields: Dict[str, int] = field(default_factory=dict)
    schemas: Dict[int, List[int]] = field(default_factory=dict)
    affinity_key_field: Optional[str] = None
    is_enum: bool = False
    enum_values: Dict[str, int] = field(default_factory=dict)
    field_ids: Dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.fields:
            self.field_ids.setdefault(name, entity_id(name))

    def name_of(self, field_id: int) -> Optional[str]:
        """The field name for *field_id*, if known."""
        for name, fid in self.field_ids.items():
            if fid == field_id:
                return name
        return None

    @classmethod
    def from_class(
        cls, data_class: GenericObjectMeta, affinity_key_field: Optional[str] = None
    ) -> BinaryTypeInfo:
        """Metadata describing a :class:`GenericObjectMeta` class (what pyignite registers)."""
        schema = data_class.schema
        fields = {name: _hint_type_code(hint) for name, hint in schema.items()}
        field_ids = {name: entity_id(name) for name in schema}
        return cls(
            type_id=data_class.type_id,
            type_name=data_class.type_name,
            fields=fields,
            field_ids=field_ids,
            schemas={data_class.schema_id: list(field_ids.values())},
            affinity_key_field=affinity_key_field,
        )

    @classmethod
    def enum(
        cls, type_name: str, values: Dict[str, int], type_id: Optional[int] = None
    ) -> BinaryTypeInfo:
        """Metadata of an enum type with the given literal -> ordinal values."""
        return cls(
            type_id=entity_id(type_name) if type_id is None else type_id,
            type_name=type_name,
            is_enum=True,
            enum_values=dict(values),
        )


def _hint_type_code(hint: type) -> int:
    code = getattr(hint, "type_code", None)
    if hint is AnyDataObject or code is None:
        return TC_COMPLEX
    return int(code)


class BinaryRegistry:
    """Known binary types by type id, merged the way Ignite merges metadata."""

    def __init__(self) -> None:
        self._types: Dict[int, BinaryTypeInfo] = {}
        self._dataclasses: Dict[Tuple[int, int], GenericObjectMeta] = {}

    def get(self, type_id: int) -> Optional[BinaryTypeInfo]:
        """The metadata of *type_id*, or ``None``."""
        return self._types.get(type_id)

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types

    def __len__(self) -> int:
        return len(self._types)

    def types(self) -> List[BinaryTypeInfo]:
        """Every known type."""
        return list(self._types.values())

    def schema_fields(self, type_id: int, schema: int) -> Optional[List[int]]:
        """Field ids of schema *schema* of *type_id*, or ``None`` if unknown."""
        info = self._types.get(type_id)
        if info is None:
            return None
        return info.schemas.get(schema)

    def has_schema(self, type_id: int, schema: int) -> bool:
        """True if the schema is known."""
        return self.schema_fields(type_id, schema) is not None

    def put(self, info: BinaryTypeInfo) -> BinaryTypeInfo:
        """Merge *info* into the registry and return the merged metadata.

        :raise BinaryTypeError: a field changes type, the affinity key or enum-ness changes, or
            an enum literal changes ordinal.
        """
        old = self._types.get(info.type_id)
        merged = _copy(info) if old is None else _merge(old, info)
        self._types[info.type_id] = merged
        return merged

    def register_class(
        self, data_class: GenericObjectMeta, affinity_key_field: Optional[str] = None
    ) -> BinaryTypeInfo:
        """Merge the metadata of a complex-object class; returns the merged metadata."""
        return self.put(BinaryTypeInfo.from_class(data_class, affinity_key_field))

    def dataclass(self, type_id: int, schema: int, field_ids: List[int]) -> GenericObjectMeta:
        """The generated class for one schema of a known type (built once, then cached).

        :raise KeyError: the type, or one of the field ids, is unknown.
        """
        key = (type_id, schema)
        found = self._dataclasses.get(key)
        if found is not None:
            return found
        info = self._types[type_id]
        fields: List[Tuple[str, type]] = []
        for fid in field_ids:
            name = info.name_of(fid)
            if name is None:
                raise KeyError(fid)
            fields.append((name, hint_for_type_code(info.fields.get(name, TC_COMPLEX))))
        made = create_dataclass(info.type_name, fields, type_id=type_id)
        self._dataclasses[key] = made
        return made


def _copy(info: BinaryTypeInfo) -> BinaryTypeInfo:
    return BinaryTypeInfo(
        type_id=info.type_id,
        type_name=info.type_name,
        fields=dict(info.fields),
        schemas={k: list(v) for k, v in info.schemas.items()},
        affinity_key_field=info.affinity_key_field,
        is_enum=info.is_enum,
        enum_values=dict(info.enum_values),
        field_ids=dict(info.field_ids),
    )


def _merge(old: BinaryTypeInfo, new: BinaryTypeInfo) -> BinaryTypeInfo:
    name = old.type_name
    if old.is_enum != new.is_enum:
        raise BinaryTypeError(f"binary type {name!r}: enum flag cannot change")
    affinity = old.affinity_key_field
    if new.affinity_key_field is not None:
        if affinity is not None and affinity != new.affinity_key_field:
            raise BinaryTypeError(
                f"binary type {name!r}: affinity key field cannot change "
                f"({affinity!r} -> {new.affinity_key_field!r})"
            )
        affinity = new.affinity_key_field
    fields = dict(old.fields)
    field_ids = dict(old.field_ids)
    for fname, code in new.fields.items():
        if fname in fields and fields[fname] != code:
            raise BinaryTypeError(
                f"binary type {name!r}: field {fname!r} has type code {fields[fname]}, "
                f"cannot become {code}"
            )
        fields[fname] = code
        field_ids[fname] = new.field_ids.get(fname, entity_id(fname))
    schemas = {k: list(v) for k, v in old.schemas.items()}
    for sid, ids in new.schemas.items():
        schemas.setdefault(sid, list(ids))
    enum_values = dict(old.enum_values)
    for literal, ordinal in new.enum_values.items():
        if enum_values.get(literal, ordinal) != ordinal:
            raise BinaryTypeError(f"enum {name!r}: literal {literal!r} cannot change ordinal")
        enum_values[literal] = ordinal
    return BinaryTypeInfo(
        type_id=old.type_id,
        type_name=name,
        fields=fields,
        schemas=schemas,
        affinity_key_field=affinity,
        is_enum=old.is_enum,
        enum_values=enum_values,
        field_ids=field_ids,
    )


@dataclass
class CodecContext:
    """Per-client (or per-connection) state the value codec needs.

    :ivar compact_footer: write complex objects with compact footers (pyignite's default).
    :ivar registry: binary-type metadata, for decoding complex objects.
    :ivar protocol_version: the negotiated protocol version.
    :ivar classes: type id -> the user's :class:`GenericObjectMeta` class to decode into (used
        when its schema id matches the object's).
    :ivar unregistered: ``(type_id, schema_id) -> class`` of every complex-object class written
        whose schema the registry did not know yet; the client registers them (op 3003) before
        sending the request, see :meth:`take_unregistered`.
    """

    compact_footer: bool = True
    registry: BinaryRegistry = field(default_factory=BinaryRegistry)
    protocol_version: Tuple[int, int, int] = (1, 7, 0)
    classes: Dict[int, Any] = field(default_factory=dict)
    unregistered: Dict[Tuple[int, int], GenericObjectMeta] = field(default_factory=dict)

    def register_class(
        self, data_class: GenericObjectMeta, affinity_key_field: Optional[str] = None
    ) -> BinaryTypeInfo:
        """Decode *data_class*'s type into it, and record its metadata; returns the metadata."""
        self.classes[data_class.type_id] = data_class
        self.unregistered.pop((data_class.type_id, data_class.schema_id), None)
        return self.registry.register_class(data_class, affinity_key_field)

    def take_unregistered(self) -> List[GenericObjectMeta]:
        """Return and forget the classes written since the last call whose schema is unknown."""
        found = list(self.unregistered.values())
        self.unregistered.clear()
        return found


#: context used when none is given: compact footers, empty registry
DEFAULT_CONTEXT = CodecContext()
