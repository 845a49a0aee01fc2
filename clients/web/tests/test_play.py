"""The play view and the settings dialog in headless chromium against the real `imaginai web`: acting with
the text streaming in, Stop, Continue, Retry and its versions, Undo/Redo, editing and deleting turns, the
sidebar, the context viewer, settings with the daemon's validation, keyboard-only play, live changes from
another daemon, and a 1,000-turn adventure's first paint."""
from __future__ import annotations

import secrets
import sqlite3

import unicodedata

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import support


def story_log_text_length(driver) -> int:
    return driver.execute_script("return document.querySelector('[role=log]').innerText.length;")


class PlayTestCase(support.WebTestCase):
    def start_adventure(self, *, delay_ms: int = 0, name: str | None = None) -> str:
        """An adventure in the sample scenario (every new library has it); the storyteller's word pause set."""
        with self.daemon() as client:
            client.settings_update(storyteller_delay_ms=delay_ms)
            sample = client.scenario_list().scenarios[0]
            return client.adventure_start(sample.id, name).id

    def open_play(self, adventure_id: str):
        self.open(f"#/play/{adventure_id}")
        log = self.wait_for_role("log")
        self.wait_until(lambda: log.get_attribute("data-painted") is not None, "the story log's first paint")
        return log

    def turns(self, adventure_id: str):
        with self.daemon() as client:
            return client.turn_list(adventure_id)

    def idle(self) -> None:
        """Until no generation runs: Send is back and no turn is streaming."""
        self.wait_until(lambda: not self.driver.find_elements(By.CSS_SELECTOR, ".turn.streaming")
                        and self.driver.find_element(By.CSS_SELECTOR, "button.send").is_displayed(),
                        "the generation to end")

    def shown_turn_texts(self) -> list[str]:
        return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, "[role=log] .turn .turn-text")]

    def act(self, text: str) -> None:
        box = self.wait_for_label("Action")
        box.send_keys(text, Keys.ENTER)
        self.idle()


class ActingTest(PlayTestCase):
    def test_act_streams_into_the_log_and_stop_keeps_what_was_written(self):
        adventure_id = self.start_adventure(delay_ms=60)
        log = self.open_play(adventure_id)
        opening_turns = len(self.turns(adventure_id).turns)

        box = self.wait_for_label("Action")
        box.send_keys("light the lamp")
        self.wait_for_button("Send").click()
        stop = self.wait_for_button("Stop")
        self.assertTrue(self.wait_for_button("Continue").get_attribute("disabled") is not None, "Continue is disabled while writing")
        # The log grows chunk by chunk while the answer is being written.
        streaming = self.wait_until(lambda: self.driver.find_element(By.CSS_SELECTOR, ".turn.streaming .turn-text").text or None,
                                    "the first words of the answer")
        first = story_log_text_length(self.driver)
        self.wait_until(lambda: story_log_text_length(self.driver) > first, "more streamed text after the first chunk")
        second = story_log_text_length(self.driver)
        self.wait_until(lambda: story_log_text_length(self.driver) > second, "still more streamed text")
        self.assertTrue(stop.is_displayed() and streaming)
        self.idle()
        stored = self.turns(adventure_id).turns
        self.assertEqual(len(stored), opening_turns + 2)
        self.assertEqual(stored[-2].text, "light the lamp")
        self.assertEqual(self.shown_turn_texts()[-1], stored[-1].text.strip().replace("\n\n", "\n"))
        self.assertIn("You light the lamp", self.shown_turn_texts()[-2])

        # Stop one mid-stream: the partial text stays, in the log and in the library.
        box.send_keys("walk down to the causeway", Keys.ENTER)
        self.wait_until(lambda: len(self.driver.find_element(By.CSS_SELECTOR, ".turn.streaming .turn-text").text.split()) >= 3,
                        "three streamed words")
        self.wait_for_button("Stop").click()
        self.idle()
        self.wait_for_text("Stopped; what was written is kept.")
        stored = self.turns(adventure_id).turns
        self.assertEqual(len(stored), opening_turns + 4)
        self.assertEqual(stored[-2].text, "walk down to the causeway")
        partial = stored[-1].text
        self.assertGreaterEqual(len(partial.split()), 3)
        self.assertEqual(" ".join(self.shown_turn_texts()[-1].split()), " ".join(partial.split()))
        self.assertEqual(self.page_errors(), [])
        self.screenshot("play")

    def test_continue_retry_versions_undo_redo(self):
        adventure_id = self.start_adventure()
        self.open_play(adventure_id)
        self.act("look at the ledger")
        before = len(self.turns(adventure_id).turns)

        self.wait_for_button("Continue").click()
        self.idle()
        self.wait_until(lambda: len(self.turns(adventure_id).turns) == before + 1, "Continue to add a turn")
        self.wait_until(lambda: len(self.shown_turn_texts()) == before + 1, "the continued turn in the log")

        first_text = self.turns(adventure_id).turns[-1].text
        self.wait_for_button("Retry").click()
        self.idle()
        self.wait_for_text("2/2")
        retried = self.turns(adventure_id).turns[-1]
        self.assertNotEqual(retried.text, first_text)
        self.wait_until(lambda: " ".join(self.shown_turn_texts()[-1].split()) == " ".join(retried.text.split()), "the retried text")

        self.screenshot("play-versions")
        self.wait_for_button("Previous version").click()
        self.wait_for_text("1/2")
        self.wait_until(lambda: " ".join(self.shown_turn_texts()[-1].split()) == " ".join(first_text.split()), "version 1 in the log")
        self.assertEqual(self.turns(adventure_id).turns[-1].text, first_text)
        self.wait_for_button("Next version").click()
        self.wait_for_text("2/2")
        self.wait_until(lambda: self.turns(adventure_id).turns[-1].text == retried.text, "version 2 stored again")

        self.wait_for_button("Undo").click()
        self.wait_until(lambda: len(self.shown_turn_texts()) == before, "Undo to take the continued turn out")
        self.assertEqual(len(self.turns(adventure_id).turns), before)
        self.wait_for_button("Redo").click()
        self.wait_until(lambda: len(self.shown_turn_texts()) == before + 1, "Redo to bring it back")
        self.assertEqual(self.turns(adventure_id).turns[-1].text, retried.text)
        self.assertEqual(self.page_errors(), [])


