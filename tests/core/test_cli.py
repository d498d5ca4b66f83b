"""The ``txkv`` command, twistd drop-ins, and import-time hygiene."""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from twisted.application.service import IServiceMaker
from twisted.plugin import getPlugins
from twisted.trial.unittest import SynchronousTestCase

import txkv
from txkv.cli import build_parser, main


class CommandTests(SynchronousTestCase):
    def test_version(self) -> None:
        out = subprocess.run(
            [sys.executable, "-m", "txkv", "version"], capture_output=True, text=True, check=True
        )
        self.assertEqual(out.stdout.strip(), f"txkv {txkv.__version__}")

    def test_no_command_prints_help_and_fails(self) -> None:
        self.assertEqual(main([]), 2)

    def test_subcommands_listed(self) -> None:
        help_text = build_parser().format_help()
        for name in ("demo", "serve", "version"):
            self.assertIn(name, help_text)

    def test_unknown_demo_rejected(self) -> None:
        self.assertRaises(SystemExit, build_parser().parse_args, ["demo", "no-such-store"])


class PluginTests(SynchronousTestCase):
    def test_twistd_lists_txkv_plugins(self) -> None:
        names = {p.tapname for p in getPlugins(IServiceMaker)}
        self.assertTrue({"txkv", "txkv-ignite", "txkv-kt", "txkv-tt"} <= names, names)

    def test_twistd_help_subprocess(self) -> None:
        out = subprocess.run(
            [sys.executable, "-m", "twisted", "--help"], capture_output=True, text=True
        )
        self.assertIn("txkv-ignite", out.stdout)

    def test_dropins_are_lazy(self) -> None:
        for maker in getPlugins(IServiceMaker):
            if maker.tapname.startswith("txkv"):
                self.assertTrue(maker.module.startswith("txkv.tap."), maker.module)


_ROOT = Path(__file__).resolve().parents[2]


class PackagingTests(SynchronousTestCase):
    """The packaging points of issue 2, checked on the project's own files."""

    def setUp(self) -> None:
        self.setup_cfg = configparser.ConfigParser()
        self.setup_cfg.read(_ROOT / "setup.cfg")

    def test_pyproject_has_only_the_build_system_table(self) -> None:
        text = (_ROOT / "pyproject.toml").read_text()
        tables = [line.strip() for line in text.splitlines() if line.lstrip().startswith("[")]
        self.assertEqual(tables, ["[build-system]"])
        self.assertIn("build-backend", text)

    def test_core_requirements(self) -> None:
        requires = self.setup_cfg["options"]["install_requires"]
        for name in ("twisted", "service-identity", "pyopenssl", "msgpack", "treq"):
            self.assertIn(name, requires)
        extras = self.setup_cfg["options.extras_require"]
        self.assertTrue({"test", "docs"} <= set(extras), list(extras))

    def test_typed_marker_and_plugins_are_package_data(self) -> None:
        self.assertTrue((_ROOT / "txkv" / "py.typed").is_file())
        data = self.setup_cfg["options.package_data"]
        self.assertIn("py.typed", data["txkv"])
        self.assertIn("txkv_plugins.py", data["twisted.plugins"])
        self.assertIn("twisted.plugins", self.setup_cfg["options.packages.find"]["include"])
        # twisted/ and twisted/plugins/ must stay namespace directories (no __init__.py)
        self.assertFalse((_ROOT / "twisted" / "__init__.py").exists())
        self.assertFalse((_ROOT / "twisted" / "plugins" / "__init__.py").exists())

    def test_console_script(self) -> None:
        scripts = self.setup_cfg["options.entry_points"]["console_scripts"]
        self.assertEqual([line.strip() for line in scripts.strip().splitlines()],
                         ["txkv = txkv.cli:main"])
        installed = [ep for ep in entry_points(group="console_scripts") if ep.name == "txkv"]
        self.assertEqual([ep.value for ep in installed], ["txkv.cli:main"])
        self.assertIs(installed[0].load(), main)

    def test_ci_script_runs_the_readme_test_command(self) -> None:
        readme = (_ROOT / "README.md").read_text()
        ci = (_ROOT / ".ci" / "run").read_text()
        commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv")]
        self.assertEqual(len(commands), 2, "README must give exactly two commands")
        self.assertIn(commands[1], ci)
        for step in ("ruff check", "mypy txkv", "sphinx-build", "-W"):
            self.assertIn(step, ci)


_IMPORT_EVERYTHING = """
import importlib, json, logging, pkgutil, sys, warnings
from twisted.logger import globalLogBeginner, globalLogPublisher

observers = list(globalLogPublisher._observers)
handlers = list(logging.getLogger().handlers)
level = logging.getLogger().level
filters = list(warnings.filters)
import txkv
names = [i.name for i in pkgutil.walk_packages(txkv.__path__, "txkv.")
         if not i.name.endswith("__main__")]
names.append("twisted.plugins.txkv_plugins")
failed = []
for name in names:
    try:
        importlib.import_module(name)
    except ImportError as e:
        failed.append(f"{name}: {e}")
print(json.dumps({
    "modules": len(names),
    "failed": failed,
    "observers_added": len(globalLogPublisher._observers) - len(observers),
    "logging_began": globalLogBeginner._temporaryObserver is None,
    "root_handlers_changed": logging.getLogger().handlers != handlers,
    "root_level_changed": logging.getLogger().level != level,
    "warning_filters_changed": warnings.filters != filters,
    "reactor_installed": "twisted.internet.reactor" in sys.modules,
}))
"""


class ImportHygieneTests(SynchronousTestCase):
    def test_importing_every_module_configures_nothing(self) -> None:
        """In a fresh interpreter (earlier imports cannot hide anything): importing every txkv
        module and the twistd drop-ins adds no log observer, starts no logging, touches neither
        the stdlib logging root nor the warning filters, installs no reactor and prints nothing."""
        out = subprocess.run([sys.executable, "-c", _IMPORT_EVERYTHING],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.strip().splitlines()
        self.assertEqual(len(lines), 1, out.stdout)  # nothing else printed at import
        self.assertEqual(out.stderr, "")
        report = json.loads(lines[0])
        self.assertGreater(report.pop("modules"), 20)
        self.assertEqual(report, {
            "failed": [],
            "observers_added": 0,
            "logging_began": False,
            "root_handlers_changed": False,
            "root_level_changed": False,
            "warning_filters_changed": False,
            "reactor_installed": False,
        })


class TestLayoutTests(SynchronousTestCase):
    def test_test_module_basenames_are_unique(self) -> None:
        # tests/ has no __init__.py files: pytest imports test modules by basename.
        import collections
        import pathlib

        root = pathlib.Path(__file__).resolve().parents[1]
        names = collections.Counter(p.name for p in root.rglob("test_*.py"))
        self.assertEqual([n for n, c in names.items() if c > 1], [])
