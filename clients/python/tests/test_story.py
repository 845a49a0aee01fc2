"""Story generation through the client: streaming, retry and versions, undo/redo, preview, cancel."""

import threading
import time
import unittest

import support
from imaginai_client import (
    PROVIDER_FAILURE,
    REQUEST_CANCELLED,
    ConflictError,
    ConnectionLostError,
    InvalidParamsError,
    ProviderFailureError,
    RequestCancelledError,
)


class StoryTests(support.DaemonTestCase):
    def assert_streamed_text_is_the_turn(self, chunks, result):
        self.assertTrue(chunks, "text was streamed")
        self.assertEqual([c.seq for c in chunks], list(range(len(chunks))), "seq from 0 without gaps")
        streamed = "".join(c.text for c in chunks)
        ai_text = result.ai_turn.text
        if result.trimmed:
            self.assertTrue(streamed.startswith(ai_text))  # cut back to the last complete sentence
        else:
            self.assertEqual(streamed.strip(), ai_text)

    def test_act_streams_chunks_in_order_before_the_result(self):
        adventure = self.start_adventure()
        events = []
        result = self.client.story_act(adventure.id, "do", "ask Mira about the ferry",
                                       on_chunk=lambda chunk: events.append(("chunk", chunk)))
        events.append(("result", result))
        chunks = [payload for kind, payload in events if kind == "chunk"]
        self.assertEqual(events[-1][0], "result", "every chunk arrived before the result")
        self.assertTrue(all(c.adventure_id == adventure.id for c in chunks))
        self.assert_streamed_text_is_the_turn(chunks, result)
        self.assertEqual(result.player_turn.text, "ask Mira about the ferry")
        self.assertEqual((result.player_turn.index, result.ai_turn.index), (1, 2))
        self.assertEqual(result.usage.model, "offline/storyteller")
        self.assertGreater(result.usage.sections.cards, 0, "Mira's and the ferry's cards were sent")
        self.assertEqual(self.client.turn_list(adventure.id).turn_count, 3)
        usage = self.client.usage_get(adventure.id)
        self.assertEqual(usage.totals.turns, 1)
        self.assertEqual(usage.turns[0].turn_id, result.ai_turn.id)

    def test_stream_iterator_yields_text_then_gives_the_result(self):
        adventure = self.start_adventure()
        stream = self.client.stream_act(adventure.id, "say", "Where is the ferry?")
        pieces = list(stream)
        result = stream.result()
        self.assertEqual(pieces, [c.text for c in stream.chunks])
        self.assertEqual(stream.text, "".join(pieces))
        self.assert_streamed_text_is_the_turn(stream.chunks, result)
        continued = self.client.stream_continue(adventure.id)
        text = "".join(continued)
        self.assertIsNone(continued.result().player_turn)
        self.assertEqual(text.strip()[:20], continued.result().ai_turn.text[:20])

    def test_retry_keeps_every_version(self):
        adventure = self.start_adventure()
        act = self.client.story_act(adventure.id, "say", "Where is the ferry?")
        ai_turn_id = act.ai_turn.id
        chunks = []
        retry = self.client.story_retry(adventure.id, on_chunk=chunks.append)
        self.assertEqual(retry.ai_turn.id, ai_turn_id, "a retry replaces the same turn")
        self.assertIsNone(retry.player_turn)
        self.assert_streamed_text_is_the_turn(chunks, retry)
        versions = self.client.turn_versions(ai_turn_id).versions
        self.assertEqual([v.version for v in versions], [0, 1])
        self.assertEqual([v.current for v in versions], [False, True])
        self.assertEqual(versions[0].text, act.ai_turn.text)
        restored = self.client.turn_use_version(ai_turn_id, 0)
        self.assertEqual(restored.text, act.ai_turn.text)
        with self.assertRaises(InvalidParamsError) as caught:
            self.client.turn_use_version(ai_turn_id, 7)
        self.assertEqual(caught.exception.field, "version")
        with self.client.stream_retry(adventure.id) as again:
            text = "".join(again)
        self.assertEqual(again.result().ai_turn.id, ai_turn_id)
        self.assertEqual(text.strip()[:20], again.result().ai_turn.text[:20])
        self.assertEqual(len(self.client.turn_versions(ai_turn_id).versions), 3)

    def test_undo_and_redo(self):
        adventure = self.start_adventure()
        aid = adventure.id
        with self.assertRaises(ConflictError):
            self.client.story_undo(aid)
        self.client.story_continue(aid)
        act = self.client.story_act(aid, "story", "The fog lifts for a moment.")
        undo = self.client.story_undo(aid)
        self.assertEqual([t.id for t in undo.removed], [act.player_turn.id, act.ai_turn.id])
        self.assertEqual(undo.turn_count, 2)
        redo = self.client.story_redo(aid)
        self.assertEqual([t.text for t in redo.restored], [act.player_turn.text, act.ai_turn.text])
        self.assertEqual(redo.turn_count, 4)
        with self.assertRaises(ConflictError):
            self.client.story_redo(aid)

    def test_a_summary_goes_before_the_history_and_every_change_is_a_version(self):
        adventure = self.start_adventure()
        updated = self.client.adventure_update(adventure.id, summary="You came for the ledger.")
        self.assertEqual(updated.summary, "You came for the ledger.")
        self.client.adventure_update(adventure.id, summary="The keeper lied about the ledger.")
        names = [s.name for s in self.client.story_preview(adventure.id).sections]
        self.assertLess(names.index("summary"), names.index("history"))
        versions = self.client.adventure_summary_versions(adventure.id).versions
        self.assertEqual([(v.text, v.source, v.current) for v in versions], [
            ("You came for the ledger.", "user", False), ("The keeper lied about the ledger.", "user", True)])
        # Taking an earlier version back is setting its text again: a new version, nothing lost.
        self.client.adventure_update(adventure.id, summary=versions[0].text)
        again = self.client.adventure_summary_versions(adventure.id).versions
        self.assertEqual((len(again), again[-1].text, again[-1].current), (3, "You came for the ledger.", True))

    def test_preview_shows_what_would_be_sent_and_stores_nothing(self):
        adventure = self.start_adventure()
        preview = self.client.story_preview(adventure.id, "do", "wave to the harbormaster")
        self.assertEqual([s.name for s in preview.sections], ["system", "plotEssentials", "cards", "history", "action"])
        self.assertEqual(preview.sections[-1].text, "> You wave to the harbormaster.")
        self.assertEqual([c.key for c in preview.fired_cards], ["harbormaster"])
        self.assertEqual(preview.included_turns, [0])
        self.assertLessEqual(preview.total_tokens, preview.budget_tokens)
        self.assertEqual(self.client.turn_list(adventure.id).turn_count, 1)
        self.assertEqual(self.client.story_preview(adventure.id).sections[-1].name, "history",
                         "without an action: the preview of a continue")

    def test_cancel_mid_stream_keeps_the_partial_text(self):
        self.client.settings_update(storyteller_delay_ms=200, max_output_tokens=800)
        adventure = self.start_adventure()
        started = time.monotonic()
        stream = self.client.stream_act(adventure.id, "do", "walk to the ferry")
        pieces = []
        with self.assertRaises(RequestCancelledError) as caught:
            for text in stream:
                pieces.append(text)
                if len(pieces) == 2:
                    with self.assertRaises(ConflictError) as busy:
                        self.client.story_continue(adventure.id)  # one generation per adventure
                    self.assertEqual(busy.exception.adventure_id, adventure.id)
                    stream.cancel()
        self.assertLess(time.monotonic() - started, 10, "stopped long before 800 tokens at 200 ms each")
        error = caught.exception
        self.assertEqual(error.code, REQUEST_CANCELLED)
        self.assertTrue(error.ai_turn.text, "data.aiTurn holds the partial text")
        self.assertEqual(error.data["aiTurn"], error.ai_turn.to_wire(), "ai_turn is data.aiTurn, typed")
        self.assertEqual(error.player_turn.text, "walk to the ferry")
        self.assertTrue("".join(pieces).strip().startswith(error.ai_turn.text[:10]))
        turns = self.client.turn_list(adventure.id)
        self.assertEqual(turns.turn_count, 3)
        self.assertEqual(turns.turns[-1].text, error.ai_turn.text)
        with self.assertRaises(RequestCancelledError):
            stream.result()

    def test_cancel_through_the_pending_request_handle(self):
        self.client.settings_update(storyteller_delay_ms=200, max_output_tokens=800)
        adventure = self.start_adventure()
        first_chunk = threading.Event()
        pending = self.client.send("story/continue", {"adventureId": adventure.id},
                                   on_chunk=lambda chunk: first_chunk.set())
        self.assertTrue(first_chunk.wait(support.TIMEOUT))
        pending.cancel()
        error = pending.exception(support.TIMEOUT)
        self.assertIsInstance(error, RequestCancelledError)
        self.assertIsNone(error.player_turn)
        self.assertTrue(error.ai_turn.text)

    def test_cancel_pending_cancels_every_running_request(self):
        self.client.settings_update(storyteller_delay_ms=200, max_output_tokens=800)
        first, second = self.start_adventure(), self.start_adventure()
        streams = [self.client.stream_continue(first.id), self.client.stream_continue(second.id)]
        for stream in streams:
            next(iter(stream))
        self.client.cancel_pending()
        for stream in streams:
            self.assertIsInstance(stream.request.exception(support.TIMEOUT), RequestCancelledError)
        self.client.cancel_pending()  # nothing running: nothing sent, nothing raised

    def test_leaving_a_stream_block_early_cancels_it(self):
        self.client.settings_update(storyteller_delay_ms=200, max_output_tokens=800)
        adventure = self.start_adventure()
        with self.client.stream_continue(adventure.id) as stream:
            for _ in stream:
                break
        self.assertTrue(stream.done())
        self.assertIsInstance(stream.request.exception(0), RequestCancelledError)
        self.client.settings_update(storyteller_delay_ms=0)
        self.assertTrue(self.client.story_continue(adventure.id).ai_turn.text, "the adventure is free again")

    def test_an_exception_in_on_chunk_cancels_the_request_and_is_raised(self):
        self.client.settings_update(storyteller_delay_ms=50, max_output_tokens=800)
        adventure = self.start_adventure()

        def fail(chunk):
            raise ValueError("stop here")

        with self.assertRaisesRegex(ValueError, "stop here"):
            self.client.story_continue(adventure.id, on_chunk=fail)
        self.assertEqual(self.client.turn_list(adventure.id).turn_count, 2, "the partial turn was kept")

    def test_a_model_of_no_known_provider_is_refused_when_chosen(self):
        with self.assertRaises(InvalidParamsError) as caught:
            self.client.settings_update(model="nowhere/none")
        self.assertEqual(caught.exception.field, "changes.model")
        self.assertEqual(self.client.settings_get().model, "offline/storyteller", "nothing was stored")

    def test_an_unreachable_provider_is_a_provider_failure(self):
        # Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
        client = support.new_client(env={
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "", "IMAGINAI_PROVIDER_BACKOFF_MS": "1",
        })
        client.start()
        self.addCleanup(client.close)
        adventure = client.adventure_start(client.scenario_list().scenarios[0].id)
        client.settings_update(model="openai/none")
        with self.assertRaises(ProviderFailureError) as caught:
            client.story_act(adventure.id, "do", "look around")
        self.assertEqual(caught.exception.code, PROVIDER_FAILURE)
        self.assertEqual((caught.exception.provider, caught.exception.kind), ("openai", "network"))


class DaemonDeathTests(unittest.TestCase):
    def test_a_daemon_killed_mid_stream_fails_the_request_instead_of_hanging(self):
        client = support.new_client()
        client.start()
        try:
            client.settings_update(storyteller_delay_ms=200, max_output_tokens=800)
            scenario = client.scenario_list().scenarios[0]
            adventure = client.adventure_start(scenario.id)
            stream = client.stream_continue(adventure.id)
            next(iter(stream))
            client._process.kill()
            with self.assertRaises(ConnectionLostError):
                stream.result()
        finally:
            self.assertNotEqual(client.close(), 0)


if __name__ == "__main__":
    unittest.main()
