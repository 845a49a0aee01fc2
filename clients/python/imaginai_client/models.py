"""Typed results: one dataclass per result schema of Protocol/openrpc.json.

Attributes are the protocol's fields in snake_case (``plotEssentials`` → ``plot_essentials``); nested
objects are dataclasses too (``result.ai_turn.text``), lists of objects are lists of dataclasses.
Timestamps stay the protocol's ISO-8601 strings and texts are kept exactly as sent.

Decoding is forward compatible: a field this client does not know (a newer daemon) is kept in
:attr:`WireObject.extra` instead of failing, and an enum value it does not know is kept as the string
it is. A required field that is missing, or a value of the wrong JSON shape where an object or list
is expected, raises :class:`DecodeError` naming the field, since the daemon then broke its own schema.

For code written against the dict results of earlier versions, ``obj["plotEssentials"]`` and
``obj.get("reason")`` still read a field by its protocol name; :meth:`WireObject.to_wire` gives the
plain JSON dict (unknown fields included), as the daemon sent it.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, Callable, ClassVar, Literal, TypeVar, Union

__all__ = [
    "DecodeError", "WireObject",
    "Visibility", "SelectiveLogic", "CardPosition", "TurnRole", "ActionKind", "ResponseHandling",
    "UsageSource", "FinishReason", "SectionName", "FireTrigger", "LeftOutReason", "SummarySource",
    "ExportFormat", "ImportFormat", "ChangeKind", "ChangeType",
    "Card", "Scenario", "ScenarioSummary", "ScenarioListResult", "ScenarioImportResult",
    "Adventure", "AdventureSummary", "AdventureListResult", "SummaryVersion", "SummaryVersionsResult",
    "Turn", "TurnListResult", "TurnVersion", "TurnVersionsResult",
    "Settings", "DeleteResult", "ExportResult", "SkippedEntry", "ImportWarning", "CardsImportResult",
    "ServerInfo", "InitializeResult", "SectionTokens", "TurnUsage", "StoryResult", "UndoResult", "RedoResult",
    "PreviewSection", "FiredCard", "PreviewResult", "UsageTotals", "TurnUsageEntry", "UsageResult",
    "ModelInfo", "ModelsListResult", "StoryChunk", "LibraryChange", "WIRE_TYPES",
]

Visibility = Literal["private", "unlisted", "public"]
SelectiveLogic = Literal["andAny", "andAll", "notAny", "notAll"]
CardPosition = Literal["beforeHistory", "afterHistory", "atDepth"]
TurnRole = Literal["player", "ai"]
ActionKind = Literal["do", "say", "story"]
ResponseHandling = Literal["truncate", "summarize"]
UsageSource = Literal["api", "estimate"]
FinishReason = Literal["stop", "length", "cancelled"]
SectionName = Literal["system", "instructions", "plotEssentials", "cards", "memories", "summary", "history",
                      "cardsAfterHistory", "authorsNotes", "action"]
FireTrigger = Literal["story", "card", "constant", "sticky"]
LeftOutReason = Literal["budget", "group", "probability"]
SummarySource = Literal["user", "auto"]
ExportFormat = Literal["imaginai", "seed", "aidungeon", "sillytavern"]
ImportFormat = Literal["imaginai", "aidungeon", "aidungeon-worldinfo", "sillytavern", "charcard", "novelai",
                       "koboldai", "agnai"]
ChangeKind = Literal["scenario", "adventure", "card", "turn", "settings"]
ChangeType = Literal["created", "updated", "deleted"]

W = TypeVar("W", bound="WireObject")


class DecodeError(ValueError):
    """The daemon sent a result this client cannot read as its schema (a missing required field, or a
    value of the wrong shape where an object or a list belongs). Unknown extra fields never cause it."""


def wire_name(attribute: str) -> str:
    """The protocol's camelCase name of a snake_case attribute (``last_played_at`` → ``lastPlayedAt``)."""
    head, *rest = attribute.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclasses.dataclass(frozen=True)
class _FieldSpec:
    attribute: str
    wire: str
    required: bool
    decode: Callable[[Any, str], Any]


