"""Nothing lives only in the page: a reload finds everything, and two tabs (two daemons on one database,
joined by `library/changed`) see each other's changes without a reload."""
from __future__ import annotations

import support


class ReloadAndTwoTabsTests(support.WebTestCase):
    def setUp(self) -> None:
        super().setUp()
        with self.daemon() as client:
            client.settings_update(storytellerDelayMs=0)
            scenario = client.scenario_create(name="The Lighthouse", openingScene="Fog rolls over the rocks.")
            self.adventure_id = client.adventure_start(scenario.id, name="Night Watch").id
        self.scenario_id = scenario.id

    def act_in_page(self, text: str) -> None:
        """Chooses Do, types `text` into Action and sends it. Typed in the second person, which the log
        shows as typed (it words "I …" as "You …")."""
        self.wait_for_button("Do").click()
        box = self.wait_for_label("Action")
        box.clear()
        box.send_keys(text)
        self.wait_for_button("Send").click()

    def turn_texts(self) -> list[str]:
        with self.daemon() as client:
            return [turn.text for turn in client.turn_list(self.adventure_id).turns]

    def wait_until_stored(self, action_words: str) -> list[str]:
        """The turns up to the player's action and the answer after it, once both are stored."""
        def stored() -> list[str] | None:
            texts = self.turn_texts()
            for position, text in enumerate(texts[:-1]):
                if action_words in text:
                    return texts[: position + 2]
            return None
        return self.wait_until(stored, f"the daemon to store {action_words!r} and the answer to it")

    def test_a_turn_played_in_the_page_is_there_after_a_reload(self) -> None:
        self.open(f"#/play/{self.adventure_id}")
        self.act_in_page("You climb the spiral stairs.")
        *_, player_text, answer_text = self.wait_until_stored("climb the spiral stairs")
        log = self.wait_for_role("log")
        self.wait_for_text(player_text, within=log)
        self.wait_for_text(answer_text, within=log)

        self.reload()
        self.assertIn(f"#/play/{self.adventure_id}", self.driver.current_url, "a reload stays in the same view")
        log = self.wait_for_role("log")
        self.wait_for_text(player_text, within=log)
        # The storyteller's answer too, not only what the player typed.
        self.wait_for_text(answer_text, within=log)
        # And home, reloaded, lists the adventure with its turns (1 opening + the two played here).
        self.driver.get(f"{self.server.base}/#/")
        self.reload()
        self.wait_for_text("Night Watch")
        self.wait_for_text("3 turns")
        self.assertEqual(self.page_errors(), [])

    def test_a_scenario_made_elsewhere_appears_in_both_tabs_without_a_reload(self) -> None:
        self.open("#/")
        self.wait_for_text("The Lighthouse")
        first = self.driver.current_window_handle
        second = self.new_window("#/")
        self.wait_for_text("The Lighthouse")

        # A third daemon on the same file (what `imaginai serve` from an editor would be).
        with self.daemon() as client:
            client.scenario_create(name="The Sunken Bell")
        for handle in (second, first):
            self.switch_to(handle)
            self.wait_for_text("The Sunken Bell")
        self.assertEqual(self.page_errors(), [])

    def test_a_turn_played_in_one_tab_appears_in_the_other(self) -> None:
        self.open(f"#/play/{self.adventure_id}")
        watcher = self.driver.current_window_handle
        self.wait_for_role("log")
        player = self.new_window(f"#/play/{self.adventure_id}")
        self.act_in_page("You ring the fog bell twice.")
        *_, player_text, answer_text = self.wait_until_stored("ring the fog bell twice")
        self.wait_for_text(answer_text, within=self.wait_for_role("log"))

        self.switch_to(watcher)
        log = self.wait_for_role("log")
        self.wait_for_text(player_text, within=log)
        self.wait_for_text(answer_text, within=log)
        self.switch_to(player)
        self.assertEqual(self.page_errors(), [])
