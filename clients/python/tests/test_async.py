"""The asyncio client against the real daemon: every method, streams, concurrency, cancellation."""

import asyncio
import json
import os
import unittest

import support
from imaginai_client import (
    AsyncClient,
    ConflictError,
    ConnectionLostError,
    InvalidParamsError,
    InvalidRequestError,
    LibraryChange,
    NotFoundError,
    RequestCancelledError,
    Scenario,
    StoryResult,
)


def new_async_client(db: str = ":memory:", **options) -> AsyncClient:
    support.require_binary()
    options.setdefault("timeout", support.TIMEOUT)
    return AsyncClient(support.BINARY, db, **options)


class AsyncDaemonTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.client = new_async_client()
        await self.client.start()
        self.addAsyncCleanup(self._close)
        await self.client.settings_update(storyteller_delay_ms=0)

    async def _close(self) -> None:
        code = await self.client.close()
        self.assertEqual(code, 0, f"imaginai exited with {code}; log: {self.client.stderr_tail}")

    async def start_adventure(self):
        scenario = await self.client.scenario_create(
            name="Harbor", opening_scene="You stand on the quay at Kell.",
            cards=[{"name": "Mira Vell", "type": "character", "keys": ["Mira"], "description": "The harbormaster."}])
        return await self.client.adventure_start(scenario.id)

    async def slow_storyteller(self, delay_ms: int = 200) -> None:
        await self.client.settings_update(storyteller_delay_ms=delay_ms, max_output_tokens=800)


class AsyncLifecycleTests(unittest.IsolatedAsyncioTestCase):
    async def test_async_with_initializes_and_exits_with_status_zero(self):
        async with new_async_client() as client:
            self.assertEqual(client.server.server_info.name, "imaginai")
            self.assertEqual(client.server.protocol_version, "1.0")
            self.assertEqual(client.command[1:], ["serve", "--db", ":memory:"])
            pid = client.pid
        self.assertEqual(client.returncode, 0)
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        self.assertEqual(await client.close(), 0, "closing twice is harmless")

    async def test_requests_after_shutdown_and_exit(self):
        client = new_async_client()
        await client.start()
        await client.shutdown()
        with self.assertRaises(InvalidRequestError):
            await client.scenario_list()
        await client.exit()
        self.assertEqual(await asyncio.wait_for(client._process.wait(), support.TIMEOUT), 0)
        with self.assertRaises(ConnectionLostError):
            await client.scenario_list()
        self.assertEqual(await client.close(), 0)

    async def test_a_daemon_killed_mid_stream_fails_the_stream_instead_of_hanging(self):
        client = new_async_client()
        await client.start()
        try:
            await client.settings_update(storyteller_delay_ms=200, max_output_tokens=800)
            scenario = (await client.scenario_list()).scenarios[0]
            adventure = await client.adventure_start(scenario.id)
            stream = client.stream_continue(adventure.id)
            await anext(stream)
            client._process.kill()
            with self.assertRaises(ConnectionLostError):
                async for _ in stream:
                    pass
            with self.assertRaises(ConnectionLostError):
                await client.settings_get()
        finally:
            self.assertNotEqual(await client.close(), 0)