class TurnEditingTest(PlayTestCase):
    def test_edit_keeps_unsaved_text_and_saves_then_delete_asks_first(self):
        adventure_id = self.start_adventure()
        self.open_play(adventure_id)
        self.act("open the trunk")
        turns = self.turns(adventure_id).turns
        player = turns[-2]

        self.wait_for_button(f"Edit turn {player.index + 1}").click()
        editor = self.wait_for_label(f"Text of turn {player.index + 1}")
        self.assertEqual(editor.get_attribute("value"), "open the trunk")
        editor.send_keys(" slowly")
        # Escape with changes asks; Cancel there keeps the words.
        editor.send_keys(Keys.ESCAPE)
        self.wait_for_text("Discard your changes to this turn?")
        self.wait_for_button("Cancel").click()
        editor = self.wait_for_label(f"Text of turn {player.index + 1}")
        self.assertEqual(editor.get_attribute("value"), "open the trunk slowly")
        self.screenshot("play-edit")
        self.wait_for_button("Save").click()
        self.wait_until(lambda: self.turns(adventure_id).turns[-2].text == "open the trunk slowly", "the edit stored")
        self.wait_for_text("You open the trunk slowly")

        ai = turns[-1]
        self.wait_for_button(f"Delete turn {ai.index + 1}").click()
        self.wait_for_text(f"Delete turn {ai.index + 1}?")
        self.wait_for_button("Cancel").click()
        self.assertEqual(len(self.turns(adventure_id).turns), len(turns))
        self.wait_for_button(f"Delete turn {ai.index + 1}").click()
        confirm = self.wait_until(lambda: support.find_by_name(self.driver, "dialog button", "Delete"), "the Delete confirmation")
        confirm.click()
        self.wait_until(lambda: len(self.turns(adventure_id).turns) == len(turns) - 1, "the turn deleted")
        self.wait_until(lambda: len(self.shown_turn_texts()) == len(turns) - 1, "the turn gone from the log")
        self.assertEqual(self.page_errors(), [])

    def test_keyboard_only(self):
        adventure_id = self.start_adventure()
        self.open_play(adventure_id)
        active = lambda: self.driver.switch_to.active_element
        self.assertEqual(active().accessible_name, "Action", "the action box has the focus when the view opens")
        # Say mode by keyboard: Shift+Tab back to the mode buttons, Enter on Say.
        for _ in range(12):
            if active().accessible_name == "Say":
                break
            active().send_keys(Keys.SHIFT, Keys.TAB)
        self.assertEqual(active().accessible_name, "Say")
        active().send_keys(Keys.ENTER)
        self.assertEqual(active().get_attribute("aria-pressed"), "true")
        for _ in range(12):
            if active().accessible_name == "Action":
                break
            active().send_keys(Keys.TAB)
        self.assertEqual(active().accessible_name, "Action")
        active().send_keys("is anyone here?", Keys.SHIFT, Keys.ENTER, Keys.NULL, "hello?")
        self.assertEqual(active().get_attribute("value"), "is anyone here?\nhello?", "Shift+Enter is a new line")
        active().send_keys(Keys.ENTER)
        self.idle()
        turns = self.turns(adventure_id).turns
        self.assertEqual((turns[-2].action, turns[-2].text), ("say", "is anyone here?\nhello?"))
        # The turn tools are reachable with Tab and show on focus.
        self.driver.find_element(By.CSS_SELECTOR, "[role=log]").click()
        for _ in range(60):
            if (active().get_attribute("aria-label") or "").startswith("Edit turn"):
                break
            active().send_keys(Keys.TAB)
        self.assertTrue(active().get_attribute("aria-label").startswith("Edit turn"))
        self.assertEqual(self.driver.execute_script(
            "return getComputedStyle(document.activeElement.closest('.turn-tools')).opacity;"), "1")
        self.assertEqual(self.page_errors(), [])


