"""The ``txkv`` command: ``txkv demo``, ``txkv serve``, ``txkv version``.

Store issues add subcommands by appending to :data:`COMMANDS`; each entry adds its own argparse
sub-parser and a ``run(args) -> int`` function.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, List, Optional, Sequence

from txkv import __version__

Command = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _add_version(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("version", help="print txkv's version")
    p.set_defaults(run=lambda args: print(f"txkv {__version__}") or 0)


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from txkv.demo import DEMOS

    p = sub.add_parser(
        "demo", help="start the embedded servers on free ports and tour each client's API"
    )
    p.add_argument(
        "stores", nargs="*", choices=[[]] + list(DEMOS), default=[],
        help="which tours to run (default: all)",
    )

    def run(args: argparse.Namespace) -> int:
        from txkv.demo import run_demos

        return run_demos(args.stores or list(DEMOS))

    p.set_defaults(run=run)


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from txkv.tap.serve import SERVERS

    p = sub.add_parser("serve", help="run every embedded server in this process")
    p.add_argument("--data", help="directory for durable data (default: in memory)")
    p.add_argument("--interface", default="127.0.0.1")
    for name, _module, port in SERVERS:
        p.add_argument(f"--{name}", type=int, default=port, metavar="PORT",
                       help=f"port of the {name} server (default {port}; 0 disables)")

    def run(args: argparse.Namespace) -> int:
        from twisted.internet import reactor
        from twisted.logger import globalLogBeginner, textFileLogObserver

        from txkv.tap.serve import makeService

        globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)])
        options = {name: getattr(args, name) for name, _m, _p in SERVERS}
        options.update(data=args.data, interface=args.interface)
        service = makeService(options)
        service.startService()
        reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
        reactor.run()
        return 0

    p.set_defaults(run=run)


COMMANDS: List[Command] = [_add_version, _add_demo, _add_serve]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="txkv", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"txkv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    return int(args.run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