class AsyncLibraryTests(AsyncDaemonTestCase):
    async def test_scenarios_and_cards(self):
        client = self.client
        listed = await client.scenario_list()
        self.assertEqual((listed.total, listed.scenarios[0].name), (1, "The Keeper of Morrow Rock"))
        created = await client.scenario_create({"tags": ["fog"]}, name="Harbor", plot_essentials="Fog.")
        self.assertIsInstance(created, Scenario)
        self.assertEqual((created.plot_essentials, created.tags), ("Fog.", ["fog"]))
        self.assertEqual(await client.scenario_get(created.id), created)
        updated = await client.scenario_update(created.id, authors_notes="Slow.")
        self.assertEqual(updated.authors_notes, "Slow.")
        self.assertEqual([s.id for s in (await client.scenario_list(query="harbor")).scenarios], [created.id])

        card = await client.card_create(scenario_id=created.id, name="Bell", keys=["bell"], description=" Rings.\n",
                                        position="atDepth", depth=2, group="bells")
        self.assertEqual((card.description, card.position, card.depth, card.group),
                         (" Rings.\n", "atDepth", 2, "bells"))
        card = await client.card_update(card.id, group=None, probability=50)
        self.assertEqual((card.group, card.probability, card.depth), (None, 50, 2))
        copy = await client.card_duplicate(card.id)
        self.assertEqual((await client.card_delete(copy.id)).deleted, copy.id)

        exported = await client.scenario_export(created.id)
        self.assertEqual(exported.data["format"], "imaginai.scenario")
        imported = await client.scenario_import(json.dumps(exported.data))
        self.assertEqual([c.name for c in imported.cards], ["Bell"])
        self.assertEqual(imported.scenarios[0].id, imported.id)
        world = await client.cards_export("sillytavern", scenario_id=created.id)
        again = await client.cards_import(world.data, scenario_id=imported.id, mode="replace")
        self.assertEqual((again.format, again.imported, [c.name for c in again.cards]), ("sillytavern", 1, ["Bell"]))

        duplicate = await client.scenario_duplicate(created.id, name="Harbor again")
        self.assertEqual(duplicate.name, "Harbor again")
        self.assertEqual((await client.scenario_delete(duplicate.id)).deleted, duplicate.id)
        with self.assertRaises(NotFoundError) as caught:
            await client.scenario_get(duplicate.id)
        self.assertEqual((caught.exception.kind, caught.exception.missing_id), ("scenario", duplicate.id))

    async def test_adventures_turns_settings_and_models(self):
        client = self.client
        adventure = await self.start_adventure()
        self.assertEqual((adventure.scenario_name, adventure.turn_count), ("Harbor", 1))
        self.assertEqual((await client.adventure_get(adventure.id)).cards[0].name, "Mira Vell")
        self.assertEqual((await client.adventure_list(limit=5)).adventures[0].id, adventure.id)
        updated = await client.adventure_update(adventure.id, name="Renamed", summary="You came for the ledger.")
        self.assertEqual((updated.name, updated.summary), ("Renamed", "You came for the ledger."))
        versions = (await client.adventure_summary_versions(adventure.id)).versions
        self.assertEqual([(v.text, v.source, v.current) for v in versions],
                         [("You came for the ledger.", "user", True)])

        opening = (await client.turn_list(adventure.id)).turns[0]
        self.assertEqual((await client.turn_edit(opening.id, "The quay.")).text, "The quay.")
        copy = await client.adventure_duplicate(adventure.id, name="Copy", up_to_turn=opening.id)
        self.assertEqual((copy.name, copy.turn_count), ("Copy", 1))
        self.assertEqual((await client.turn_delete(opening.id)).deleted, opening.id)
        self.assertEqual((await client.adventure_restart(adventure.id)).turn_count, 1)
        self.assertEqual((await client.adventure_delete(copy.id)).deleted, copy.id)

        settings = await client.settings_get()
        self.assertEqual(settings.model, "offline/storyteller")
        changed = await client.settings_update({"responseHandling": "summarize"})
        self.assertEqual(changed.response_handling, "summarize")
        with self.assertRaises(InvalidParamsError) as caught:
            await client.settings_update(max_output_tokens=1200)
        self.assertEqual(caught.exception.field, "changes.maxOutputTokens")
        models = (await client.models_list()).models
        self.assertEqual((models[0].id, models[0].available), ("offline/storyteller", True))

    async def test_concurrent_requests_are_matched_by_id(self):
        names = [f"S{i}" for i in range(16)]
        created = await asyncio.gather(*(self.client.scenario_create(name=name) for name in names))
        fetched = await asyncio.gather(*(self.client.scenario_get(s.id) for s in created * 3))
        self.assertEqual([s.name for s in fetched], names * 3)

    async def test_raw_request_returns_json(self):
        listed = await self.client.request("scenario/list", {"limit": 1})
        self.assertEqual(listed["total"], 1)