class SidebarAndContextTest(PlayTestCase):
    def test_sidebar_tabs_and_context_viewer(self):
        adventure_id = self.start_adventure()
        with self.daemon() as client:
            card = next(card for card in client.adventure_get(adventure_id).cards if card.keys and not card.constant)
        self.open_play(adventure_id)
        self.act("look around")

        # Plot: an edit is unsaved until saved, then stored.
        self.wait_for_role("tab", "Plot").click()
        notes = self.wait_for_label("Author's notes")
        notes.send_keys(" Keep it eerie.")
        self.wait_for_text("Unsaved changes")
        self.wait_for_button("Save plot").click()
        self.wait_until(lambda: self.daemon_adventure(adventure_id).authors_notes.endswith(" Keep it eerie."), "the notes stored")
        self.screenshot("play-sidebar-plot")

        # Cards: search, then add one through the editor.
        self.wait_for_role("tab", "Cards").click()
        search = self.wait_for_label("Search cards")
        search.send_keys(card.name)
        self.wait_for_text(f"of {len(self.daemon_adventure(adventure_id).cards)} cards")
        self.screenshot("play-sidebar-cards")
        search.clear()
        self.wait_for_button("Add card").click()
        self.wait_for_role("dialog", "New card")
        self.wait_for_label("Name").send_keys("<img src=x onerror=alert(1)>")
        self.wait_for_label("Keys").send_keys("causeway, bell")
        self.wait_for_label("Text").send_keys("A drowned bell.")
        self.screenshot("play-card-editor")
        support.find_by_name(self.driver, "dialog button", "Add card").click()
        self.wait_until(lambda: any(card.name == "<img src=x onerror=alert(1)>" and card.keys == ["causeway", "bell"]
                                    for card in self.daemon_adventure(adventure_id).cards), "the new card stored in the adventure")
        self.wait_until(lambda: not self.driver.find_elements(By.CSS_SELECTOR, "dialog[open]"), "the card dialog closed")
        self.wait_for_text("<img src=x onerror=alert(1)>")

        # Memory: the summary is saved as a version.
        self.wait_for_role("tab", "Memory").click()
        summary = self.wait_for_label("Summary (the story so far, sent with every turn)")
        summary.send_keys("You arrived at Morrow Rock.")
        self.wait_for_button("Save summary").click()
        self.wait_for_text("Version 1 · written by you")
        summary.send_keys(" The bell rang.")
        self.wait_for_button("Save summary").click()
        self.wait_for_text("Version 2 · written by you")
        self.wait_for_button("Use summary version 1").click()
        self.wait_until(lambda: self.daemon_adventure(adventure_id).summary == "You arrived at Morrow Rock.", "version 1 restored")
        self.wait_for_text("Version 3 · written by you")
        self.assertEqual(summary.get_attribute("value"), "You arrived at Morrow Rock.")
        self.screenshot("play-sidebar-memory")

        # Info: turns and usage; the tabs follow the arrow keys too.
        self.wait_for_role("tab", "Memory").send_keys(Keys.ARROW_RIGHT)
        self.assertEqual(self.driver.switch_to.active_element.accessible_name, "Info")
        self.assertEqual(self.wait_for_role("tab", "Info").get_attribute("aria-selected"), "true")
        self.wait_for_text(f"Turns {len(self.turns(adventure_id).turns)}")
        self.wait_for_text("offline/storyteller")
        self.screenshot("play-sidebar-info")

        # The context viewer for an action naming a card's key: sections and the card that fired, and why.
        self.wait_for_label("Action").send_keys(f"ask about {card.keys[0]}")
        self.wait_for_button("Context").click()
        dialog = self.wait_for_role("dialog", "Context")
        self.wait_for_text("Sections", within=dialog)
        self.wait_for_text("System instruction", within=dialog)
        self.wait_for_text("History", within=dialog)
        self.wait_for_text(card.name, within=dialog)
        self.wait_for_text(f"key “{card.keys[0]}” in the story", within=dialog)
        self.screenshot("play-context")
        dialog.send_keys(Keys.ESCAPE)
        self.wait_until(lambda: not self.driver.find_elements(By.CSS_SELECTOR, "dialog[open]"), "the context viewer closed")
        self.assertEqual(self.alerts(), [])
        self.assertEqual(self.csp_violations(), [], "the token bar is sized through CSSOM, which the CSP allows")
        self.assertEqual(self.page_errors(), [])

    def test_phone_sidebar_is_a_drawer(self):
        adventure_id = self.start_adventure()
        self.open_play(adventure_id)
        support.set_viewport(self.driver, support.PHONE)
        self.assertIsNone(support.find_by_name(self.driver, "[role=tab]", "Plot"), "the drawer starts closed on a phone")
        self.wait_for_button("Sidebar").click()
        self.wait_for_role("tab", "Info").click()
        self.wait_for_text("offline/storyteller")
        self.driver.save_screenshot(str(support.SCREENSHOTS / "play-drawer-phone.png"))
        self.wait_for_button("Close").click()
        self.wait_until(lambda: support.find_by_name(self.driver, "[role=tab]", "Info") is None, "the drawer closed")
        support.set_viewport(self.driver, support.DESKTOP)

    def daemon_adventure(self, adventure_id: str):
        with self.daemon() as client:
            return client.adventure_get(adventure_id)


