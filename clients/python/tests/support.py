"""Shared test setup: finds the package, the real daemon binary and the format fixtures.

- The package: ``clients/python`` is put on ``sys.path`` so the tests run without installing it.
- The daemon: ``$IMAGINAI_BIN``, else ``.build/debug/imaginai`` under the repository root. The tests
  fail (never skip) when it is missing: they exist to prove the client against the real binary.
- The fixtures: ``$IMAGINAI_FIXTURES``, else ``../shared/fixtures/formats`` beside the repository root,
  as the Swift tests find them.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import unittest
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # clients/python
REPO_ROOT = PACKAGE_ROOT.parent.parent
if str(PACKAGE_ROOT) not in sys.path:
    sys.path.insert(0, str(PACKAGE_ROOT))

import imaginai_client  # noqa: E402
from imaginai_client import Client  # noqa: E402

BINARY = Path(os.environ.get("IMAGINAI_BIN") or REPO_ROOT / ".build" / "debug" / "imaginai")
FIXTURES = Path(os.environ.get("IMAGINAI_FIXTURES") or REPO_ROOT.parent / "shared" / "fixtures" / "formats")

#: Seconds any single request may take before a test fails instead of hanging.
TIMEOUT = 30.0


def require_binary() -> None:
    if not BINARY.is_file() or not os.access(BINARY, os.X_OK):
        raise AssertionError(f"the imaginai binary is not at {BINARY}: build it (swift build) or set IMAGINAI_BIN")


def fixture(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_file():
        raise AssertionError(f"fixture {path} is missing: set IMAGINAI_FIXTURES or check out ../shared/fixtures")
    return path


def new_client(db: str = ":memory:", **options) -> Client:
    require_binary()
    options.setdefault("timeout", TIMEOUT)
    return Client(BINARY, db, **options)


class DaemonTestCase(unittest.TestCase):
    """A fresh daemon on an in-memory database per test, with the offline storyteller at full speed."""

    def setUp(self) -> None:
        self.client = new_client()
        self.client.start()
        self.addCleanup(self._close)
        self.client.settings_update(storyteller_delay_ms=0)

    def _close(self) -> None:
        code = self.client.close()
        self.assertEqual(code, 0, f"imaginai exited with {code}; log: {self.client.stderr_tail}")

    def make_scenario(self) -> dict:
        """A small scenario whose cards the tests can trigger by name."""
        return self.client.scenario_create(
            name="Harbor",
            plot_essentials="The harbor town of Kell sleeps under fog. The ferry has not come for a week.",
            opening_scene="You stand on the quay at Kell. The fog hides the water, and somewhere a bell rings.",
            cards=[
                {"name": "Mira Vell", "type": "character", "keys": ["Mira", "harbormaster"],
                 "description": "Mira Vell is the harbormaster of Kell, sharp-eyed and tired of the fog."},
                {"name": "The ferry", "type": "item", "keys": ["ferry"],
                 "description": "The ferry is an old steam boat that crosses to the mainland twice a day."},
            ],
        )

    def start_adventure(self) -> dict:
        return self.client.adventure_start(self.make_scenario().id)


# MARK: what the run drove
#
# Every protocol method written to a daemon and every public method of the client's classes called
# during the run are recorded here; run.py checks after the suite that they cover Protocol/openrpc.json
# and the package's whole surface, so a method that becomes unreachable fails the run.

#: Protocol methods (requests and notifications) the clients wrote to a daemon.
SENT: set[str] = set()
#: Public methods called, as "Class.method".
CALLED: set[str] = set()
#: The classes whose public methods must all be driven.
SURFACE = [imaginai_client.Client, imaginai_client.AsyncClient, imaginai_client.PendingRequest,
           imaginai_client.Stream, imaginai_client.AsyncStream, imaginai_client.LibraryChanges,
           imaginai_client.WireObject]


def public_methods(cls: type) -> list[str]:
    return sorted(name for name, member in vars(cls).items()
                  if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, classmethod)))


def _record_calls(cls: type) -> None:
    for name in public_methods(cls):
        original = vars(cls)[name]
        label = f"{cls.__name__}.{name}"
        if isinstance(original, classmethod):
            function = original.__func__

            @functools.wraps(function)
            def recorded_class(owner, *args, __function=function, __label=label, **kwargs):
                CALLED.add(__label)
                return __function(owner, *args, **kwargs)

            setattr(cls, name, classmethod(recorded_class))
            continue

        @functools.wraps(original)
        def recorded(*args, __original=original, __label=label, **kwargs):
            CALLED.add(__label)
            return __original(*args, **kwargs)

        setattr(cls, name, recorded)


def _record_writes(cls: type, writer: str) -> None:
    original = getattr(cls, writer)

    @functools.wraps(original)
    def recorded(self, message, *args, **kwargs):
        result = original(self, message, *args, **kwargs)
        if "method" in message:
            SENT.add(message["method"])  # after the write: a refused message was not sent
        return result

    setattr(cls, writer, recorded)


for _cls in SURFACE:
    _record_calls(_cls)
_record_writes(imaginai_client.Client, "_write")
_record_writes(imaginai_client.AsyncClient, "_write_nowait")
