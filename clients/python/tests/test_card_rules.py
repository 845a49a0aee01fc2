"""The card rules (secondary keys, logic, constant, order, probability, recursion, timed effects, groups,
position, notes) and the recursionDepth setting through the client's keywords, read back from the daemon."""

import unittest

import support
from imaginai_client import UNSET, InvalidParamsError

DEFAULTS = {
    "secondaryKeys": [], "selectiveLogic": "andAny", "constant": False, "enabled": True, "order": 100,
    "probability": 100, "scanDepth": None, "excludeRecursion": False, "preventRecursion": False, "sticky": 0,
    "cooldown": 0, "delay": 0, "group": None, "position": "beforeHistory", "depth": 4, "notes": "",
}


class CardRuleTests(support.DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.scenario = self.make_scenario()

    def stored(self, card_id: str) -> dict:
        """The card as the daemon now has it (read through scenario/get, not the update's answer)."""
        cards = {c["id"]: c for c in self.client.scenario_get(self.scenario["id"])["cards"]}
        return cards[card_id]

    def test_a_plain_card_has_the_default_rules(self):
        card = self.client.card_create(scenario_id=self.scenario["id"], name="Plain", keys=["plain"])
        self.assertEqual({k: self.stored(card["id"])[k] for k in DEFAULTS}, DEFAULTS)

    def test_create_with_every_rule_as_keywords(self):
        notes = "  For me only.\n\n  Script data: {\"x\": 1}\n"
        card = self.client.card_create(
            scenario_id=self.scenario["id"], name="Bell", type="item", keys=["bell"], description=" Rings.\n",
            secondary_keys=["fog", "night"], selective_logic="notAll", constant=True, enabled=False, order=250,
            probability=40, scan_depth=7, exclude_recursion=True, prevent_recursion=True, sticky=2, cooldown=3,
            delay=1, group="bells", position="atDepth", depth=6, notes=notes)
        want = {"secondaryKeys": ["fog", "night"], "selectiveLogic": "notAll", "constant": True, "enabled": False,
                "order": 250, "probability": 40, "scanDepth": 7, "excludeRecursion": True, "preventRecursion": True,
                "sticky": 2, "cooldown": 3, "delay": 1, "group": "bells", "position": "atDepth", "depth": 6,
                "notes": notes}
        stored = self.stored(card["id"])
        self.assertEqual({k: stored[k] for k in want}, want)
        self.assertEqual(stored["description"], " Rings.\n", "the description is kept byte for byte")

    def test_keywords_and_a_dict_combine_and_keywords_win(self):
        card = self.client.card_create({"name": "Gull", "order": 5, "selectiveLogic": "andAll"},
                                       scenario_id=self.scenario["id"], order=6)
        self.assertEqual((card["order"], card["selectiveLogic"]), (6, "andAll"))

    def test_update_changes_only_the_fields_given(self):
        card = self.client.card_create(scenario_id=self.scenario["id"], name="Lamp", keys=["lamp"],
                                       description="Oil lamp.", notes="keep", group="light", scan_depth=3)
        before = self.stored(card["id"])
        steps = [
            ({"constant": True}, "bool"),
            ({"enabled": False}, "bool"),
            ({"exclude_recursion": True, "prevent_recursion": True}, "bools"),
            ({"order": -5}, "int"),
            ({"probability": 0}, "int at the bottom of its range"),
            ({"sticky": 4, "cooldown": 2, "delay": 9}, "turn counts"),
            ({"selective_logic": "notAny"}, "enum"),
            ({"position": "afterHistory", "depth": 0}, "enum and int"),
            ({"secondary_keys": ["oil", "/wick(s)?/i"]}, "list"),
            ({"secondary_keys": []}, "empty list"),
            ({"group": "lights"}, "nullable string"),
            ({"scan_depth": 12}, "nullable int"),
            ({"notes": "\n two lines \n\n"}, "text"),
        ]
        expected = dict(before)
        for keywords, kind in steps:
            with self.subTest(kind=kind, keywords=keywords):
                answer = self.client.card_update(card["id"], **keywords)
                for key, value in keywords.items():
                    camel = key.split("_")[0] + "".join(p.title() for p in key.split("_")[1:])
                    expected[camel] = value
                stored = self.stored(card["id"])
                self.assertEqual(stored, expected)
                self.assertEqual(answer, stored)

    def test_none_clears_group_and_scan_depth_while_unset_leaves_them(self):
        card = self.client.card_create(scenario_id=self.scenario["id"], name="Fog", group="weather", scan_depth=2)
        untouched = self.client.card_update(card["id"], name="Fog bank", group=UNSET)
        self.assertEqual((untouched["group"], untouched["scanDepth"]), ("weather", 2))
        cleared = self.client.card_update(card["id"], group=None)
        self.assertEqual((cleared["group"], cleared["scanDepth"]), (None, 2))
        self.client.card_update(card["id"], scan_depth=None)
        stored = self.stored(card["id"])
        self.assertEqual((stored["group"], stored["scanDepth"], stored["name"]), (None, None, "Fog bank"))

    def test_bad_values_are_refused_naming_the_field(self):
        card = self.client.card_create(scenario_id=self.scenario["id"], name="Rope")
        cases = [({"probability": 150}, "probability"), ({"selective_logic": "foo"}, "selectiveLogic"),
                 ({"position": "sideways"}, "position"), ({"sticky": -1}, "sticky"), ({"constant": None}, "constant"),
                 ({"order": None}, "order"), ({"scan_depth": 101}, "scanDepth")]
        for keywords, field in cases:
            with self.subTest(keywords=keywords):
                with self.assertRaises(InvalidParamsError) as caught:
                    self.client.card_update(card["id"], **keywords)
                self.assertIn(field, caught.exception.field or "", caught.exception)
        self.assertEqual({k: self.stored(card["id"])[k] for k in DEFAULTS}, DEFAULTS, "nothing was half-applied")


class RecursionDepthSettingTests(support.DaemonTestCase):
    def test_recursion_depth_defaults_to_two_and_round_trips(self):
        self.assertEqual(self.client.settings_get()["recursionDepth"], 2)
        self.assertEqual(self.client.settings_update(recursion_depth=0)["recursionDepth"], 0)
        self.assertEqual(self.client.settings_update(recursion_depth=10)["recursionDepth"], 10)
        self.assertEqual(self.client.settings_get()["recursionDepth"], 10)
        with self.assertRaises(InvalidParamsError) as caught:
            self.client.settings_update(recursion_depth=11)
        self.assertEqual(caught.exception.field, "changes.recursionDepth")
        self.assertEqual(self.client.settings_get()["recursionDepth"], 10)


if __name__ == "__main__":
    unittest.main()