class SettingsTest(PlayTestCase):
    def test_settings_save_at_once_and_show_the_daemons_message(self):
        adventure_id = self.start_adventure()
        self.open_play(adventure_id)
        self.wait_for_button("Settings").click()
        dialog = self.wait_for_role("dialog", "Settings")
        model = self.wait_for_label("Model")
        self.assertEqual(model.get_attribute("value"), "offline/storyteller")
        self.wait_for_text("The same seed and story give the same text.", within=dialog)
        base = self.wait_for_label("Base system instruction (sent first with every turn; read-only)")
        self.assertIsNotNone(base.get_attribute("readonly"))
        with self.daemon() as client:
            self.assertEqual(base.get_attribute("value"), client.settings_get().base_system_instruction)

        limit = self.wait_for_label("Max output tokens")
        limit.clear()
        limit.send_keys("300", Keys.TAB)
        self.wait_until(lambda: self.settings().max_output_tokens == 300, "maxOutputTokens 300 stored")
        limit.clear()
        limit.send_keys("1200", Keys.TAB)
        self.wait_for_text("must be between 50 and 800", within=dialog)
        self.assertEqual(limit.get_attribute("aria-invalid"), "true")
        self.assertEqual(self.settings().max_output_tokens, 300, "a refused value changes nothing")
        # The model picker: a model set elsewhere that is not available is shown as such, and picking the
        # storyteller from the list stores it at once.
        with self.daemon() as client:
            client.settings_update(model="openai/gpt-4o")
        dialog.send_keys(Keys.ESCAPE)
        self.wait_until(lambda: not self.driver.find_elements(By.CSS_SELECTOR, "dialog[open]"), "the dialog closed by Escape")
        self.wait_for_button("Settings").click()
        dialog = self.wait_for_role("dialog", "Settings")
        model = self.wait_for_label("Model")
        self.wait_until(lambda: model.get_attribute("value") == "openai/gpt-4o", "the model set elsewhere")
        from selenium.webdriver.support.ui import Select
        Select(model).select_by_value("offline/storyteller")
        self.wait_until(lambda: self.settings().model == "offline/storyteller", "the picked model stored")
        self.wait_for_text("Offline storyteller", within=dialog)
        self.screenshot("settings")
        dialog.send_keys(Keys.ESCAPE)
        self.wait_until(lambda: not self.driver.find_elements(By.CSS_SELECTOR, "dialog[open]"), "the dialog closed by Escape")
        self.assertEqual(self.page_errors(), [])

    def settings(self):
        with self.daemon() as client:
            return client.settings_get()


