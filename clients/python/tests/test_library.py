"""Scenarios, cards, adventures, turns and settings through the client's methods."""

import unittest

import support
from imaginai_client import InvalidParamsError, NotFoundError


class ScenarioTests(support.DaemonTestCase):
    def test_new_database_holds_the_sample_scenario(self):
        listed = self.client.scenario_list()
        self.assertEqual(listed.total, 1)
        self.assertEqual(listed.scenarios[0].name, "The Keeper of Morrow Rock")
        self.assertGreater(listed.scenarios[0].card_count, 0)

    def test_scenario_crud_with_cards(self):
        created = self.make_scenario()
        self.assertTrue(created.id)
        self.assertEqual(created.plot_essentials[:20], "The harbor town of K", "snake_case keywords became camelCase")
        self.assertEqual([c.name for c in created.cards], ["Mira Vell", "The ferry"])
        self.assertEqual(created.cards[0].keys, ["Mira", "harbormaster"])
        self.assertEqual(created.visibility, "private")

        got = self.client.scenario_get(created.id)
        self.assertEqual(got, created)

        listed = self.client.scenario_list(query="harbor")
        self.assertEqual([s.id for s in listed.scenarios], [created.id])
        self.assertEqual(listed.scenarios[0].card_count, 2)
        self.assertEqual(self.client.scenario_list(limit=1).total, 2)

        updated = self.client.scenario_update(created.id, {"tags": ["fog", " Fog ", "harbor"]}, authors_notes="Slow.")
        self.assertEqual(updated.tags, ["fog", "harbor"])
        self.assertEqual(updated.authors_notes, "Slow.")
        self.assertGreaterEqual(updated.updated_at, created.updated_at)
        self.assertEqual(self.client.scenario_list(tag="FOG").total, 1)

        # Cards on the scenario.
        card = self.client.card_create(scenario_id=created.id, name="Bell", type="item", keys=[" bell ", ""],
                                       description="A bell rings in the fog.")
        self.assertEqual(card.keys, ["bell"])
        renamed = self.client.card_update(card.id, name="The bell")
        self.assertEqual((renamed.id, renamed.name, renamed.type), (card.id, "The bell", "item"))
        copy = self.client.card_duplicate(card.id)
        self.assertNotEqual(copy.id, card.id)
        self.assertEqual(self.client.card_delete(copy.id).deleted, copy.id)
        names = [c.name for c in self.client.scenario_get(created.id).cards]
        self.assertEqual(names, ["Mira Vell", "The ferry", "The bell"])
        with self.assertRaises(InvalidParamsError):
            self.client.card_create({"name": "Nobody's"})  # neither scenarioId nor adventureId

        duplicate = self.client.scenario_duplicate(created.id, name="Harbor again")
        self.assertEqual(duplicate.name, "Harbor again")
        self.assertEqual(len(duplicate.cards), 3)

        self.assertEqual(self.client.scenario_delete(created.id).deleted, created.id)
        with self.assertRaises(NotFoundError):
            self.client.scenario_get(created.id)
        self.assertEqual(self.client.scenario_list().total, 2)


class AdventureTests(support.DaemonTestCase):
    def test_adventure_start_copies_the_scenario_and_opens_with_its_scene(self):
        scenario = self.make_scenario()
        adventure = self.client.adventure_start(scenario.id, name="First try")
        self.assertEqual(adventure.name, "First try")
        self.assertEqual(adventure.scenario_id, scenario.id)
        self.assertEqual(adventure.scenario_name, "Harbor")
        self.assertEqual(adventure.turn_count, 1)
        self.assertEqual([c.name for c in adventure.cards], ["Mira Vell", "The ferry"])
        turns = self.client.turn_list(adventure.id)
        self.assertEqual(turns.turn_count, 1)
        opening = turns.turns[0]
        self.assertEqual((opening.index, opening.role, opening.action), (0, "ai", None))
        self.assertEqual(opening.text, scenario.opening_scene)

        # The adventure's cards are its own copy.
        card = self.client.card_create(adventure_id=adventure.id, name="Fog", keys=["fog"], description="Thick.")
        self.assertEqual(len(self.client.adventure_get(adventure.id).cards), 3)
        self.assertEqual(len(self.client.scenario_get(scenario.id).cards), 2)
        exported = self.client.cards_export("imaginai", adventure_id=adventure.id)
        self.assertEqual([c["id"] for c in exported.data["cards"]][-1], card.id)

        updated = self.client.adventure_update(adventure.id, name="Renamed", plot_essentials="Changed.")
        self.assertEqual((updated.name, updated.plot_essentials), ("Renamed", "Changed."))
        listed = self.client.adventure_list()
        self.assertEqual(listed.total, 1)
        self.assertEqual(listed.adventures[0].excerpt[:10], scenario.opening_scene[:10])

        edited = self.client.turn_edit(opening.id, "You stand on the quay.")
        self.assertEqual(edited.text, "You stand on the quay.")
        copy = self.client.adventure_duplicate(adventure.id, name="Copy", up_to_turn=opening.id)
        self.assertEqual((copy.name, copy.turn_count), ("Copy", 1))

        self.assertEqual(self.client.turn_delete(opening.id).deleted, opening.id)
        restarted = self.client.adventure_restart(adventure.id)
        self.assertEqual(restarted.turn_count, 1)
        self.assertEqual(self.client.adventure_delete(copy.id).deleted, copy.id)
        self.assertEqual(self.client.adventure_list().total, 1)


class SettingsTests(support.DaemonTestCase):
    def test_settings_round_trip(self):
        settings = self.client.settings_get()
        self.assertEqual(settings.model, "offline/storyteller")
        self.assertEqual(settings.storyteller_delay_ms, 0, "set by the test setup")
        changed = self.client.settings_update({"responseHandling": "summarize"}, max_output_tokens=350)
        self.assertEqual((changed.max_output_tokens, changed.response_handling), (350, "summarize"))
        self.assertEqual(self.client.settings_get(), changed)
        models = self.client.models_list().models
        self.assertEqual(models[0].id, "offline/storyteller")
        self.assertTrue(models[0].available)


if __name__ == "__main__":
    unittest.main()
