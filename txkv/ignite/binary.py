"""Complex (binary) objects as Python classes, as in pyignite's ``pyignite.binary``.

:class:`GenericObjectMeta` builds classes whose instances are written as Ignite complex objects::

    class Person(metaclass=GenericObjectMeta, type_name='Person', schema=OrderedDict([
        ('first_name', String),
        ('last_name', String),
        ('age', IntObject),
    ])):
        pass

    Person(first_name='Ivan', last_name='Ivanov', age=33)
    # Person(first_name='Ivan', last_name='Ivanov', age=33, version=1)

Classes for types read from the cluster are generated on the fly from their metadata, named
after the type (``org.foo.Person`` -> ``OrgFooPerson``) while keeping the original ``type_name``.
"""

from __future__ import annotations

from .codec.generic import GenericObject, GenericObjectMeta, class_name_for, is_binary
from .codec.registry import BinaryRegistry, BinaryTypeInfo
from .codec.values import unwrap_binary

__all__ = [
    "GenericObjectMeta",
    "GenericObject",
    "is_binary",
    "class_name_for",
    "unwrap_binary",
    "BinaryRegistry",
    "BinaryTypeInfo",
]
