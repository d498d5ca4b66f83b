"""Complex-object classes (GenericObjectMeta), binary-type metadata, type hints and the Ignite
exception hierarchy."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from txkv import errors as base
from txkv.ignite import datatypes, errors
from txkv.ignite.binary import (
    BinaryRegistry,
    BinaryTypeInfo,
    GenericObjectMeta,
    class_name_for,
    is_binary,
    unwrap_binary,
)
from txkv.ignite.codec import CodecContext, entity_id, read_object, schema_id, write_object
from txkv.ignite.datatypes import (
    BinaryObject,
    BoolObject,
    CollectionObject,
    DateObject,
    DecimalObject,
    DoubleObject,
    IntArrayObject,
    IntObject,
    LongObject,
    String,
    WrappedDataObject,
)


def encode(value: Any, hint: Any = None, ctx: Any = None) -> bytes:
    buf = bytearray()
    write_object(buf, value, hint, ctx)
    return bytes(buf)


class Person(
    metaclass=GenericObjectMeta,
    schema=OrderedDict([("first_name", String), ("last_name", String), ("age", IntObject)]),
):
    def greeting(self) -> str:
        return f"Hi {self.first_name}"


# --- GenericObjectMeta --------------------------------------------------------------------------


def test_class_properties() -> None:
    assert Person.type_name == "Person"
    assert Person.type_id == entity_id("person")
    assert list(Person.schema) == ["first_name", "last_name", "age"]
    assert Person.schema_id == schema_id(entity_id(n) for n in Person.schema)
    person = Person(first_name="Ivan")
    assert (person.type_name, person.type_id, person.schema_id) == (
        Person.type_name, Person.type_id, Person.schema_id,
    )
    schema = person.schema
    schema["extra"] = String  # a copy: the class is unchanged
    assert "extra" not in Person.schema
    assert is_binary(person) and not is_binary(Person) and not is_binary(1)


def test_init_defaults_and_arguments() -> None:
    person = Person("Ivan", "Ivanov", 33)
    assert (person.first_name, person.last_name, person.age, person.version) == (
        "Ivan", "Ivanov", 33, 1,
    )
    empty = Person()
    assert (empty.first_name, empty.age, empty.version) == (None, 0, 1)
    assert Person(age=5, version=2).version == 2
    assert person.greeting() == "Hi Ivan"
    with pytest.raises(TypeError):
        Person(nickname="x")
    with pytest.raises(TypeError):
        Person("a", "b", 1, 1, "extra")
    with pytest.raises(TypeError):
        Person("a", first_name="b")


def test_mutable_defaults_are_not_shared() -> None:
    class Bag(metaclass=GenericObjectMeta, schema={"items": IntArrayObject, "d": DateObject}):
        pass

    one, two = Bag(), Bag()
    one.items.append(1)
    assert two.items == [] and one.d == datetime(1970, 1, 1)
    assert Bag.schema["d"] is DateObject and DecimalObject.default == Decimal("0.00")


def test_equality_repr_and_hash() -> None:
    assert Person("Ivan", "Ivanov", 33) == Person("Ivan", "Ivanov", 33)
    assert Person("Ivan", "Ivanov", 33) != Person("Ivan", "Ivanov", 34)
    assert Person("Ivan", version=1) != Person("Ivan", version=2)

    class Other(metaclass=GenericObjectMeta, type_name="Person", schema=Person.schema):
        pass

    assert Person("Ivan") != Other("Ivan")
    assert repr(Person("Ivan", "Ivanov", 33)) == (
        "Person(first_name='Ivan', last_name='Ivanov', age=33, version=1)"
    )
    with pytest.raises(TypeError):
        hash(Person())


def test_type_name_and_id_keywords() -> None:
    class Student(metaclass=GenericObjectMeta, type_name="SQL_PUBLIC_STUDENT_TYPE", schema={}):
        pass

    assert Student.type_name == "SQL_PUBLIC_STUDENT_TYPE"
    assert Student.type_id == entity_id("SQL_PUBLIC_STUDENT_TYPE")
    assert Student.schema_id == 0

    class Custom(metaclass=GenericObjectMeta, type_id=12345):
        pass

    assert Custom.type_id == 12345 and Custom.type_name == "Custom"


def test_bad_schema() -> None:
    with pytest.raises(errors.ParseError):
        GenericObjectMeta("Bad", (), {}, schema={"x": int})
    with pytest.raises(errors.ParseError):
        GenericObjectMeta("Bad", (), {}, schema={"x": 5})


@pytest.mark.parametrize(
    "type_name, expected",
    [
        ("Person", "Person"),
        ("org.apache.ignite.Person", "OrgApacheIgnitePerson"),
        ("Outer$Inner", "OuterInner"),
        ("Ns.Outer+Inner", "NsOuterInner"),
        ("SQL_PUBLIC_CITY_9ac8e17a_2f99_KEY", "SQL_PUBLIC_CITY_9ac8e17a_2f99_KEY"),
        ("1abc", "Abc"),
        ("a-b c", "Abc"),
        ("$$$", "BinaryType"),
    ],
)
def test_class_name_for(type_name: str, expected: str) -> None:
    assert class_name_for(type_name) == expected


def test_generated_class_keeps_the_type_name() -> None:
    registry_ctx = CodecContext()
    java = GenericObjectMeta(
        "X", (), {}, type_name="org.foo.Person", schema=OrderedDict([("id", LongObject)])
    )
    raw = encode(java(id=7), ctx=registry_ctx)
    registry_ctx.register_class(java)
    registry_ctx.classes.clear()
    value, _ = read_object(raw, 0, registry_ctx)
    assert type(value).__name__ == "OrgFooPerson"
    assert value.type_name == "org.foo.Person" and value.type_id == java.type_id
    assert encode(value, ctx=registry_ctx) == raw


# --- the seed's "Migrate" example ----------------------------------------------------------------


def test_migrate_example() -> None:
    class ExpenseVoucher(
        metaclass=GenericObjectMeta,
        schema=OrderedDict([
            ("date", DateObject),
            ("reported", BoolObject),
            ("purpose", String),
            ("sum", DecimalObject),
            ("recipient", String),
            ("cashier_id", LongObject),
        ]),
    ):
        pass

    client = CodecContext()
    old = ExpenseVoucher(
        date=datetime(2017, 9, 21), reported=True, purpose="Praesent eget fermentum massa",
        sum=Decimal("666.67"), recipient="John Doe", cashier_id=8,
    )
    stored = encode(old, ctx=client)
    client.register_class(ExpenseVoucher)

    # a second client that knows only the metadata
    reader = CodecContext()
    reader.registry.put(client.registry.get(ExpenseVoucher.type_id))  # type: ignore[arg-type]
    old_value, _ = read_object(stored, 0, reader)
    data_class = type(old_value)
    assert data_class.__name__ == "ExpenseVoucher" and old_value.date == datetime(2017, 9, 21)

    schema = data_class.schema
    schema["expense_date"] = schema["date"]
    del schema["date"]
    schema["report_date"] = DateObject
    del schema["reported"]
    schema["sum"] = DecimalObject

    class ExpenseVoucherV2(metaclass=GenericObjectMeta, type_name="ExpenseVoucher", schema=schema):
        pass

    new_value = ExpenseVoucherV2()
    new_value.sum = old_value.sum
    new_value.purpose = old_value.purpose
    new_value.recipient = old_value.recipient
    new_value.cashier_id = old_value.cashier_id
    new_value.expense_date = old_value.date
    new_value.report_date = date(2018, 8, 29) if old_value.reported else None
    raw = encode(new_value, ctx=reader)
    assert reader.take_unregistered() == [ExpenseVoucherV2]
    merged = reader.registry.register_class(ExpenseVoucherV2)
    assert set(merged.fields) == {
        "date", "reported", "purpose", "sum", "recipient", "cashier_id", "expense_date",
        "report_date",
    }
    assert len(merged.schemas) == 2
    verify, _ = read_object(raw, 0, reader)
    assert list(verify.schema) == ["purpose", "sum", "recipient", "cashier_id",
                                   "expense_date", "report_date"]
    assert verify.report_date == datetime(2018, 8, 29) and verify.sum == Decimal("666.67")
    # the old object still decodes with its own schema
    assert read_object(stored, 0, reader)[0].reported is True


# --- registry -----------------------------------------------------------------------------------


def test_registry_merge_rules() -> None:
    registry = BinaryRegistry()
    first = registry.register_class(Person, affinity_key_field="age")
    assert first.fields == {"first_name": 9, "last_name": 9, "age": 3}
    assert registry.has_schema(Person.type_id, Person.schema_id)
    assert not registry.has_schema(Person.type_id, 1) and not registry.has_schema(1, 1)
    assert Person.type_id in registry and len(registry) == 1

    class PersonV2(
        metaclass=GenericObjectMeta, type_name="Person",
        schema=OrderedDict([("first_name", String), ("email", String)]),
    ):
        pass

    merged = registry.register_class(PersonV2)
    assert list(merged.fields) == ["first_name", "last_name", "age", "email"]
    assert merged.affinity_key_field == "age"
    assert set(merged.schemas) == {Person.schema_id, PersonV2.schema_id}

    class Clash(metaclass=GenericObjectMeta, type_name="Person", schema={"age": LongObject}):
        pass

    with pytest.raises(errors.BinaryTypeError, match="age"):
        registry.register_class(Clash)
    with pytest.raises(errors.BinaryTypeError, match="affinity"):
        registry.register_class(Person, affinity_key_field="first_name")
    with pytest.raises(errors.BinaryTypeError, match="enum"):
        registry.put(BinaryTypeInfo.enum("Person", {"A": 1}))
    assert registry.get(Person.type_id) is not None
    assert registry.get(Person.type_id).fields["age"] == 3  # type: ignore[union-attr]


def test_registry_enums_and_dataclass_cache() -> None:
    registry = BinaryRegistry()
    registry.put(BinaryTypeInfo.enum("Color", {"RED": 0}))
    merged = registry.put(BinaryTypeInfo.enum("Color", {"GREEN": 1}))
    assert merged.enum_values == {"RED": 0, "GREEN": 1}
    with pytest.raises(errors.BinaryTypeError):
        registry.put(BinaryTypeInfo.enum("Color", {"RED": 5}))
    registry.register_class(Person)
    ids = [entity_id(n) for n in Person.schema]
    made = registry.dataclass(Person.type_id, Person.schema_id, ids)
    assert registry.dataclass(Person.type_id, Person.schema_id, ids) is made
    assert made.schema == Person.schema and made is not Person
    with pytest.raises(KeyError):
        registry.dataclass(Person.type_id, 1, [12345])
    assert [info.type_name for info in registry.types()] == ["Color", "Person"]


def test_info_keeps_input_unchanged() -> None:
    info = BinaryTypeInfo.from_class(Person)
    registry = BinaryRegistry()
    registry.put(info)
    registry.register_class(
        GenericObjectMeta("P", (), {}, type_name="Person", schema={"z": String})
    )
    assert "z" not in info.fields


# --- unwrap_binary ------------------------------------------------------------------------------


def test_unwrap_binary() -> None:
    ctx = CodecContext(classes={Person.type_id: Person})
    raw = encode(Person("A"), ctx=ctx)
    assert unwrap_binary((raw, 0), ctx) == Person("A")
    assert unwrap_binary((b"\x65" + raw, 1), ctx) == Person("A")
    assert unwrap_binary((CollectionObject.ARR_LIST, [(raw, 0), 5]), ctx) == (1, [Person("A"), 5])
    assert unwrap_binary((1, {"k": (raw, 0)}), ctx) == (1, {"k": Person("A")})
    assert unwrap_binary("plain") == "plain"
    wrapped = encode((b"\x65" + raw, 1), WrappedDataObject)
    assert read_object(wrapped, 0, ctx)[0] == Person("A")


def test_nested_complex_objects() -> None:
    class Address(metaclass=GenericObjectMeta, schema={"city": String}):
        pass

    class Customer(
        metaclass=GenericObjectMeta,
        schema=OrderedDict([("name", String), ("address", BinaryObject), ("score", DoubleObject)]),
    ):
        pass

    ctx = CodecContext()
    raw = encode(Customer("Ann", Address("Oslo"), 1.5), ctx=ctx)
    assert {cls.type_name for cls in ctx.take_unregistered()} == {"Address", "Customer"}
    ctx.register_class(Address)
    ctx.register_class(Customer)
    value, _ = read_object(raw, 0, ctx)
    assert value == Customer("Ann", Address("Oslo"), 1.5)
    # a BinaryObject field holding a plain value falls back to inference
    assert read_object(encode(Customer("B", "street", 0.0), ctx=ctx), 0, ctx)[0].address == "street"


# --- type hints ---------------------------------------------------------------------------------


def test_datatypes_module() -> None:
    for name in datatypes.__all__:
        assert hasattr(datatypes, name)
    assert datatypes.hint_for_type_code(3) is IntObject
    assert datatypes.hint_for_type_code(0x67) is BinaryObject
    assert datatypes.hint_for_type_code(0x23) is BinaryObject  # unknown: like pyignite
    assert datatypes.hint_for_type_code(0x1B) is BinaryObject  # read back unwrapped
    assert datatypes.MapObject.LINKED_HASH_MAP == 2 and datatypes.CollectionObject.USER_SET == -1
    assert datatypes.ObjectArrayObject.OBJECT == -1
    assert datatypes.TC_COMPLEX == 0x67 and datatypes.type_codes.TC_NULL == 0x65
    assert IntObject.type_name == "java.lang.Integer" and IntObject.type_code == 3
    assert datatypes.is_hint(String) and not datatypes.is_hint(str)


# --- exceptions ---------------------------------------------------------------------------------


def test_exception_hierarchy() -> None:
    cache_error = errors.CacheError("Cache does not exist [cacheId= 3387254]", code=1000)
    assert isinstance(cache_error, base.ServerError) and isinstance(cache_error, base.TxKVError)
    assert cache_error.code == 1000 and "3387254" in str(cache_error)
    for cls in (errors.BinaryTypeError, errors.CacheCreationError, errors.SQLError):
        assert issubclass(cls, errors.CacheError)
    assert issubclass(errors.ClusterError, base.ServerError)
    handshake = errors.HandshakeError((1, 2, 0), "Unsupported version: 1.7.0")
    assert handshake.expected_version == (1, 2, 0) and handshake.message.startswith("Unsupp")
    assert isinstance(handshake, base.HandshakeError) and isinstance(handshake, OSError)
    auth = errors.AuthenticationError("Unauthenticated sessions are prohibited.")
    assert isinstance(auth, base.AuthenticationError) and auth.message.startswith("Unauth")
    assert issubclass(errors.ParseError, base.ProtocolError)
    assert issubclass(errors.MissingSchemaError, errors.ParseError)
    assert issubclass(errors.ParameterError, base.ParameterError)
    assert issubclass(errors.SerializationError, base.SerializationError)
    assert issubclass(errors.SerializationError, errors.ParameterError)
    reconnect = errors.ReconnectError(errors={"a:1": ConnectionError("down")})
    assert isinstance(reconnect, base.ReconnectError) and "a:1" in str(reconnect)
    for cls in (errors.NotSupportedByClusterError, errors.NotSupportedError):
        assert issubclass(cls, base.TxKVError)
    assert errors.SocketError is base.ConnectionLostError
    with pytest.raises(base.TxKVError):
        raise errors.SQLError("bad sql")