def _decoder(hint: Any) -> Callable[[Any, str], Any]:
    """How to turn the JSON value of a field of type ``hint`` into its Python value.

    Only objects and lists are converted (and checked, because they are what the dataclasses are built
    from); scalars pass through unchanged, so an unexpected enum value or number is kept, not refused.
    """
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, WireObject):
        cls = hint
        return lambda value, path: cls._decode(value, path)
    if origin is list:
        (item,) = typing.get_args(hint)
        decode_item = _decoder(item)

        def decode_list(value: Any, path: str) -> Any:
            if not isinstance(value, list):
                raise DecodeError(f"{path} should be a JSON array, got {_json_kind(value)}")
            return [decode_item(element, f"{path}[{index}]") for index, element in enumerate(value)]

        return decode_list
    if origin in (Union, types.UnionType):
        members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(members) == 1:
            decode_member = _decoder(members[0])
            return lambda value, path: None if value is None else decode_member(value, path)
    return lambda value, path: value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return kinds.get(type(value), type(value).__name__)


@dataclasses.dataclass(kw_only=True)
class WireObject:
    """Base of every result dataclass: decoding from and encoding to the protocol's JSON."""

    #: The schema's name in Protocol/openrpc.json (``components/schemas``).
    SCHEMA: ClassVar[str] = ""

    #: Fields the daemon sent that this version of the client does not know, by their protocol names.
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def from_wire(cls: type[W], data: Any) -> W:
        """Builds the dataclass from the daemon's JSON (a dict with camelCase keys)."""
        return cls._decode(data, cls.SCHEMA or cls.__name__)

    @classmethod
    def _decode(cls: type[W], data: Any, path: str) -> W:
        if not isinstance(data, dict):
            raise DecodeError(f"{path} should be a JSON object ({cls.SCHEMA}), got {_json_kind(data)}")
        values: dict[str, Any] = {}
        specs = cls._field_specs()
        for spec in specs:
            if spec.wire in data:
                values[spec.attribute] = spec.decode(data[spec.wire], f"{path}.{spec.wire}")
            elif spec.required:
                raise DecodeError(f"{path} has no {spec.wire!r}, which {cls.SCHEMA} requires "
                                  "(is the daemon from another protocol version?)")
        known = {spec.wire for spec in specs}
        extra = {key: value for key, value in data.items() if key not in known}
        return cls(**values, extra=extra)

    @classmethod
    @functools.cache
    def _field_specs(cls) -> tuple[_FieldSpec, ...]:
        hints = typing.get_type_hints(cls)
        return tuple(
            _FieldSpec(field.name, wire_name(field.name),
                       field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING,
                       _decoder(hints[field.name]))
            for field in dataclasses.fields(cls) if field.name != "extra"
        )

    def to_wire(self) -> dict[str, Any]:
        """The protocol's JSON object: camelCase keys, nested objects as dicts, unknown fields included,
        optional properties that are None left out."""
        wire: dict[str, Any] = {}
        for spec in self._field_specs():
            value = getattr(self, spec.attribute)
            if value is None and not spec.required:
                continue  # an optional property the daemon leaves out when it does not apply
            wire[spec.wire] = _encode(value)
        wire.update(self.extra)
        return wire

    # Reading by protocol name keeps code written for the dict results working.
    def __getitem__(self, key: str) -> Any:
        for spec in self._field_specs():
            if spec.wire == key:
                return getattr(self, spec.attribute)
        if key in self.extra:
            return self.extra[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """A field by its protocol name (``"plotEssentials"``), or ``default``."""
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _ABSENT) is not _ABSENT


_ABSENT = object()


def _encode(value: Any) -> Any:
    if isinstance(value, WireObject):
        return value.to_wire()
    if isinstance(value, list):
        return [_encode(item) for item in value]
    return value


def _result(schema: str) -> Callable[[type[W]], type[W]]:
    """Declares a result dataclass and the openrpc schema it models."""

    def declare(cls: type[W]) -> type[W]:
        cls.SCHEMA = schema
        return dataclasses.dataclass(kw_only=True, eq=True)(cls)

    return declare


# MARK: library


@_result("Card")
class Card(WireObject):
    """A card (lore entry): what fires it and how it is placed in the prompt. See card_create's keywords."""

    id: str
    type: str
    name: str
    description: str
    keys: list[str]
    secondary_keys: list[str]
    selective_logic: SelectiveLogic
    constant: bool
    enabled: bool
    order: int
    probability: int
    scan_depth: int | None
    exclude_recursion: bool
    prevent_recursion: bool
    sticky: int
    cooldown: int
    delay: int
    group: str | None
    position: CardPosition
    depth: int
    notes: str


