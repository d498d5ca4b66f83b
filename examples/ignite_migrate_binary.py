"""Migrating complex objects to a new schema (pyignite docs 3.4.3).

Rename a field, add one, drop one: build a class with the new schema from the type the cluster
knows (``query_binary_type``), then rewrite every entry while scanning the cache.

``python examples/ignite_migrate_binary.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from _ignite_support import run

from txkv.ignite import Cache, Client, GenericObject, GenericObjectMeta
from txkv.ignite.datatypes import BoolObject, DateObject, DecimalObject, LongObject, String
from txkv.ignite.server import start_server


class ExpenseVoucher(GenericObject, metaclass=GenericObjectMeta, schema=OrderedDict([
    ('date', DateObject),
    ('reported', BoolObject),
    ('purpose', String),
    ('sum', DecimalObject),
    ('recipient', String),
    ('cashier_id', LongObject),
])):
    pass


OLD_DATA = [
    (1, ExpenseVoucher(date=datetime(2017, 9, 21), reported=True,
                       purpose='Praesent eget fermentum massa', sum=Decimal('666.67'),
                       recipient='John Doe', cashier_id=8)),
    (2, ExpenseVoucher(date=datetime(2017, 10, 11), reported=False,
                       purpose='Proin in bibendum nulla', sum=Decimal('333.33'),
                       recipient='Jane Roe', cashier_id=9)),
]


async def migrate(cache: Cache, data: Any, new_class: type) -> None:
    """Rewrite every (key, old value) of ``data`` as a ``new_class`` object."""
    # [migrate]
    async for key, old_value in data:
        # read data
        print(old_value)
        # ExpenseVoucher(date=datetime.datetime(2017, 9, 21, 0, 0), reported=True, ...)

        # create new binary object
        new_value = new_class()

        # process data
        new_value.sum = old_value.sum
        new_value.purpose = old_value.purpose
        new_value.recipient = old_value.recipient
        new_value.cashier_id = old_value.cashier_id
        new_value.expense_date = old_value.date
        new_value.report_date = date.today() if old_value.reported else None

        # replace data
        await cache.put(key, new_value)

        # verify data
        verify = await cache.get(key)
        print(verify)
        # ExpenseVoucherV2(purpose='Praesent eget fermentum massa', sum=Decimal('666.67'), ...)
    # [/migrate]


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    old_client = Client()  # the application writing the original vouchers
    await old_client.connect(server.addresses)
    client = Client()  # the migration tool, which knows no classes
    await client.connect(server.addresses)
    try:
        old_accounting = await old_client.get_or_create_cache('accounting')
        await old_accounting.put_all(dict(OLD_DATA))

        accounting = await client.get_or_create_cache('accounting')

        # [query_type]
        data_classes = await client.query_binary_type('ExpenseVoucher')
        print({s_id: cls.__name__ for s_id, cls in data_classes.items()})
        # {-231598180: 'ExpenseVoucher'}
        # [/query_type]

        # [new_schema]
        s_id, data_class = data_classes.popitem()
        schema = data_class.schema

        schema['expense_date'] = schema['date']
        del schema['date']
        schema['report_date'] = DateObject
        del schema['reported']
        schema['sum'] = DecimalObject

        # define new data class
        class ExpenseVoucherV2(
            GenericObject,
            metaclass=GenericObjectMeta,
            type_name='ExpenseVoucher',
            schema=schema,
        ):
            pass
        # [/new_schema]

        # [run]
        async with accounting.scan() as cursor:
            await migrate(accounting, cursor, ExpenseVoucherV2)
        # [/run]

        schemas = await client.query_binary_type('ExpenseVoucher')
        print('schemas of ExpenseVoucher:', len(schemas))  # 2: both stay in the cluster
        await accounting.destroy()
    finally:
        await client.close()
        await old_client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