class LiveAndLongTest(PlayTestCase):
    def test_changes_from_another_daemon_show_and_a_deleted_adventure_says_so(self):
        adventure_id = self.start_adventure()
        self.open_play(adventure_id)
        with self.daemon() as client:
            opening = client.turn_list(adventure_id).turns[0]
            client.turn_edit(opening.id, "The fog is *thick* tonight. **Listen.** <img src=x onerror=alert(1)>\n\n- a bell\n- a `voice`")
        self.wait_until(lambda: self.driver.find_elements(By.CSS_SELECTOR, "[role=log] .turn em"), "the edit made elsewhere, emphasis rendered")
        self.wait_for_text("The fog is thick tonight. Listen. <img src=x onerror=alert(1)>")
        opening_element = self.driver.find_element(By.CSS_SELECTOR, f"[data-turn-id='{opening.id}']")
        self.assertEqual(opening_element.find_element(By.CSS_SELECTOR, "strong").text, "Listen.")
        self.assertEqual([item.text for item in opening_element.find_elements(By.CSS_SELECTOR, "li")], ["a bell", "a voice"])
        self.assertEqual(opening_element.find_element(By.CSS_SELECTOR, "li code").text, "voice")
        self.assertEqual(opening_element.find_elements(By.CSS_SELECTOR, "img"), [], "markup in a turn stays text")
        self.assertEqual(self.alerts(), [])

        # A turn deleted elsewhere while being edited here: the unsaved words move to the action box.
        with self.daemon() as client:
            ai = client.story_act(adventure_id, "do", "wait").ai_turn
        self.wait_for_button(f"Edit turn {ai.index + 1}").click()
        editor = self.wait_for_label(f"Text of turn {ai.index + 1}")
        editor.send_keys(" And the bell rings.")
        with self.daemon() as client:
            client.turn_delete(ai.id)
        action = self.wait_for_label("Action")
        self.wait_until(lambda: action.get_attribute("value").endswith(" And the bell rings."), "the unsaved edit in the action box")
        self.assertEqual(action.get_attribute("value"), ai.text + " And the bell rings.")
        with self.daemon() as client:
            client.adventure_delete(adventure_id)
        self.wait_for_text("This adventure was deleted")

    def test_a_thousand_turns_paint_the_newest_page_first_and_page_back_on_scroll(self):
        adventure_id = self.start_adventure()
        with self.daemon() as client:
            for action in ("look around", "walk to the door", "listen"):
                client.story_act(adventure_id, "do", action)
            seed = client.turn_list(adventure_id).turns[1:]
        fill_history(self.db, adventure_id, seed, total=1000)
        log = self.open_play(adventure_id)
        painted_ms = int(log.get_attribute("data-painted"))
        self.assertLess(painted_ms, 300, "the first paint of a 1,000-turn adventure")
        since_navigation = self.driver.execute_script(
            "return Math.round(performance.getEntriesByName('imaginai:play-painted')[0].startTime);")
        print(f"\n[bench] play view first paint, 1,000 turns: {painted_ms} ms from the view's start, "
              f"{log.get_attribute('data-rendered')} ms of it building and painting the page of 50 turns "
              f"({since_navigation} ms from navigation, connecting included)", flush=True)
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "[role=log] .turn")), 50)
        # Scrolling to the top loads the page before, keeping the turn that was on top in its place.
        top_turn = self.driver.find_element(By.CSS_SELECTOR, "[role=log] .turn")
        self.driver.execute_script("arguments[0].scrollTop = 0;", log)
        self.wait_until(lambda: len(self.driver.find_elements(By.CSS_SELECTOR, "[role=log] .turn")) == 100, "the older page")
        offset = self.driver.execute_script(
            "return arguments[0].getBoundingClientRect().top - arguments[1].getBoundingClientRect().top;", top_turn, log)
        self.assertGreater(offset, 0, "the reader's place did not jump to the new page's top")
        self.assertEqual(self.driver.find_element(By.CSS_SELECTOR, "[role=log] .turn").get_attribute("data-index"), "900")

        # With a small window most turns are dropped; the context viewer says so and recall brings some back,
        # which the Memory tab lists.
        with self.daemon() as client:
            client.settings_update(context_tokens=1024)
            preview = client.request("story/preview", {"adventureId": adventure_id, "action": "do", "text": "look at the ledger"})
        self.assertGreater(len(preview["recalledTurns"]), 0, "recall finds the ledger in the older turns")
        self.wait_for_label("Action").send_keys("look at the ledger")
        self.wait_for_button("Context").click()
        dialog = self.wait_for_role("dialog", "Context")
        dropped = sorted(preview["droppedTurns"])
        self.wait_for_text(f"Dropped for the budget: turns {dropped[0] + 1}–{dropped[-1] + 1} ({len(dropped)} turns).", within=dialog)
        self.wait_for_text(f"Older turns left out: {preview['olderTurnsOmitted']}.", within=dialog)
        self.wait_for_text(f"Recalled into memories: {len(preview['recalledTurns'])}", within=dialog)
        self.wait_for_text("left out: no room in the card budget", within=dialog)
        dialog.send_keys(Keys.ESCAPE)
        self.wait_for_role("tab", "Memory").click()
        self.wait_until(lambda: self.driver.find_elements(By.CSS_SELECTOR, ".recalled-list li"), "the recalled turns listed")
        self.assertTrue(all(item.text.startswith("[Turn ") for item in self.driver.find_elements(By.CSS_SELECTOR, ".recalled-list li")))
        self.assertEqual(self.page_errors(), [])


