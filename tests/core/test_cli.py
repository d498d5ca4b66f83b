"""The ``txkv`` command, twistd drop-ins, and import-time hygiene."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import subprocess
import sys

from twisted.application.service import IServiceMaker
from twisted.logger import globalLogPublisher
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


class ImportHygieneTests(SynchronousTestCase):
    def test_importing_every_module_configures_no_logging(self) -> None:
        observers_before = list(globalLogPublisher._observers)
        root_handlers = list(logging.getLogger().handlers)
        failed = []
        for info in pkgutil.walk_packages(txkv.__path__, "txkv."):
            if info.name.endswith("__main__"):
                continue
            try:
                importlib.import_module(info.name)
            except ImportError as e:  # optional extras may be missing; everything else must import
                failed.append((info.name, e))
        self.assertEqual(list(globalLogPublisher._observers), observers_before)
        self.assertEqual(list(logging.getLogger().handlers), root_handlers)
        self.assertEqual(failed, [])
