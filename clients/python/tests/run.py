#!/usr/bin/env python3
"""Runs the whole suite, then checks that it drove every protocol method and every public client method.

    python3 clients/python/tests/run.py        (clients/python/run-tests runs it)

Exits non-zero when a test fails or when Protocol/openrpc.json has a method no test sent, or the package
has a public method (of Client, AsyncClient, their streams, handles and feeds, the result base class)
no test called: a method that becomes unreachable or untested fails the run.
"""

import json
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import support  # noqa: E402  (instruments the package before any test imports it)


def main() -> int:
    suite = unittest.defaultTestLoader.discover(str(HERE), top_level_dir=str(HERE))
    outcome = unittest.TextTestRunner(verbosity=1).run(suite)
    openrpc = json.loads((support.REPO_ROOT / "Protocol" / "openrpc.json").read_text(encoding="utf-8"))
    protocol = {method["name"] for method in openrpc["methods"]}
    unsent = sorted(protocol - support.SENT)
    surface = {f"{cls.__name__}.{name}" for cls in support.SURFACE for name in support.public_methods(cls)}
    uncalled = sorted(surface - support.CALLED)
    print(f"protocol methods sent: {len(protocol & support.SENT)} of {len(protocol)}; "
          f"public client methods called: {len(surface & support.CALLED)} of {len(surface)}")
    if unsent:
        print("protocol methods no test sent: " + ", ".join(unsent), file=sys.stderr)
    if uncalled:
        print("public methods no test called: " + ", ".join(uncalled), file=sys.stderr)
    return 0 if outcome.wasSuccessful() and not unsent and not uncalled else 1


if __name__ == "__main__":
    sys.exit(main())
