"""``library/changed``: the blocking client's callbacks, and two real daemons on one database."""

import asyncio
import os
import tempfile
import threading
import time
import unittest

import support
from imaginai_client import LibraryChange

from test_async import new_async_client

#: The protocol's promise is 200 ms; the margin keeps a loaded CI machine from failing the client's test.
DELIVERY_SECONDS = 1.0


class BlockingCallbackTests(support.DaemonTestCase):
    def deliver(self, params) -> None:
        self.client._dispatch({"jsonrpc": "2.0", "method": "library/changed", "params": params})

    def test_callbacks_get_typed_changes_and_can_be_removed(self):
        received: list[LibraryChange] = []
        raw: list[dict] = []
        remove = self.client.on_library_changed(received.append)
        self.client.add_notification_handler("library/changed", raw.append)
        self.deliver({"kind": "adventure", "id": "adv_1", "change": "created", "scenarioId": "scn_1"})
        self.deliver({"kind": "scenario", "id": "scn_1", "change": "deleted"})
        self.assertEqual([(c.kind, c.id, c.change, c.scenario_id) for c in received],
                         [("adventure", "adv_1", "created", "scn_1"), ("scenario", "scn_1", "deleted", None)])
        self.assertEqual(raw[0], received[0].to_wire(), "raw handlers see the same notification")
        remove()
        self.deliver({"kind": "card", "id": "card_1", "change": "updated", "adventureId": "adv_1"})
        self.assertEqual(len(received), 2)
        self.assertEqual(len(raw), 3)

    def test_a_failing_callback_does_not_stop_the_others_or_the_session(self):
        received = []

        def broken(change):
            raise RuntimeError("boom")

        self.client.on_library_changed(broken)
        self.client.on_library_changed(received.append)
        with self.assertLogs("imaginai_client", "ERROR"):
            self.deliver({"kind": "turn", "id": "turn_1", "change": "deleted", "adventureId": "adv_1"})
        self.assertEqual([c.id for c in received], ["turn_1"])
        self.assertEqual(self.client.settings_get().model, "offline/storyteller")


class TwoDaemonTests(unittest.TestCase):
    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.db = os.path.join(directory.name, "shared.sqlite")

    def open(self):
        client = support.new_client(self.db)
        client.start()
        self.addCleanup(lambda: self.assertEqual(client.close(), 0, client.stderr_tail))
        return client

    def test_a_change_through_one_daemon_reaches_the_other_client(self):
        writer, watcher = self.open(), self.open()
        arrived = threading.Event()
        changes: list[LibraryChange] = []

        def on_change(change: LibraryChange) -> None:
            changes.append(change)
            if change.kind == "card":
                arrived.set()

        watcher.on_library_changed(on_change)
        self.assertIn("library/changed", watcher.server.capabilities["notifications"])
        scenario = writer.scenario_create(name="Shared")
        started = time.monotonic()
        card = writer.card_create({"name": "Bell", "keys": ["bell"]}, scenario_id=scenario.id)
        self.assertTrue(arrived.wait(support.TIMEOUT), f"no library/changed for the card; got {changes}")
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, DELIVERY_SECONDS)
        self.assertIn(("scenario", scenario.id, "created"), [(c.kind, c.id, c.change) for c in changes])
        announced = next(c for c in changes if c.kind == "card")
        self.assertEqual((announced.id, announced.change, announced.scenario_id), (card.id, "created", scenario.id))
        self.assertEqual(watcher.scenario_get(scenario.id).cards[0].name, "Bell", "the other daemon reads it at once")


class ImportFromAShellTests(unittest.IsolatedAsyncioTestCase):
    async def test_an_import_from_the_command_line_arrives_as_its_scenario_with_every_card(self):
        path = support.fixture("koboldai-story-worldinfo-half-life-2.json")  # 25 entries
        with tempfile.TemporaryDirectory() as directory:
            db = os.path.join(directory, "shared.sqlite")
            async with new_async_client(db) as watcher:
                with watcher.library_changes() as changes:
                    shell = await asyncio.create_subprocess_exec(
                        str(support.BINARY), "import", "--db", db, str(path),
                        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                    output, errors = await asyncio.wait_for(shell.communicate(), support.TIMEOUT)
                    self.assertEqual(shell.returncode, 0, errors.decode())
                    # Cards made with their scenario are announced by the scenario's `created` alone.
                    scenario = await asyncio.wait_for(anext(changes), support.TIMEOUT)
                self.assertEqual((scenario.kind, scenario.change), ("scenario", "created"))
                imported = await watcher.scenario_get(scenario.id)
                self.assertEqual(len(imported.cards), 25, "the other daemon reads every card at once")


class AsyncTwoDaemonTests(unittest.IsolatedAsyncioTestCase):
    async def test_the_async_feed_of_one_client_sees_the_others_update(self):
        with tempfile.TemporaryDirectory() as directory:
            db = os.path.join(directory, "shared.sqlite")
            async with new_async_client(db) as writer, new_async_client(db) as watcher:
                scenario = (await writer.scenario_list()).scenarios[0]
                with watcher.library_changes() as changes:
                    started = time.monotonic()
                    await writer.scenario_update(scenario.id, name="Renamed elsewhere")
                    change = await asyncio.wait_for(anext(changes), support.TIMEOUT)
                    elapsed = time.monotonic() - started
                self.assertEqual((change.kind, change.id, change.change), ("scenario", scenario.id, "updated"))
                self.assertLess(elapsed, DELIVERY_SECONDS)
                self.assertEqual((await watcher.scenario_get(scenario.id)).name, "Renamed elsewhere")
                with watcher.library_changes() as later:
                    await watcher.scenario_update(scenario.id, name="Renamed here")
                    marker = await writer.scenario_create(name="After")
                    seen = [await asyncio.wait_for(anext(later), support.TIMEOUT)]
                    while seen[-1].id != marker.id:
                        seen.append(await asyncio.wait_for(anext(later), support.TIMEOUT))
                # Changes arrive in commit order, so an echo of the watcher's own rename would come first.
                self.assertEqual([(c.kind, c.id) for c in seen], [("scenario", marker.id)],
                                 "a daemon does not notify its own client of its own changes")


if __name__ == "__main__":
    unittest.main()
