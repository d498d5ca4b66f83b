"""Every ``examples/ignite_*.py`` script runs (in a subprocess) and prints what it promises.

The scripts start their own embedded servers on free ports.  They are started all at once, the
first time any test here needs an output, so the whole set costs about as much as the slowest.
The expected lines are the values printed by the pyignite documentation's examples (seed 004),
adapted where txkv's output is documented to differ (noted next to the check).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

from twisted.trial.unittest import SynchronousTestCase

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TIMEOUT = 120.0

Outcome = Tuple[int, str, str]  # return code, stdout, stderr
_outcomes: Dict[str, Outcome] = {}


def example_names() -> List[str]:
    return sorted(p.stem for p in EXAMPLES.glob("ignite_*.py"))


def _run_all() -> None:
    """Start every example at once, then wait for each (at most TIMEOUT seconds overall)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    running = {
        name: subprocess.Popen(
            [sys.executable, str(EXAMPLES / f"{name}.py")],
            cwd=str(EXAMPLES), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for name in example_names()
    }
    for name, process in running.items():
        try:
            out, err = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            err += f"\n[killed after {TIMEOUT} s]"
        _outcomes[name] = (process.returncode, out, err)


def output_of(name: str) -> List[str]:
    """The stdout lines of ``examples/<name>.py``; fails when it did not exit with 0."""
    if not _outcomes:
        _run_all()
    code, out, err = _outcomes[name]
    if code != 0:
        raise AssertionError(f"{name}.py exited with {code}:\n{out}\n{err}")
    return out.splitlines()


def contains_in_order(lines: List[str], expected: List[str]) -> bool:
    """``expected`` appear in ``lines`` in this order (other lines may come between)."""
    position = 0
    for line in lines:
        if position < len(expected) and line == expected[position]:
            position += 1
    return position == len(expected)


TOP_10 = [
    "['Mumbai (Bombay)', 10500000]",
    "['Shanghai', 9696300]",
    "['New York', 8008278]",
    "['Peking', 7472000]",
    "['Delhi', 7206704]",
    "['Chongqing', 6351600]",
    "['Tianjin', 5286800]",
    "['Calcutta [Kolkata]', 4399819]",
    "['Wuhan', 4344600]",
    "['Harbin', 4289800]",
]

TOP_10_BY_COUNTRY = [
    "['India', 'Mumbai (Bombay)', 10500000]",
    "['China', 'Shanghai', 9696300]",
    "['United States', 'New York', 8008278]",
    "['China', 'Peking', 7472000]",
    "['India', 'Delhi', 7206704]",
    "['China', 'Chongqing', 6351600]",
    "['China', 'Tianjin', 5286800]",
    "['India', 'Calcutta [Kolkata]', 4399819]",
    "['China', 'Wuhan', 4344600]",
    "['China', 'Harbin', 4289800]",
]

CITY_INFO = [
    "City info:",
    "ID: 3802",
    "NAME: Detroit",
    "COUNTRYCODE: USA",
    "DISTRICT: Michigan",
    "POPULATION: 951270",
]


class ExampleTests(SynchronousTestCase):
    def assertLinesInOrder(self, name: str, expected: List[str]) -> List[str]:
        lines = output_of(name)
        self.assertTrue(contains_in_order(lines, expected),
                        f"{name}: expected, in order,\n{expected}\ngot\n{lines}")
        return lines

    def test_every_example_is_checked(self) -> None:
        checked = {n[len("test_"):] for n in dir(self) if n.startswith("test_ignite_")}
        self.assertEqual(set(example_names()), checked)

    def test_ignite_key_value(self) -> None:
        self.assertEqual(output_of("ignite_key_value"), ["42", "None", "{'my key': 42}"])

    def test_ignite_type_hints(self) -> None:
        self.assertEqual(output_of("ignite_type_hints"),
                         ["1", "2", "size after remove_keys: 1"])

    def test_ignite_scans(self) -> None:
        lines = output_of("ignite_scans")
        pairs = [f"key_{v} {v}" for v in range(20)]
        self.assertEqual(sorted(lines[:20]), sorted(pairs))
        self.assertEqual(ast.literal_eval(lines[20]), {f"key_{v}": v for v in range(20)})
        self.assertEqual(lines[21:], ["first entry is a pair: 2",
                                      "pushed 20 entries with 4 pauses"])

    def test_ignite_collections(self) -> None:
        lines = output_of("ignite_collections")
        self.assertEqual(lines[0], "(2, OrderedDict([(1, 'test'), ('key', 2.0)]))")
        self.assertEqual(ast.literal_eval(lines[1]), (1, {"key": 2.0, 1: "test"}))
        self.assertEqual(lines[2], "(2, [1, '2', 3.0])")
        kind, items = ast.literal_eval(lines[3])  # a HashSet: duplicates gone, any order
        self.assertEqual((kind, sorted(map(str, items))), (3, ["4", "5.6", "test"]))
        self.assertEqual(len(items), 3)
        self.assertEqual(lines[4], "(-1, [7, '8', 9.0])")

    def test_ignite_sql(self) -> None:
        self.assertLinesInOrder("ignite_sql", [
            "Most 10 populated cities:", *TOP_10,
            "Most 10 populated cities in USA, India and China:",
            "['COUNTRY_NAME', 'CITY_NAME', 'MAX_POP']", "-----", *TOP_10_BY_COUNTRY,
            *CITY_INFO,
            "caches left: []",
        ])

    def test_ignite_async_sql(self) -> None:
        self.assertLinesInOrder("ignite_async_sql", [
            "Most 10 populated cities:", *TOP_10, *CITY_INFO, "caches left: []",
        ])

    def test_ignite_binary_basics(self) -> None:
        self.assertEqual(output_of("ignite_binary_basics"), [
            "Person",
            "False",
            "Person(first_name='Ivan', last_name='Ivanov', age=33, version=1)",
            "Person(first_name='Petr', last_name='Petrov', age=42, version=1)",
            "True",
        ])

    def test_ignite_read_binary(self) -> None:
        lines = output_of("ignite_read_binary")
        self.assertEqual(ast.literal_eval(lines[0]),
                         ["SQL_PUBLIC_CITY", "SQL_PUBLIC_COUNTRY", "SQL_PUBLIC_COUNTRYLANGUAGE"])
        self.assertEqual(lines[1:3], ["SQL_PUBLIC_CITY", "CITY"])
        self.assertTrue(lines[3].endswith("_KEY"), lines[3])
        self.assertTrue(lines[4].startswith("SQL_PUBLIC_CITY"), lines[4])
        self.assertEqual(ast.literal_eval(lines[5]),
                         ["ID", "NAME", "COUNTRYCODE", "DISTRICT", "POPULATION"])
        self.assertEqual(lines[6:], [
            "True ['COUNTRYCODE', 'ID']",
            "['DISTRICT', 'NAME', 'POPULATION']",
            "Detroit Michigan 951270",
        ])

    def test_ignite_create_binary(self) -> None:
        lines = output_of("ignite_create_binary")
        self.assertEqual(lines[:2], ["['SID', 'NAME', 'LOGIN', 'AGE', 'GPA']",
                                     "[1, 'John Doe', 'jdoe', 17, 4.25]"])
        self.assertTrue(lines[2].startswith("DROP TABLE refused: "), lines[2])
        self.assertIn("DROP TABLE", lines[2][len("DROP TABLE refused: "):])
        self.assertEqual(lines[3:], ["caches left: []"])

    def test_ignite_migrate_binary(self) -> None:
        lines = output_of("ignite_migrate_binary")
        # the schema id of the seed's ExpenseVoucher (same field names, same order)
        self.assertEqual(lines[0], "{-231598180: 'ExpenseVoucher'}")
        old = [line for line in lines if line.startswith("ExpenseVoucher(")]
        new = [line for line in lines if line.startswith("ExpenseVoucherV2(")]
        self.assertEqual(sorted(old), [
            "ExpenseVoucher(date=datetime.datetime(2017, 10, 11, 0, 0), reported=False, "
            "purpose='Proin in bibendum nulla', sum=Decimal('333.33'), recipient='Jane Roe', "
            "cashier_id=9, version=1)",
            "ExpenseVoucher(date=datetime.datetime(2017, 9, 21, 0, 0), reported=True, "
            "purpose='Praesent eget fermentum massa', sum=Decimal('666.67'), "
            "recipient='John Doe', cashier_id=8, version=1)",
        ])
        reported = re.compile(
            r"ExpenseVoucherV2\(purpose='Praesent eget fermentum massa', "
            r"sum=Decimal\('666\.67'\), recipient='John Doe', cashier_id=8, "
            r"expense_date=datetime\.datetime\(2017, 9, 21, 0, 0\), "
            r"report_date=datetime\.datetime\(\d+, \d+, \d+, 0, 0\), version=1\)$")
        self.assertEqual(len(new), 2)
        self.assertEqual(sum(1 for line in new if reported.match(line)), 1, new)
        self.assertIn(
            "ExpenseVoucherV2(purpose='Proin in bibendum nulla', sum=Decimal('333.33'), "
            "recipient='Jane Roe', cashier_id=9, "
            "expense_date=datetime.datetime(2017, 10, 11, 0, 0), report_date=None, version=1)",
            new)
        self.assertEqual(lines[-1], "schemas of ExpenseVoucher: 2")

    def test_ignite_failover(self) -> None:
        lines = output_of("ignite_failover")
        self.assertEqual(lines[0], "Connected")
        errors = [line for line in lines if line.startswith("Error: ")]
        self.assertGreaterEqual(len(errors), 1, lines)
        values = [int(line.split(": ")[1]) for line in lines if line.startswith("Last value: ")]
        self.assertEqual(values, sorted(values))
        self.assertGreater(values[0], 0)
        self.assertTrue(lines[-2].startswith("ReconnectError: "), lines)
        self.assertTrue(lines[-1].startswith("Last value: "), lines)

    def test_ignite_tls(self) -> None:
        lines = output_of("ignite_tls")
        self.assertEqual(lines[0], "over TLS")
        self.assertTrue(lines[1].startswith("without a client certificate: "), lines)
        self.assertEqual(len(lines), 2)

    def test_ignite_auth(self) -> None:
        lines = output_of("ignite_auth")
        self.assertEqual(lines[0], "cache names: []")
        self.assertTrue(lines[1].startswith(
            "AuthenticationError: Unauthenticated sessions are prohibited."), lines)
        self.assertTrue(lines[2].startswith("AuthenticationError: "), lines)
        self.assertIn("incorrect", lines[2])

    def test_ignite_async_key_value(self) -> None:
        lines = output_of("ignite_async_key_value")
        self.assertEqual(lines[0], "value_10")
        self.assertEqual(ast.literal_eval(lines[1]), {f"key_{i}": f"value_{i}" for i in range(10)})
        self.assertEqual(sorted(lines[2:22]),
                         sorted(f"key = key_{i}, value = value_{i}" for i in range(20)))
        self.assertEqual(lines[22:], ["(20, True)"])

    def test_ignite_transactions(self) -> None:
        self.assertEqual(output_of("ignite_transactions"), ["success"] * 3)

    def test_ignite_expiry(self) -> None:
        self.assertEqual(output_of("ignite_expiry"), [
            "before: abc | gone soon",
            "after: None | None | here",
        ])

    def test_ignite_partition_awareness(self) -> None:
        lines = output_of("ignite_partition_awareness")
        counts = ast.literal_eval(lines[0].split(": ", 1)[1])
        self.assertEqual((len(counts), sum(counts)), (3, 300))
        self.assertEqual(lines[1:], ["every node served some: True | total: 300",
                                     "not partition aware, nodes used: 1"])
