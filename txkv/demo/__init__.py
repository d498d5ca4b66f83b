"""``txkv demo``: tours of each client against embedded servers started on free ports.

Each tour is ``async def tour(reactor, say) -> None`` in ``txkv.demo.<name>``; it starts what it
needs (in-process servers on 127.0.0.1 port 0) and stops it before returning.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Dict, List

from twisted.internet.defer import Deferred

#: tour name -> module path.  Store issues add their tours here.
DEMOS: Dict[str, str] = {
    "core": "txkv.demo.core",
    "ignite": "txkv.demo.ignite",
    "kyoto": "txkv.demo.kyoto",
    "tyrant": "txkv.demo.tyrant",
}


def run_demos(names: List[str], out: Callable[[str], Any] = print) -> int:
    """Run the named tours one after another on the real reactor; 0 when all succeeded."""
    from twisted.internet import task

    failures: List[str] = []

    async def main(_reactor: Any) -> None:
        for name in names:
            out(f"== {name} ==")
            module = importlib.import_module(DEMOS[name])
            try:
                await module.tour(_reactor, out)
            except Exception as e:  # report every tour, then fail overall
                failures.append(name)
                out(f"!! {name} tour failed: {e!r}")
                import traceback

                traceback.print_exc(file=sys.stderr)
        if failures:
            out(f"failed tours: {', '.join(failures)}")
            raise SystemExit(1)
        out("all tours passed")

    task.react(lambda r: Deferred.fromCoroutine(main(r)))  # exits the process
    return 0  # pragma: no cover - react() exits


def run_tour_in_reactor(name: str, reactor: Any, out: Callable[[str], Any]) -> Deferred[None]:
    """Run one tour on an already running reactor (used by tests)."""
    module = importlib.import_module(DEMOS[name])
    return Deferred.fromCoroutine(module.tour(reactor, out))