class AsyncStoryTests(AsyncDaemonTestCase):
    async def test_async_for_over_a_turns_chunks_then_its_result(self):
        adventure = await self.start_adventure()
        async with self.client.stream_act(adventure.id, "do", "ask Mira about the ferry") as turn:
            with self.assertRaisesRegex(RuntimeError, "still running"):
                turn.result
            chunks = [chunk async for chunk in turn]
        result = turn.result
        self.assertIsInstance(result, StoryResult)
        self.assertEqual([c.seq for c in chunks], list(range(len(chunks))))
        self.assertEqual(turn.chunks, chunks)
        self.assertTrue(turn.text.strip().startswith(result.ai_turn.text[:20]))
        self.assertEqual(result.player_turn.text, "ask Mira about the ferry")
        self.assertTrue(all(c.request_id == turn.id and c.adventure_id == adventure.id for c in chunks))
        self.assertTrue(turn.done())

        continued = await self.client.stream_continue(adventure.id)  # awaiting a stream gives its result
        self.assertIsNone(continued.player_turn)
        usage = await self.client.usage_get(adventure.id)
        self.assertEqual([entry.turn_id for entry in usage.turns], [result.ai_turn.id, continued.ai_turn.id])

    async def test_story_methods_with_on_chunk_retry_versions_undo_redo_preview(self):
        adventure = await self.start_adventure()
        chunks = []
        act = await self.client.story_act(adventure.id, "say", "Where is the ferry?", on_chunk=chunks.append)
        self.assertEqual("".join(c.text for c in chunks).strip()[:20], act.ai_turn.text[:20])
        retry_stream = self.client.stream_retry(adventure.id)
        retried = await retry_stream
        self.assertEqual(retried.ai_turn.id, act.ai_turn.id)
        retried_again = await self.client.story_retry(adventure.id)
        versions = (await self.client.turn_versions(act.ai_turn.id)).versions
        self.assertEqual([v.current for v in versions], [False, False, True])
        self.assertEqual(versions[2].text, retried_again.ai_turn.text)
        restored = await self.client.turn_use_version(act.ai_turn.id, 0)
        self.assertEqual(restored.text, act.ai_turn.text)

        continued = await self.client.story_continue(adventure.id)
        undo = await self.client.story_undo(adventure.id)
        self.assertEqual([t.id for t in undo.removed], [continued.ai_turn.id])
        redo = await self.client.story_redo(adventure.id)
        self.assertEqual((redo.restored[0].id, redo.turn_count), (continued.ai_turn.id, 4))
        preview = await self.client.story_preview(adventure.id, "do", "wave to Mira")
        self.assertEqual(preview.sections[-1].text, "> You wave to Mira.")
        self.assertEqual([(c.name, c.trigger, c.included) for c in preview.fired_cards], [("Mira Vell", "story", True)])

    async def test_cancelling_the_iterating_task_cancels_the_request_and_keeps_the_partial_turn(self):
        await self.slow_storyteller()
        adventure = await self.start_adventure()
        stream = self.client.stream_continue(adventure.id)
        first_chunk = asyncio.Event()

        async def read() -> None:
            async for _ in stream:
                first_chunk.set()

        task = asyncio.create_task(read())
        await asyncio.wait_for(first_chunk.wait(), support.TIMEOUT)
        task.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await task
        with self.assertRaises(RequestCancelledError) as caught:
            await stream  # the daemon's answer to the $/cancelRequest the cancelled task sent
        self.assertTrue(caught.exception.ai_turn.text, "the partial text was stored")
        turns = await self.client.turn_list(adventure.id)
        self.assertEqual(turns.turns[-1].text, caught.exception.ai_turn.text)

    async def test_leaving_a_stream_block_early_cancels_and_frees_the_adventure(self):
        await self.slow_storyteller()
        adventure = await self.start_adventure()
        async with self.client.stream_continue(adventure.id) as stream:
            async for _ in stream:
                with self.assertRaises(ConflictError) as busy:
                    await self.client.story_continue(adventure.id)
                self.assertEqual(busy.exception.adventure_id, adventure.id)
                break
        self.assertTrue(stream.done())
        with self.assertRaises(RequestCancelledError):
            stream.result
        await self.client.settings_update(storyteller_delay_ms=0)
        self.assertTrue((await self.client.story_continue(adventure.id)).ai_turn.text, "free again")

    async def test_explicit_cancel_and_cancel_request(self):
        await self.slow_storyteller()
        adventure = await self.start_adventure()
        stream = self.client.stream_continue(adventure.id)
        await anext(stream)
        stream.cancel()
        with self.assertRaises(RequestCancelledError):
            async for _ in stream:
                pass
        self.assertTrue(stream.text)

        other = self.client.stream_continue(adventure.id)
        await anext(other)
        await self.client.cancel_request(other.id)
        with self.assertRaises(RequestCancelledError):
            await other

    async def test_cancel_pending_cancels_every_running_request(self):
        await self.slow_storyteller()
        streams = [self.client.stream_continue((await self.start_adventure()).id) for _ in range(2)]
        for stream in streams:
            await anext(stream)
        self.client.cancel_pending()
        for stream in streams:
            with self.assertRaises(RequestCancelledError):
                await stream

    async def test_a_timeout_cancels_the_request_at_the_daemon(self):
        await self.slow_storyteller(delay_ms=3000)
        adventure = await self.start_adventure()
        with self.assertRaisesRegex(TimeoutError, "was cancelled"):
            await self.client.story_continue(adventure.id, timeout=0.3)
        # The cancellation reached the daemon: the adventure is free for the next request.
        await self.client.settings_update(storyteller_delay_ms=0)
        self.assertTrue((await self.client.story_continue(adventure.id)).ai_turn.text)

    async def test_an_exception_in_on_chunk_cancels_the_request_and_is_raised(self):
        await self.slow_storyteller(delay_ms=50)
        adventure = await self.start_adventure()

        def fail(chunk):
            raise ValueError("stop here")

        with self.assertRaisesRegex(ValueError, "stop here"):
            await self.client.story_continue(adventure.id, on_chunk=fail)
        self.assertEqual((await self.client.turn_list(adventure.id)).turn_count, 2, "the partial turn was kept")


