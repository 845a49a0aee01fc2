"""The result dataclasses against Protocol/openrpc.json, and their lenient decoding (no daemon needed).

A protocol change the client misses fails here: a property added, removed, renamed, made nullable or
optional, given another JSON type or another enum value; a new result schema; a method whose result
the client decodes as something else.
"""

import dataclasses
import inspect
import json
import types
import typing
import unittest
from typing import Any, Literal, Union

import support
from imaginai_client import (
    METHODS,
    AsyncClient,
    Card,
    Client,
    DecodeError,
    InitializeResult,
    LibraryChange,
    ModelInfo,
    StoryResult,
    Turn,
    WireObject,
)
from imaginai_client.models import WIRE_TYPES, wire_name

OPENRPC = json.loads((support.REPO_ROOT / "Protocol" / "openrpc.json").read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = OPENRPC["components"]["schemas"]
NOTIFICATIONS = {entry["name"]: entry for entry in OPENRPC.get("x-notifications", [])}

#: Schemas that are params (sent, not received) or scalar aliases used inside other schemas.
NOT_RESULTS = {"ClientInfo", "Timestamp", "Visibility", "ActionKind"}

PY_JSON = {str: "string", int: "integer", bool: "boolean", float: "number", type(None): "null"}


def resolve(schema: dict[str, Any]) -> tuple[set[str], set[Any] | None, str | None, dict[str, Any] | None]:
    """A property schema as (JSON types, enum values or None, $ref'd object schema name, array item schema).

    An empty type set means "any JSON value" (the schema gives no type).
    """
    kinds: set[str] = set()
    enum: set[Any] | None = None
    ref_name: str | None = None
    items: dict[str, Any] | None = None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = SCHEMAS[name]
        if "properties" in target:
            return {"object"}, None, name, None
        return resolve(target)
    for key in ("oneOf", "anyOf"):
        for option in schema.get(key, []):
            option_kinds, option_enum, option_ref, option_items = resolve(option)
            kinds |= option_kinds
            if option_enum is not None:
                enum = (enum or set()) | option_enum
            ref_name = ref_name or option_ref
            items = items or option_items
    declared = schema.get("type")
    if declared is not None:
        kinds |= set(declared) if isinstance(declared, list) else {declared}
    if "enum" in schema:
        values = set(schema["enum"])
        if None in values:
            kinds.add("null")
        enum = (enum or set()) | {value for value in values if value is not None}
    if "items" in schema:
        items = schema["items"]
    return kinds, enum, ref_name, items


def annotation_shape(hint: Any) -> tuple[set[str], set[Any] | None, str | None, Any]:
    """The same shape from a dataclass field's type hint: (JSON types, Literal values, schema name, item hint)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return set(), None, None, None
    if origin in (Union, types.UnionType):
        kinds: set[str] = set()
        enum: set[Any] | None = None
        ref: str | None = None
        item: Any = None
        for member in typing.get_args(hint):
            member_kinds, member_enum, member_ref, member_item = annotation_shape(member)
            kinds |= member_kinds
            enum = member_enum if member_enum is not None else enum
            ref = ref or member_ref
            item = item if item is not None else member_item
        return kinds, enum, ref, item
    if origin is Literal:
        return {"string"}, set(typing.get_args(hint)), None, None
    if origin is list:
        return {"array"}, None, None, typing.get_args(hint)[0]
    if origin is dict or hint is dict:
        return {"object"}, None, None, None
    if isinstance(hint, type) and issubclass(hint, WireObject):
        return {"object"}, None, hint.SCHEMA, None
    return {PY_JSON[hint]}, None, None, None


class SchemaConformanceTests(unittest.TestCase):
    def assert_matches(self, cls: type[WireObject], properties: dict[str, Any], required: set[str], where: str):
        hints = typing.get_type_hints(cls)
        fields = {field.name: field for field in dataclasses.fields(cls) if field.name != "extra"}
        by_wire = {wire_name(name): name for name in fields}
        self.assertEqual(len(by_wire), len(fields), f"{cls.__name__}: two attributes share a protocol name")
        self.assertEqual(sorted(by_wire), sorted(properties),
                         f"{cls.__name__}'s fields are not {where}'s properties")
        for wire, attribute in by_wire.items():
            with self.subTest(schema=where, field=wire):
                field = fields[attribute]
                required_in_python = (field.default is dataclasses.MISSING
                                      and field.default_factory is dataclasses.MISSING)
                self.assertEqual(required_in_python, wire in required,
                                 f"{wire}: required in {where} exactly when the field has no default")
                kinds, enum, ref, items = resolve(properties[wire])
                hint_kinds, hint_enum, hint_ref, hint_item = annotation_shape(hints[attribute])
                if wire not in required:
                    kinds = kinds | {"null"}  # an absent property decodes as None
                self.assertEqual(hint_kinds, kinds, f"{cls.__name__}.{attribute}: JSON types")
                if hint_enum is not None:
                    self.assertEqual(hint_enum, enum, f"{cls.__name__}.{attribute}: enum values")
                self.assertEqual(hint_ref, ref, f"{cls.__name__}.{attribute}: nested schema")
                if items is not None or hint_item is not None:
                    self.assertIsNotNone(items, f"{cls.__name__}.{attribute}: the schema's array has no items")
                    item_kinds, item_enum, item_ref, _ = resolve(items)
                    hint_item_kinds, hint_item_enum, hint_item_ref, _ = annotation_shape(hint_item)
                    self.assertEqual((hint_item_kinds, hint_item_ref), (item_kinds, item_ref),
                                     f"{cls.__name__}.{attribute}: array items")

    def test_every_result_dataclass_matches_its_schema(self):
        for name, cls in WIRE_TYPES.items():
            if name not in SCHEMAS:
                continue  # notification params, checked below
            schema = SCHEMAS[name]
            self.assert_matches(cls, schema["properties"], set(schema.get("required", [])), name)

    def test_every_result_schema_has_a_dataclass(self):
        results = {name for name, schema in SCHEMAS.items()
                   if not name.endswith(("Draft", "Changes")) and name not in NOT_RESULTS}
        self.assertEqual(sorted(results - set(WIRE_TYPES)), [], "schemas the client does not model")

    def test_every_method_decodes_its_documented_result(self):
        for method in OPENRPC["methods"]:
            name = method["name"]
            schema = method["result"]["schema"]
            for client in (Client, AsyncClient):
                with self.subTest(method=name, client=client.__name__):
                    self.assertIn(name, METHODS, "a protocol method without a client method")
                    returned = typing.get_type_hints(getattr(client, METHODS[name]))["return"]
                    if "$ref" in schema:
                        self.assertTrue(isinstance(returned, type) and issubclass(returned, WireObject), returned)
                        self.assertEqual(returned.SCHEMA, schema["$ref"].rsplit("/", 1)[-1])
                    else:
                        self.assertEqual(schema, {"type": "null"})
                        self.assertIs(returned, type(None))

    def test_notification_params_match_their_dataclasses(self):
        self.assertEqual(sorted(NOTIFICATIONS), ["library/changed", "story/chunk"], "notifications the client ignores")
        for method, cls in [("story/chunk", WIRE_TYPES["StoryChunk"]), ("library/changed", LibraryChange)]:
            with self.subTest(notification=method):
                self.assertIn(method, NOTIFICATIONS, "a notification the client reads is not documented")
                params = NOTIFICATIONS[method]["params"]
                self.assert_matches(cls, {p["name"]: p["schema"] for p in params},
                                    {p["name"] for p in params if p.get("required")}, method)

    def test_both_clients_offer_the_same_methods_with_the_same_parameters(self):
        def public(cls: type) -> dict[str, Any]:
            return {name: member for name, member in vars(cls).items()
                    if callable(member) and not name.startswith("_")}

        blocking, asynchronous = public(Client), public(AsyncClient)
        only_blocking = {"send"}  # asyncio's own tasks do what PendingRequest does
        only_async = {"library_changes"}  # an async iterator has no blocking twin here; use on_library_changed
        self.assertEqual(sorted(set(blocking) - set(asynchronous) - only_blocking), [])
        self.assertEqual(sorted(set(asynchronous) - set(blocking) - only_async), [])
        for name in set(blocking) & set(asynchronous):
            with self.subTest(method=name):
                ours = [(p.name, p.kind) for p in inspect.signature(blocking[name]).parameters.values()]
                theirs = [(p.name, p.kind) for p in inspect.signature(asynchronous[name]).parameters.values()]
                self.assertEqual(ours, theirs)


class LenientDecodingTests(unittest.TestCase):
    TURN = {"id": "turn_1", "index": 2, "role": "ai", "action": None, "text": " Fog.\n",
            "createdAt": "2026-01-01T00:00:00.000Z", "usage": None}

    def test_unknown_fields_are_kept_and_round_trip(self):
        wire = dict(self.TURN, mood="grim", usage={
            "promptTokens": 10, "outputTokens": 5, "thinkingTokens": 0, "source": "estimate", "model": "m",
            "latencyMs": 3, "firstChunkMs": None, "future": [1, 2],
            "sections": {k: 1 for k in ["system", "instructions", "plotEssentials", "authorsNotes", "cards",
                                        "memories", "summary", "history", "cardsAfterHistory", "action"]}})
        turn = Turn.from_wire(wire)
        self.assertEqual((turn.text, turn.extra), (" Fog.\n", {"mood": "grim"}))
        self.assertEqual(turn.usage.extra, {"future": [1, 2]})
        self.assertEqual(turn.usage.sections.cards_after_history, 1)
        self.assertEqual(turn.to_wire(), wire, "nothing lost or changed on the way back")

    def test_an_enum_value_from_a_newer_daemon_is_kept_as_is(self):
        turn = Turn.from_wire(dict(self.TURN, role="narrator"))
        self.assertEqual(turn.role, "narrator")

    def test_an_optional_property_may_be_absent(self):
        wire = {"id": "m", "name": "M", "contextTokens": 1, "maxOutputTokens": 1, "supportsThinking": False,
                "available": True, "local": True}
        self.assertIsNone(ModelInfo.from_wire(wire).reason)
        self.assertEqual(ModelInfo.from_wire(wire).to_wire(), wire, "left out again on the way back")
        self.assertEqual(ModelInfo.from_wire(dict(wire, available=False, reason="no key")).reason, "no key")

    def test_a_missing_required_field_or_a_wrong_shape_names_the_place(self):
        broken = dict(self.TURN)
        del broken["text"]
        with self.assertRaisesRegex(DecodeError, r"Turn has no 'text'"):
            Turn.from_wire(broken)
        with self.assertRaisesRegex(DecodeError, r"StoryResult\.aiTurn should be a JSON object \(Turn\), got an array"):
            StoryResult.from_wire({"playerTurn": None, "aiTurn": [], "usage": {}, "finishReason": "stop",
                                   "trimmed": False})
        with self.assertRaisesRegex(DecodeError, r"InitializeResult should be a JSON object"):
            InitializeResult.from_wire(None)

    def test_fields_are_readable_by_their_protocol_names_for_dict_era_code(self):
        turn = Turn.from_wire(dict(self.TURN, mood="grim"))
        self.assertEqual((turn["createdAt"], turn["mood"], turn.get("nothing", 7)), (turn.created_at, "grim", 7))
        self.assertIn("createdAt", turn)
        self.assertNotIn("created_at", turn)
        with self.assertRaises(KeyError):
            turn["created_at"]

    def test_card_has_every_rule_field(self):
        self.assertEqual({wire_name(f.name) for f in dataclasses.fields(Card) if f.name != "extra"},
                         set(SCHEMAS["Card"]["properties"]))


if __name__ == "__main__":
    unittest.main()
