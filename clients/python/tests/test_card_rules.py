"""The card rules (secondary keys, logic, constant, order, probability, recursion, timed effects, groups,
position, notes) and the recursionDepth setting through the client's keywords, read back from the daemon."""

import dataclasses
import unittest

import support
from imaginai_client import UNSET, Card, InvalidParamsError

DEFAULTS = {
    "secondary_keys": [], "selective_logic": "andAny", "constant": False, "enabled": True, "order": 100,
    "probability": 100, "scan_depth": None, "exclude_recursion": False, "prevent_recursion": False, "sticky": 0,
    "cooldown": 0, "delay": 0, "group": None, "position": "beforeHistory", "depth": 4, "notes": "",
}


def rules(card: Card) -> dict:
    return {name: getattr(card, name) for name in DEFAULTS}


class CardRuleTests(support.DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.scenario = self.make_scenario()

    def stored(self, card_id: str) -> Card:
        """The card as the daemon now has it (read through scenario/get, not the update's answer)."""
        cards = {c.id: c for c in self.client.scenario_get(self.scenario.id).cards}
        return cards[card_id]

    def test_a_plain_card_has_the_default_rules(self):
        card = self.client.card_create(scenario_id=self.scenario.id, name="Plain", keys=["plain"])
        self.assertEqual(rules(self.stored(card.id)), DEFAULTS)

    def test_create_with_every_rule_as_keywords(self):
        notes = "  For me only.\n\n  Script data: {\"x\": 1}\n"
        card = self.client.card_create(
            scenario_id=self.scenario.id, name="Bell", type="item", keys=["bell"], description=" Rings.\n",
            secondary_keys=["fog", "night"], selective_logic="notAll", constant=True, enabled=False, order=250,
            probability=40, scan_depth=7, exclude_recursion=True, prevent_recursion=True, sticky=2, cooldown=3,
            delay=1, group="bells", position="atDepth", depth=6, notes=notes)
        want = {"secondary_keys": ["fog", "night"], "selective_logic": "notAll", "constant": True, "enabled": False,
                "order": 250, "probability": 40, "scan_depth": 7, "exclude_recursion": True,
                "prevent_recursion": True, "sticky": 2, "cooldown": 3, "delay": 1, "group": "bells",
                "position": "atDepth", "depth": 6, "notes": notes}
        stored = self.stored(card.id)
        self.assertEqual(rules(stored), want)
        self.assertEqual(stored.description, " Rings.\n", "the description is kept byte for byte")

    def test_keywords_and_a_dict_combine_and_keywords_win(self):
        card = self.client.card_create({"name": "Gull", "order": 5, "selectiveLogic": "andAll"},
                                       scenario_id=self.scenario.id, order=6)
        self.assertEqual((card.order, card.selective_logic), (6, "andAll"))

    def test_update_changes_only_the_fields_given(self):
        card = self.client.card_create(scenario_id=self.scenario.id, name="Lamp", keys=["lamp"],
                                       description="Oil lamp.", notes="keep", group="light", scan_depth=3)
        before = self.stored(card.id)
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
        expected = before
        for keywords, kind in steps:
            with self.subTest(kind=kind, keywords=keywords):
                answer = self.client.card_update(card.id, **keywords)
                expected = dataclasses.replace(expected, **keywords)
                stored = self.stored(card.id)
                self.assertEqual(stored, expected)
                self.assertEqual(answer, stored)

    def test_none_clears_group_and_scan_depth_while_unset_leaves_them(self):
        card = self.client.card_create(scenario_id=self.scenario.id, name="Fog", group="weather", scan_depth=2)
        untouched = self.client.card_update(card.id, name="Fog bank", group=UNSET)
        self.assertEqual((untouched.group, untouched.scan_depth), ("weather", 2))
        cleared = self.client.card_update(card.id, group=None)
        self.assertEqual((cleared.group, cleared.scan_depth), (None, 2))
        self.client.card_update(card.id, scan_depth=None)
        stored = self.stored(card.id)
        self.assertEqual((stored.group, stored.scan_depth, stored.name), (None, None, "Fog bank"))

    def test_bad_values_are_refused_naming_the_field(self):
        card = self.client.card_create(scenario_id=self.scenario.id, name="Rope")
        cases = [({"probability": 150}, "probability"), ({"selective_logic": "foo"}, "selectiveLogic"),
                 ({"position": "sideways"}, "position"), ({"sticky": -1}, "sticky"), ({"constant": None}, "constant"),
                 ({"order": None}, "order"), ({"scan_depth": 101}, "scanDepth")]
        for keywords, field in cases:
            with self.subTest(keywords=keywords):
                with self.assertRaises(InvalidParamsError) as caught:
                    self.client.card_update(card.id, **keywords)
                self.assertIn(field, caught.exception.field or "", caught.exception)
        self.assertEqual(rules(self.stored(card.id)), DEFAULTS, "nothing was half-applied")


class RecursionDepthSettingTests(support.DaemonTestCase):
    def test_recursion_depth_defaults_to_two_and_round_trips(self):
        self.assertEqual(self.client.settings_get().recursion_depth, 2)
        self.assertEqual(self.client.settings_update(recursion_depth=0).recursion_depth, 0)
        self.assertEqual(self.client.settings_update(recursion_depth=10).recursion_depth, 10)
        self.assertEqual(self.client.settings_get().recursion_depth, 10)
        with self.assertRaises(InvalidParamsError) as caught:
            self.client.settings_update(recursion_depth=11)
        self.assertEqual(caught.exception.field, "changes.recursionDepth")
        self.assertEqual(self.client.settings_get().recursion_depth, 10)


if __name__ == "__main__":
    unittest.main()