def fill_history(db, adventure_id: str, seed, *, total: int) -> None:
    """Writes turns straight into the database up to `total` (the protocol cannot add turns without
    generating them; the bench's long-adventure row does the same). The recall triggers call the daemon's
    SQL function, given here a close stand-in (case and accents folded): recall is not under test."""
    def recall_text(text):
        folded = unicodedata.normalize("NFKD", text or "").casefold()
        return "".join(character for character in folded if not unicodedata.combining(character))
    connection = sqlite3.connect(db)
    connection.create_function("imaginai_recall_text", 1, recall_text, deterministic=True)
    with connection:
        start, created = connection.execute(
            "SELECT COALESCE(MAX(turnIndex) + 1, 0), (SELECT createdAt FROM adventure WHERE id = ?) FROM turn WHERE adventureId = ?",
            (adventure_id, adventure_id)).fetchone()
        alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
        rows = []
        for index in range(start, total):
            turn = seed[(index - start) % len(seed)]
            turn_id = "turn_" + "".join(secrets.choice(alphabet) for _ in range(20))
            rows.append((turn_id, adventure_id, index, turn.role, turn.action, turn.text, created))
        connection.executemany(
            "INSERT INTO turn (id, adventureId, turnIndex, role, action, text, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    connection.close()


if __name__ == "__main__":
    import unittest
    unittest.main()