@_result("Scenario")
class Scenario(WireObject):
    id: str
    name: str
    instructions: str
    plot_essentials: str
    authors_notes: str
    opening_scene: str
    player_description: str
    tags: list[str]
    visibility: Visibility
    cards: list[Card]
    created_at: str
    updated_at: str


@_result("ScenarioSummary")
class ScenarioSummary(WireObject):
    id: str
    name: str
    player_description: str
    tags: list[str]
    visibility: Visibility
    card_count: int
    created_at: str
    updated_at: str


@_result("ScenarioListResult")
class ScenarioListResult(WireObject):
    scenarios: list[ScenarioSummary]
    total: int


@_result("SkippedEntry")
class SkippedEntry(WireObject):
    """A file entry that did not become a card: its index in the file and why."""

    index: int
    reason: str


@_result("ImportWarning")
class ImportWarning(WireObject):
    """A setting of an imported entry that could not be kept as written."""

    index: int
    message: str


@_result("ScenarioImportResult")
class ScenarioImportResult(Scenario):
    """The first imported scenario, plus every scenario of the file and what the import skipped or changed."""

    scenarios: list[Scenario]
    skipped: list[SkippedEntry]
    warnings: list[ImportWarning]


@_result("Adventure")
class Adventure(WireObject):
    id: str
    scenario_id: str | None
    scenario_name: str
    name: str
    instructions: str
    plot_essentials: str
    authors_notes: str
    opening_scene: str
    player_description: str
    tags: list[str]
    cards: list[Card]
    created_at: str
    updated_at: str
    last_played_at: str
    turn_count: int
    summary: str


@_result("AdventureSummary")
class AdventureSummary(WireObject):
    id: str
    scenario_id: str | None
    scenario_name: str
    name: str
    created_at: str
    updated_at: str
    last_played_at: str
    turn_count: int
    excerpt: str


@_result("AdventureListResult")
class AdventureListResult(WireObject):
    adventures: list[AdventureSummary]
    total: int


@_result("SummaryVersion")
class SummaryVersion(WireObject):
    version: int
    text: str
    created_at: str
    source: SummarySource
    current: bool


@_result("SummaryVersionsResult")
class SummaryVersionsResult(WireObject):
    versions: list[SummaryVersion]


@_result("DeleteResult")
class DeleteResult(WireObject):
    deleted: str


@_result("ExportResult")
class ExportResult(WireObject):
    """``data`` is the exported file's JSON, ready for ``json.dump``."""

    format: ExportFormat
    data: Any


@_result("CardsImportResult")
class CardsImportResult(WireObject):
    cards: list[Card]
    imported: int
    skipped: list[SkippedEntry]
    warnings: list[ImportWarning]
    format: ImportFormat


# MARK: turns and story


@_result("SectionTokens")
class SectionTokens(WireObject):
    system: int
    instructions: int
    plot_essentials: int
    authors_notes: int
    cards: int
    memories: int
    summary: int
    history: int
    cards_after_history: int
    action: int


@_result("TurnUsage")
class TurnUsage(WireObject):
    prompt_tokens: int
    output_tokens: int
    thinking_tokens: int
    source: UsageSource
    sections: SectionTokens
    model: str
    latency_ms: int
    first_chunk_ms: int | None


@_result("Turn")
class Turn(WireObject):
    id: str
    index: int
    role: TurnRole
    action: ActionKind | None
    text: str
    created_at: str
    usage: TurnUsage | None


@_result("TurnListResult")
class TurnListResult(WireObject):
    turns: list[Turn]
    turn_count: int


@_result("TurnVersion")
class TurnVersion(WireObject):
    version: int
    text: str
    created_at: str
    current: bool


@_result("TurnVersionsResult")
class TurnVersionsResult(WireObject):
    versions: list[TurnVersion]


@_result("StoryResult")
class StoryResult(WireObject):
    """The stored turns of a story/act, continue or retry (``player_turn`` only for act)."""

    player_turn: Turn | None
    ai_turn: Turn
    usage: TurnUsage
    finish_reason: FinishReason
    trimmed: bool


