"""Random INSERT/MERGE/UPDATE/DELETE through SQL and put/remove through the cache view agree with
a dict model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Tuple

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from txkv.ignite.server.sql import SqlEngine, SqlError

CACHE = "SQL_PUBLIC_MODEL"
Key = Tuple[int, str]
Value = Tuple[Decimal, str]

keys = st.tuples(st.integers(-3, 3), st.sampled_from(["x", "y", "zz"]))
values = st.tuples(
    st.decimals(min_value=-999999, max_value=999999, places=2, allow_nan=False,
                allow_infinity=False),
    st.text(max_size=4),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["insert", "merge", "put", "update"]), keys, values),
        st.tuples(st.sampled_from(["delete", "remove"]), keys, st.none()),
    ),
    max_size=25,
)


def apply(engine: SqlEngine, model: Dict[Key, Value], name: str, key: Key,
          value: Any) -> None:
    """Run one operation on the engine and the model, checking the engine's answer."""
    where = "ID = ? AND TAG = ?"
    if name == "insert":
        try:
            result = engine.execute("INSERT INTO Model (id, tag, amount, note) VALUES (?, ?, ?, ?)",
                                    [*key, *value])
        except SqlError as error:
            assert key in model and "Duplicate key" in error.message, error.message
        else:
            assert key not in model and result.rows == [[1]]
            model[key] = value
    elif name == "merge":
        result = engine.execute("MERGE INTO Model (id, tag, amount, note) VALUES (?, ?, ?, ?)",
                                [*key, *value])
        assert result.rows == [[1]]
        model[key] = value
    elif name == "update":
        result = engine.execute(f"UPDATE Model SET amount = ?, note = ? WHERE {where}",
                                [*value, *key])
        assert result.rows == [[1 if key in model else 0]]
        if key in model:
            model[key] = value
    elif name == "put":
        engine.put_row(CACHE, {"ID": key[0], "TAG": key[1]},
                       {"AMOUNT": value[0], "NOTE": value[1]})
        model[key] = value
    elif name == "delete":
        result = engine.execute(f"DELETE FROM Model WHERE {where}", list(key))
        assert result.rows == [[1 if key in model else 0]]
        model.pop(key, None)
    else:
        assert engine.remove_row(CACHE, {"ID": key[0], "TAG": key[1]}) == (key in model)
        model.pop(key, None)


class ModelTests(SynchronousTestCase):
    @settings(max_examples=60, deadline=None)
    @given(operations)
    def test_sql_and_cache_view_agree_with_a_dict(self, ops: List[Any]) -> None:
        engine = SqlEngine()
        try:
            engine.execute("CREATE TABLE Model (id INT, tag VARCHAR(2), amount DECIMAL(8, 2), "
                           "note VARCHAR, PRIMARY KEY (id, tag))")
            model: Dict[Key, Value] = {}
            for name, key, value in ops:
                if len(key[1]) > 2 and name in ("insert", "merge", "put"):
                    with self.assertRaises(SqlError):  # longer than VARCHAR(2)
                        apply(engine, model, name, key, value)
                    continue
                apply(engine, model, name, key, value)
            expected = [[k[0], k[1], v[0], v[1]] for k, v in sorted(model.items())]
            self.assertEqual(engine.execute("SELECT id, tag, amount, note FROM Model "
                                            "ORDER BY id, tag").rows, expected)
            self.assertEqual(
                [[k["ID"], k["TAG"], v["AMOUNT"], v["NOTE"]] for k, v in engine.scan_rows(CACHE)],
                expected)
            self.assertEqual(engine.count_rows(CACHE), len(model))
            for key, value in model.items():
                self.assertEqual(engine.get_row(CACHE, {"ID": key[0], "TAG": key[1]}),
                                 {"AMOUNT": value[0], "NOTE": value[1]})
        finally:
            engine.close()
