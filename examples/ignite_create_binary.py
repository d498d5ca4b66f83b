"""Creating an SQL table with the key-value API (pyignite docs 3.4.2).

A cache created with query entities is an SQL table; rows put as complex objects are visible
to SQL.

``python examples/ignite_create_binary.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from _ignite_support import run

from txkv.ignite import Client, GenericObject, GenericObjectMeta
from txkv.ignite.datatypes import DoubleObject, IntObject, String
from txkv.ignite.errors import SQLError
from txkv.ignite.prop_codes import PROP_NAME, PROP_QUERY_ENTITIES, PROP_SQL_SCHEMA
from txkv.ignite.server import start_server

# [settings]
STUDENT_CACHE_SETTINGS = {
    PROP_NAME: 'SQL_PUBLIC_STUDENT',
    PROP_SQL_SCHEMA: 'PUBLIC',
    PROP_QUERY_ENTITIES: [
        {
            'table_name': 'Student'.upper(),
            'key_field_name': 'SID',
            'key_type_name': 'java.lang.Integer',
            'field_name_aliases': [],
            'query_fields': [
                {
                    'name': 'SID',
                    'type_name': 'java.lang.Integer',
                    'is_key_field': True,
                    'is_notnull_constraint_field': True,
                },
                {
                    'name': 'NAME',
                    'type_name': 'java.lang.String',
                },
                {
                    'name': 'LOGIN',
                    'type_name': 'java.lang.String',
                },
                {
                    'name': 'AGE',
                    'type_name': 'java.lang.Integer',
                },
                {
                    'name': 'GPA',
                    'type_name': 'java.math.Double',
                },
            ],
            'query_indexes': [],
            'value_type_name': 'SQL_PUBLIC_STUDENT_TYPE',
            'value_field_name': None,
        },
    ],
}
# [/settings]


# [data_class]
class Student(
    GenericObject,
    metaclass=GenericObjectMeta,
    type_name='SQL_PUBLIC_STUDENT_TYPE',
    schema=OrderedDict([
        ('NAME', String),
        ('LOGIN', String),
        ('AGE', IntObject),
        ('GPA', DoubleObject),
    ])
):
    pass
# [/data_class]


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        # [create]
        student_cache = await client.create_cache(STUDENT_CACHE_SETTINGS)
        # [/create]

        # [insert]
        await student_cache.put(
            1,
            Student(LOGIN='jdoe', NAME='John Doe', AGE=17, GPA=4.25),
            key_hint=IntObject,
        )
        # [/insert]

        # [query]
        async with client.sql(r'SELECT * FROM Student', include_field_names=True) as cursor:
            print(await cursor.get_next())
            # ['SID', 'NAME', 'LOGIN', 'AGE', 'GPA']

            print(*await cursor.collect())
            # [1, 'John Doe', 'jdoe', 17, 4.25]
        # [/query]

        # [drop]
        try:
            await client.sql('DROP TABLE Student')
        except SQLError as e:
            print('DROP TABLE refused:', e)
            # only caches created with CREATE TABLE may be dropped with DROP TABLE

        await student_cache.destroy()
        # [/drop]
        print('caches left:', await client.get_cache_names())  # []
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