@_result("UndoResult")
class UndoResult(WireObject):
    removed: list[Turn]
    turn_count: int


@_result("RedoResult")
class RedoResult(WireObject):
    restored: list[Turn]
    turn_count: int


@_result("PreviewSection")
class PreviewSection(WireObject):
    name: SectionName
    text: str
    tokens: int


@_result("FiredCard")
class FiredCard(WireObject):
    card_id: str
    name: str
    trigger: FireTrigger
    key: str | None
    fired_by: str | None
    included: bool
    left_out: LeftOutReason | None


@_result("PreviewResult")
class PreviewResult(WireObject):
    """The prompt the next act or continue would send, section by section, and why each card fired."""

    model: str
    sections: list[PreviewSection]
    fired_cards: list[FiredCard]
    included_turns: list[int]
    dropped_turns: list[int]
    older_turns_omitted: int
    recalled_turns: list[str]
    total_tokens: int
    budget_tokens: int


@_result("UsageTotals")
class UsageTotals(WireObject):
    prompt_tokens: int
    output_tokens: int
    thinking_tokens: int
    turns: int


@_result("TurnUsageEntry")
class TurnUsageEntry(WireObject):
    turn_id: str
    index: int
    usage: TurnUsage


@_result("UsageResult")
class UsageResult(WireObject):
    totals: UsageTotals
    turns: list[TurnUsageEntry]


# MARK: settings, models, session


@_result("Settings")
class Settings(WireObject):
    model: str
    response_handling: ResponseHandling
    allow_thinking: bool
    max_output_tokens: int
    base_system_instruction: str
    scan_depth: int
    recursion_depth: int
    storyteller_delay_ms: int
    storyteller_seed: int
    context_tokens: int | None
    auto_summary: bool
    summary_every_turns: int


@_result("ModelInfo")
class ModelInfo(WireObject):
    """A model the daemon can use; ``reason`` says why one is not ``available``."""

    id: str
    name: str
    context_tokens: int
    max_output_tokens: int
    supports_thinking: bool
    available: bool
    reason: str | None = None
    local: bool


@_result("ModelsListResult")
class ModelsListResult(WireObject):
    models: list[ModelInfo]


@_result("ServerInfo")
class ServerInfo(WireObject):
    name: str
    version: str


@_result("InitializeResult")
class InitializeResult(WireObject):
    """``capabilities`` holds ``methods``, ``notifications`` and ``limits`` (``maxMessageBytes``)."""

    server_info: ServerInfo
    protocol_version: str
    capabilities: dict[str, Any]


# MARK: notifications


@_result("StoryChunk")
class StoryChunk(WireObject):
    """A ``story/chunk`` notification: a piece of streamed text of the request ``request_id``."""

    request_id: int | str
    adventure_id: str
    seq: int
    text: str


@_result("LibraryChanged")
class LibraryChange(WireObject):
    """A ``library/changed`` notification: another process changed the shared database.

    ``id`` is the changed row's id (``"settings"`` for the settings). ``scenario_id`` / ``adventure_id``
    name the owner where one applies: a card's scenario or adventure, a turn's adventure, an adventure's
    scenario while it exists.
    """

    kind: ChangeKind
    id: str
    change: ChangeType
    scenario_id: str | None = None
    adventure_id: str | None = None


#: Every result dataclass by the schema name it models.
WIRE_TYPES: dict[str, type[WireObject]] = {
    cls.SCHEMA: cls for cls in [
        Card, Scenario, ScenarioSummary, ScenarioListResult, ScenarioImportResult, Adventure, AdventureSummary,
        AdventureListResult, SummaryVersion, SummaryVersionsResult, Turn, TurnListResult, TurnVersion,
        TurnVersionsResult, Settings, DeleteResult, ExportResult, SkippedEntry, ImportWarning, CardsImportResult,
        ServerInfo, InitializeResult, SectionTokens, TurnUsage, StoryResult, UndoResult, RedoResult, PreviewSection,
        FiredCard, PreviewResult, UsageTotals, TurnUsageEntry, UsageResult, ModelInfo, ModelsListResult,
        StoryChunk, LibraryChange,
    ]
}
