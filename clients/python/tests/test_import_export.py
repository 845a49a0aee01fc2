"""Importing real published files from ../shared/fixtures/formats and exporting them back."""

import dataclasses
import json
import unittest

import support
from imaginai_client import InvalidParamsError, Scenario


class ImportExportTests(support.DaemonTestCase):
    def test_scenario_import_of_a_koboldai_story_file(self):
        path = support.fixture("koboldai-story-worldinfo-half-life-2.json")
        data = json.loads(path.read_text(encoding="utf-8"))
        # A KoboldAI story has no title of its own: the file's name names it.
        scenario = self.client.scenario_import(data, file_name=str(path))
        self.assertEqual(scenario.name, "koboldai story worldinfo half life 2")
        self.assertEqual(len(scenario.cards), 25)
        self.assertTrue(scenario.opening_scene.startswith("You are ${}"))
        self.assertEqual(scenario.cards[0].keys, ["Civil Protection", "Metro cop", "CP", "Officer", "Cop"])
        # The result is the scenario, plus the list of every scenario the file held (one here) and what
        # the import skipped or could not keep as written (nothing in this file).
        self.assertEqual((scenario.skipped, scenario.warnings), ([], []))
        stored = self.client.scenario_get(scenario.id)
        self.assertEqual(scenario.scenarios, [stored])
        self.assertIsInstance(stored, Scenario)
        self.assertEqual({k: v for k, v in scenario.to_wire().items() if k not in ("scenarios", "skipped", "warnings")},
                         stored.to_wire(), "the import result is the stored scenario plus its report")

    def test_import_of_the_file_text_as_a_string(self):
        text = support.fixture("charcard-v3-world-narrator-st-export.json").read_text(encoding="utf-8")
        scenario = self.client.scenario_import(text, format="charcard")
        self.assertEqual(scenario.name, "World_Narrator")
        self.assertEqual(len(scenario.cards), 6, "the character's own card ahead of its book's 5 entries")
        self.assertEqual((scenario.cards[0].type, scenario.cards[0].name), ("character", "World_Narrator"))

    def test_export_and_reimport_round_trip(self):
        original = self.make_scenario()
        exported = self.client.scenario_export(original.id)
        self.assertEqual(exported.format, "imaginai")
        self.assertEqual(exported.data["format"], "imaginai.scenario")
        copy = self.client.scenario_import(exported.data)
        self.assertNotEqual(copy.id, original.id)
        for field in ["name", "plotEssentials", "openingScene", "tags", "visibility"]:
            self.assertEqual(copy[field], original[field], field)
        strip = lambda cards: [dataclasses.replace(card, id="") for card in cards]  # noqa: E731
        self.assertEqual(strip(copy.cards), strip(original.cards))
        seed = self.client.scenario_export(original.id, format="seed")
        self.assertEqual(seed.data["cards"][0]["keys"], "Mira, harbormaster", "the prototype's comma strings")

    def test_cards_import_of_a_sillytavern_world_and_export_to_other_formats(self):
        scenario = self.client.scenario_create(name="Eldoria")
        data = json.loads(support.fixture("sillytavern-world-eldoria-2024.json").read_text(encoding="utf-8"))
        imported = self.client.cards_import(data, scenario_id=scenario.id)
        self.assertEqual((imported.format, imported.imported, imported.skipped), ("sillytavern", 4, []))
        self.assertEqual(imported.cards[0].name, "eldoria")
        again = self.client.cards_import(data, scenario_id=scenario.id, format="sillytavern", mode="replace")
        self.assertEqual(len(again.cards), 4, "replace, not append")

        world = self.client.cards_export("sillytavern", scenario_id=scenario.id)
        self.assertEqual(len(world.data["entries"]), 4)
        cards = self.client.cards_export("aidungeon", scenario_id=scenario.id)
        self.assertEqual(len(cards.data), 4)
        self.assertEqual({c["title"] for c in cards.data}, {c.name for c in again.cards})

    def test_data_in_no_known_format_is_invalid_params_on_data(self):
        with self.assertRaises(InvalidParamsError) as caught:
            self.client.scenario_import({"hello": "world"})
        self.assertEqual(caught.exception.field, "data")


if __name__ == "__main__":
    unittest.main()