class AsyncLibraryChangedTests(AsyncDaemonTestCase):
    """``library/changed`` delivered through the client's own reading path (the daemon's part is tested
    with two daemons in test_library_changed.py)."""

    def deliver(self, params) -> None:
        self.client._dispatch({"jsonrpc": "2.0", "method": "library/changed", "params": params})

    async def test_changes_arrive_as_an_async_iterator_and_to_callbacks(self):
        received = []
        raw = []
        remove = self.client.on_library_changed(received.append)
        remove_raw = self.client.add_notification_handler("library/changed", raw.append)
        with self.client.library_changes() as changes:
            self.deliver({"kind": "card", "id": "card_1", "change": "updated", "scenarioId": "scn_1"})
            self.deliver({"kind": "settings", "id": "settings", "change": "updated", "since": 3})
            self.deliver({"kind": "turn", "id": "turn_9", "change": "created", "adventureId": "adv_1"})
            first = await asyncio.wait_for(anext(changes), support.TIMEOUT)
            burst = [first, *changes.drain()]
        self.assertEqual(burst, received)
        self.assertEqual([(c.kind, c.id, c.change, c.scenario_id, c.adventure_id) for c in burst], [
            ("card", "card_1", "updated", "scn_1", None), ("settings", "settings", "updated", None, None),
            ("turn", "turn_9", "created", None, "adv_1")])
        self.assertEqual(burst[1].extra, {"since": 3}, "fields of a newer daemon are kept")
        self.assertEqual(raw, [change.to_wire() for change in burst], "raw handlers get the params as sent")
        remove_raw()
        self.assertIsInstance(burst[0], LibraryChange)
        self.assertEqual(changes.drain(), [])
        remove()
        self.deliver({"kind": "scenario", "id": "scn_2", "change": "deleted"})
        self.assertEqual((len(received), len(raw)), (3, 3), "removed callbacks are not called")
        self.assertEqual(self.client._feeds, [], "a closed feed is not fed")

    async def test_an_unreadable_change_is_logged_and_skipped(self):
        received = []
        self.client.on_library_changed(received.append)
        with self.assertLogs("imaginai_client", "ERROR") as logs:
            self.deliver({"kind": "card", "change": "created"})
        self.assertIn("has no 'id'", logs.output[0])
        self.deliver({"kind": "card", "id": "card_2", "change": "created"})
        self.assertEqual([c.id for c in received], ["card_2"])

    async def test_the_feed_ends_when_the_connection_does(self):
        changes = self.client.library_changes()
        await self.client.close()
        self.assertEqual([change async for change in changes], [])


if __name__ == "__main__":
    unittest.main()
