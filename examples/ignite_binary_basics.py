"""Complex (binary) objects (pyignite docs 3.4): GenericObjectMeta classes.

A class built with :class:`~txkv.ignite.binary.GenericObjectMeta` is written as an Ignite
complex object; reading one whose class the client does not know generates a class from the
type's metadata held by the cluster.

``python examples/ignite_binary_basics.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from _ignite_support import run

from txkv.ignite import Client, GenericObject, GenericObjectMeta
from txkv.ignite.datatypes import IntObject, String
from txkv.ignite.server import start_server


# [define]
class Person(GenericObject, metaclass=GenericObjectMeta, schema=OrderedDict([
    ('first_name', String),
    ('last_name', String),
    ('age', IntObject),
])):
    pass
# [/define]


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    writer = Client()
    await writer.connect(server.addresses)
    reader = Client()  # a second client, which has never seen the Person class
    await reader.connect(server.addresses)
    try:
        # [write]
        person_cache = await writer.get_or_create_cache('person')
        await person_cache.put(1, Person(first_name='Ivan', last_name='Ivanov', age=33))
        # [/write]

        # [read]
        person_cache = await reader.get_or_create_cache('person')
        person = await person_cache.get(1)
        print(person.__class__.__name__)
        # Person

        print(person.__class__ is Person)
        # False: the reader generated its own class from the cluster's metadata

        print(person)
        # Person(first_name='Ivan', last_name='Ivanov', age=33, version=1)
        # [/read]

        # [reuse]
        GeneratedPerson = person.__class__
        await person_cache.put(2, GeneratedPerson(first_name='Petr', last_name='Petrov', age=42))
        print(await person_cache.get(2))
        # Person(first_name='Petr', last_name='Petrov', age=42, version=1)
        # [/reuse]

        # [register]
        await reader.register_binary_type(Person)
        person = await person_cache.get(1)
        print(person.__class__ is Person)
        # True: reads now use the registered class
        # [/register]

        await person_cache.destroy()
    finally:
        await reader.close()
        await writer.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
