"""Seed 004's API (pyignite's documentation, sections 2.1-2.7) exists in :mod:`txkv.ignite`.

The seed's API lines are kept verbatim in ``seed_004_api.txt`` next to this file; this module
parses them and checks, for every entry:

* §2.1/§2.2 (``Client``/``AioClient``) and §2.3/§2.4 (``Cache``/``AioCache``): the method or
  property exists, and a method takes the seed's parameters under the seed's names, in the seed's
  positions, with the seed's defaults (documented deviations listed in ``DEFAULT_DEVIATIONS``);
* §2.5: every data-type class, in :mod:`txkv.ignite.datatypes`, writing the listed type code;
* §2.6: every ``PROP_*`` code in :mod:`txkv.ignite.prop_codes` with its ordinal, accepted by
  ``create_cache``/``get_or_create_cache`` and read back by ``settings()`` (OP_CACHE_GET_
  CONFIGURATION) from the embedded server;
* §2.7: every exception in :mod:`txkv.ignite.exceptions` (= :mod:`txkv.ignite.errors`), with the
  seed's base classes and constructor arguments.

It also checks that hints are accepted wherever the seed allows them (``key_hint``/``value_hint``
/``sample_hint`` parameters and ``(value, hint)`` tuples in key lists, pair dicts and SQL
arguments).
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

import txkv.ignite as ignite
from tests.ignite.client_support import MemoryClientCase
from txkv import errors as base_errors
from txkv.ignite import cache as cache_module
from txkv.ignite import datatypes, exceptions, prop_codes
from txkv.ignite.cache import Cache
from txkv.ignite.client import Client
from txkv.ignite.codec import ops
from txkv.ignite.datatypes import CharObject, IntObject, ShortObject, String

SEED = Path(__file__).with_name("seed_004_api.txt")

Param = Tuple[str, Any]  # (name, default or inspect.Parameter.empty)
Member = Tuple[str, Optional[List[Param]]]  # params None: a property

_EMPTY = inspect.Parameter.empty
_VARARGS = {"args", "kwargs"}

#: Defaults txkv changes on purpose (issue 3): partition awareness is on by default, and
#: cursors fetch sensible pages instead of one entry per round trip.
DEFAULT_DEVIATIONS: Dict[Tuple[str, str, str], Any] = {
    ("Client", "__init__", "partition_aware"): True,
    ("Cache", "scan", "page_size"): 1024,
    ("Cache", "select_row", "page_size"): 1024,
}

#: Type codes misprinted in the seed's §2.5 table: Ignite (and pyignite's ``type_codes``) use
#: 0x26 for a binary enum and 0x25 for a Time array.
TYPE_CODE_ERRATA = {"BinaryEnumObject": 0x26, "TimeArrayObject": 0x25}


def _unescape(text: str) -> str:
    return text.replace("\\_", "_").replace("\\*", "*")


def seed_sections() -> Dict[str, List[str]]:
    """``{"2.1": [lines], ...}`` of the seed excerpt."""
    sections: Dict[str, List[str]] = {}
    current: Optional[List[str]] = None
    for line in SEED.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^## (2\.\d(?:\.\d)?) ", line)
        if header:
            current = sections.setdefault(header.group(1), [])
        elif current is not None and line.strip():
            current.append(_unescape(line))
    return sections


def _split_top_level(text: str) -> List[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_params(text: str) -> List[Param]:
    """``[(name, default)]`` of a seed parameter list (emphasis and backticks removed)."""
    params: List[Param] = []
    for part in _split_top_level(text.replace("*", " ").replace("`", " ")):
        name_match = re.match(r"\s*(\w+)", part)
        assert name_match, part
        default: Any = _EMPTY
        before, eq, after = part.rpartition("=")
        if eq and "[" not in after:
            try:
                default = ast.literal_eval(after.strip())
            except (ValueError, SyntaxError):
                default = after.strip()
        params.append((name_match.group(1), default))
    return params


_CALL_BOLD = re.compile(r"^\*\*(\w+)\((.*)\)(?:\s*→.*?)?\*\*\s*$")  # **name(params) → ret**
_BOLD_CALL = re.compile(r"^\*\*(\w+)\*\*\s*\((.*)\)(?:\s*→.*)?$")  # **name** (params) → ret
_PROPERTY = re.compile(r"^(?:\*\*(\w+)\*\*|#{3,4} (\w+))\s*$")
_CODE_INIT = re.compile(r"^__init__\((.*)\)\s*$")
_MODULE_FUNC = re.compile(r"^`pyignite\.(\w+)\.(\w+) \((.*)\)\s*→.*`$")


def seed_members(lines: List[str]) -> List[Member]:
    members: List[Member] = []
    for line in lines:
        for pattern in (_CALL_BOLD, _BOLD_CALL):
            found = pattern.match(line)
            if found:
                members.append((found.group(1), parse_params(found.group(2))))
                break
        else:
            prop = _PROPERTY.match(line)
            init = _CODE_INIT.match(line)
            if prop:
                members.append((prop.group(1) or prop.group(2), None))
            elif init:
                members.append(("__init__", parse_params(init.group(1))))
    return members


def seed_module_functions(lines: List[str]) -> List[Tuple[str, List[Param]]]:
    return [(m.group(2), parse_params(m.group(3)))
            for m in map(_MODULE_FUNC.match, lines) if m]


SECTIONS = seed_sections()
API: List[Tuple[str, str, type, str, Optional[List[Param]]]] = [
    (section, seed_class, ours, name, params)
    for section, seed_class, ours in (("2.1", "Client", Client), ("2.2", "AioClient", Client),
                                      ("2.3", "Cache", Cache), ("2.4", "AioCache", Cache))
    for name, params in seed_members(SECTIONS[section])
]
DATA_TYPES = [(row.split("\t")[-1].strip(), int(row.split("\t")[0], 16))
              for row in SECTIONS["2.5"] if re.match(r"^0x[0-9a-f]{2}\t", row)]
PROPERTIES = [(row.split("\t")[0], int(row.split("\t")[1]), row.split("\t")[2])
              for row in SECTIONS["2.6"] if row.startswith("PROP_")]
_EXCEPTION = re.compile(r"^\*\*exception\*\* `pyignite\.exceptions\.(\w+)`\s*(?:\((.*)\))?")
_BASES = re.compile(r"^Bases: `(?:pyignite\.exceptions\.)?(\w+)`")


def seed_exceptions() -> List[Tuple[str, str, List[Param]]]:
    """``[(name, base name, constructor params)]`` of §2.7."""
    found: List[Tuple[str, str, List[Param]]] = []
    name: Optional[str] = None
    params: List[Param] = []
    for line in SECTIONS["2.7"]:
        exc = _EXCEPTION.match(line)
        bases = _BASES.match(line)
        if exc:
            name, params = exc.group(1), parse_params(exc.group(2) or "")
        elif bases and name is not None:
            found.append((name, bases.group(1), params))
            name = None
    return found


EXCEPTIONS = seed_exceptions()


def test_the_excerpt_was_parsed() -> None:
    """Guard against a parser that silently finds nothing."""
    names = {(cls, name) for _s, cls, _o, name, _p in API}
    assert len(API) == 95
    for expected in [("Client", "sql"), ("Client", "get_or_create_cache"),
                     ("AioClient", "register_binary_type"), ("Cache", "replace_if_equals"),
                     ("Cache", "scan"), ("Cache", "select_row"), ("AioCache", "settings"),
                     ("Client", "random_node"), ("Cache", "cache_id")]:
        assert expected in names
    assert len(DATA_TYPES) == 37
    assert len(PROPERTIES) == 30
    assert len(EXCEPTIONS) == 11


def test_aio_names_are_the_deferred_classes() -> None:
    assert ignite.AioClient is Client and ignite.Client is Client
    assert ignite.AioCache is Cache and ignite.Cache is Cache


def _our_params(func: Any) -> List[inspect.Parameter]:
    params = list(inspect.signature(func).parameters.values())
    return params[1:] if params and params[0].name in ("self", "cls") else params


@pytest.mark.parametrize(
    "section,seed_class,ours,name,params", API,
    ids=[f"{s}-{c}.{n}" for s, c, _o, n, _p in API])
def test_member(section: str, seed_class: str, ours: type, name: str,
                params: Optional[List[Param]]) -> None:
    assert hasattr(ours, name), f"{ours.__name__} lacks {name} (seed §{section})"
    if params is None:
        return  # a property in the seed: an attribute (property or method) is enough
    member = getattr(ours, name)
    assert callable(member), f"{ours.__name__}.{name} must be a method (seed §{section})"
    theirs = [p for p in params if p[0] not in _VARARGS]
    mine = _our_params(member)
    by_name = {p.name: p for p in mine}
    positional = [p.name for p in mine if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional[:len(theirs)] == [n for n, _d in theirs], (
        f"{ours.__name__}.{name}{inspect.signature(member)} does not take the seed's "
        f"parameters {[n for n, _d in theirs]} in that order")
    if any(n == "args" for n, _d in params) and name != "__init__":
        assert any(p.kind == p.VAR_POSITIONAL for p in mine), f"{name} must take *args"
    for param_name, default in theirs:
        ours_default = by_name[param_name].default
        key = (ours.__name__, name, param_name)
        if key in DEFAULT_DEVIATIONS:
            assert ours_default == DEFAULT_DEVIATIONS[key]
        elif default is _EMPTY:
            assert ours_default is _EMPTY, f"{name}({param_name}) must be required"
        else:
            assert ours_default == default, (
                f"{ours.__name__}.{name}: {param_name} defaults to {ours_default!r}, "
                f"the seed says {default!r}")


@pytest.mark.parametrize("name,params", seed_module_functions(SECTIONS["2.3"]))
def test_module_level_cache_functions(name: str, params: List[Param]) -> None:
    func = getattr(cache_module, name)
    assert [p.name for p in _our_params(func)] == [n for n, _d in params]


def test_sql_parameters_in_full() -> None:
    """Client.sql: every parameter of the seed, same order and defaults (page size 1024)."""
    [(_, sql_params)] = [(n, p) for s, c, _o, n, p in API if c == "Client" and n == "sql"]
    assert sql_params is not None and len(sql_params) == 15
    signature = inspect.signature(Client.sql)
    assert list(signature.parameters)[1:] == [n for n, _d in sql_params]
    assert signature.parameters["statement_type"].default == ops.StatementType.ANY == 0


@pytest.mark.parametrize("name,type_code", DATA_TYPES, ids=[n for n, _c in DATA_TYPES])
def test_data_type(name: str, type_code: int) -> None:
    hint = getattr(datatypes, name)
    assert name in datatypes.__all__
    assert hint.type_code == TYPE_CODE_ERRATA.get(name, type_code)


@pytest.mark.parametrize("name,ordinal,kind", PROPERTIES, ids=[n for n, _o, _k in PROPERTIES])
def test_property_code(name: str, ordinal: int, kind: str) -> None:
    assert getattr(prop_codes, name) == ordinal
    assert name in prop_codes.__all__


@pytest.mark.parametrize("name,base,params", EXCEPTIONS, ids=[n for n, _b, _p in EXCEPTIONS])
def test_exception(name: str, base: str, params: List[Param]) -> None:
    cls = getattr(exceptions, name)
    assert cls is getattr(ignite.errors, name) is getattr(ignite, name)
    builtin = {"Exception": Exception, "OSError": OSError}
    assert issubclass(cls, builtin[base] if base in builtin else getattr(exceptions, base))
    assert issubclass(cls, base_errors.TxKVError)
    args = {"expected_version": (1, 7, 0), "message": "boom"}
    error = cls(*[args[n] for n, _d in params]) if params else cls("boom")
    assert "boom" in str(error)
    if name == "HandshakeError":
        assert error.expected_version == (1, 7, 0)


#: A value of every §2.6 property that the embedded server must keep as given.
PROPERTY_VALUES: Dict[str, Any] = {
    "PROP_NAME": "seed settings",
    "PROP_CACHE_MODE": ops.CacheMode.REPLICATED,
    "PROP_CACHE_ATOMICITY_MODE": ops.CacheAtomicityMode.TRANSACTIONAL,
    "PROP_BACKUPS_NUMBER": 2,
    "PROP_WRITE_SYNCHRONIZATION_MODE": ops.WriteSynchronizationMode.FULL_SYNC,
    "PROP_COPY_ON_READ": False,
    "PROP_READ_FROM_BACKUP": False,
    "PROP_DATA_REGION_NAME": "region",
    "PROP_IS_ONHEAP_CACHE_ENABLED": True,
    "PROP_QUERY_ENTITIES": [{
        "table_name": "SEED_PERSON", "key_field_name": None, "key_type_name": "java.lang.Long",
        "value_field_name": None, "value_type_name": "SeedPerson",
        "field_name_aliases": [{"field_name": "NAME", "alias": "N"}],
        "query_fields": [
            {"name": "NAME", "type_name": "java.lang.String", "is_key_field": False,
             "is_notnull_constraint_field": True, "default_value": "anon", "precision": 20,
             "scale": -1},
            {"name": "SCORE", "type_name": "java.math.BigDecimal", "is_key_field": False,
             "is_notnull_constraint_field": False, "default_value": None, "precision": 10,
             "scale": 2},
        ],
        "query_indexes": [{"index_name": "NAME_IDX", "index_type": ops.IndexType.SORTED,
                           "inline_size": -1,
                           "fields": [{"name": "NAME", "is_descending": True}]}],
    }],
    "PROP_QUERY_PARALLELISM": 4,
    "PROP_QUERY_DETAIL_METRIC_SIZE": 10,
    "PROP_SQL_SCHEMA": "SEED",
    "PROP_SQL_INDEX_INLINE_MAX_SIZE": 64,
    "PROP_SQL_ESCAPE_ALL": True,
    "PROP_MAX_QUERY_ITERATORS": 7,
    "PROP_REBALANCE_MODE": ops.RebalanceMode.SYNC,
    "PROP_REBALANCE_DELAY": 5,
    "PROP_REBALANCE_TIMEOUT": 6000,
    "PROP_REBALANCE_BATCH_SIZE": 1024,
    "PROP_REBALANCE_BATCHES_PREFETCH_COUNT": 9,
    "PROP_REBALANCE_ORDER": 3,
    "PROP_REBALANCE_THROTTLE": 11,
    "PROP_GROUP_NAME": "group",
    "PROP_CACHE_KEY_CONFIGURATION": [{"type_name": "SeedKey",
                                      "affinity_key_field_name": "region"}],
    "PROP_DEFAULT_LOCK_TIMEOUT": 250,
    "PROP_MAX_CONCURRENT_ASYNC_OPERATIONS": 99,
    "PROP_PARTITION_LOSS_POLICY": ops.PartitionLossPolicy.READ_WRITE_SAFE,
    "PROP_EAGER_TTL": False,
    "PROP_STATISTICS_ENABLED": True,
}

_PY_TYPES = {"str": str, "int": int, "bool": bool, "list": list}


def test_property_values_cover_the_seed() -> None:
    assert sorted(PROPERTY_VALUES) == sorted(name for name, _o, _k in PROPERTIES)
    for name, _ordinal, kind in PROPERTIES:
        assert isinstance(PROPERTY_VALUES[name], _PY_TYPES[kind]), name


class SeedSettingsRoundTrip(MemoryClientCase):
    """Every §2.6 property goes to the embedded server and comes back from settings()."""

    def check(self, settings: Dict[int, Any], cache: Cache) -> None:
        fresh = self.client.get_cache(cache.name)  # no cached settings: asks the server
        stored = self.wait(fresh.settings())
        for code, value in settings.items():
            self.assertEqual(stored[code], value, f"property {ops.PROP_NAMES.get(code, code)}")

    def test_create_cache_with_every_property(self) -> None:
        settings = {getattr(prop_codes, name): value for name, value in PROPERTY_VALUES.items()}
        cache = self.wait(self.client.create_cache(settings))
        self.assertEqual(cache.name, "seed settings")
        self.check(settings, cache)

    def test_get_or_create_cache_with_each_property(self) -> None:
        for name, value in PROPERTY_VALUES.items():
            if name == "PROP_NAME":
                continue
            settings = {prop_codes.PROP_NAME: f"one {name}", getattr(prop_codes, name): value}
            cache = self.wait(self.client.get_or_create_cache(settings))
            self.check(settings, cache)
            again = self.wait(self.client.get_or_create_cache(settings))  # exists: no error
            self.assertEqual(again.cache_id, cache.cache_id)


class SeedHintsTests(MemoryClientCase):
    """Hints wherever the seed allows them: ``key_hint``/``value_hint``/``sample_hint`` and
    ``(value, hint)`` tuples in key lists, pair dicts and SQL arguments."""

    def setUp(self) -> None:
        super().setUp()
        self.cache: Cache = self.wait(self.client.get_or_create_cache("hints"))
        # 'a' as a String key and 'a' as a Char key are two entries (seed §3.1.6).
        self.wait(self.cache.put("a", 1))
        self.wait(self.cache.put("a", 2, key_hint=CharObject, value_hint=ShortObject))

    def test_single_key_hints(self) -> None:
        c = self.cache
        self.assertEqual(self.wait(c.get("a", key_hint=CharObject)), 2)
        self.assertEqual(self.wait(c.get_and_put("a", 3, key_hint=CharObject,
                                                 value_hint=IntObject)), 2)
        self.assertTrue(self.wait(c.replace_if_equals("a", 3, 4, key_hint=CharObject,
                                                      sample_hint=IntObject,
                                                      value_hint=IntObject)))
        self.assertFalse(self.wait(c.remove_if_equals("a", 4, key_hint=CharObject,
                                                      sample_hint=ShortObject)))
        self.assertTrue(self.wait(c.remove_if_equals("a", 4, key_hint=CharObject,
                                                     sample_hint=IntObject)))
        self.assertEqual(self.wait(c.get("a")), 1)  # the String key was never touched

    def test_tuples_in_key_lists(self) -> None:
        c = self.cache
        self.assertEqual(self.wait(c.get_all([("a", CharObject)])), {"a": 2})
        self.assertTrue(self.wait(c.contains_keys([("a", CharObject), ("a", String)])))
        self.wait(c.remove_keys([("a", CharObject)]))
        self.assertFalse(self.wait(c.contains_key("a", key_hint=CharObject)))
        self.assertEqual(self.wait(c.get("a")), 1)
        self.wait(c.put("b", 5, key_hint=CharObject))
        self.wait(c.clear_keys([("b", CharObject)]))
        self.assertFalse(self.wait(c.contains_key("b", key_hint=CharObject)))
        self.wait(c.put("b", 6, key_hint=CharObject))
        self.wait(c.clear([("b", CharObject)]))
        self.assertFalse(self.wait(c.contains_key("b", key_hint=CharObject)))
        self.assertEqual(self.wait(c.get_size()), 1)

    def test_tuples_in_pairs(self) -> None:
        c = self.cache
        self.wait(c.put_all({("k", CharObject): (7, ShortObject), "k": (8, IntObject)}))
        self.assertEqual(self.wait(c.get("k", key_hint=CharObject)), 7)
        self.assertEqual(self.wait(c.get("k")), 8)

    def test_tuples_in_sql_arguments(self) -> None:
        """``query_args`` items may be ``(value, hint)``: the request carries the hinted types
        (checked on the encoded frame, independently of the server's SQL engine)."""
        from txkv.ignite.codec import messages as m

        cursor = self.client.sql("SELECT ?, ?, ?",
                                 query_args=[(42, ShortObject), ("x", CharObject), 42])
        query = cursor._pager._query_args
        proto = ops.ProtocolContext((1, 7, 0))
        frame = m.encode_request(1, ops.OP_QUERY_SQL_FIELDS, query, proto)
        decoded = m.decode_request(bytes(frame[4:]), proto)
        type_codes = [bytes(arg)[0] for arg in decoded.args.args]
        self.assertEqual(type_codes, [ShortObject.type_code, CharObject.type_code, 0x04])
        cursor.close()
