"""A Python client for the ImaginAI daemon (``imaginai serve``), standard library only, typed.

::

    from imaginai_client import Client

    with Client(db="story.sqlite") as client:
        scenario = client.scenario_list().scenarios[0]
        adventure = client.adventure_start(scenario.id)
        for text in client.stream_act(adventure.id, "do", "look around"):
            print(text, end="", flush=True)

:class:`AsyncClient` is the same for asyncio. Results are the dataclasses of :mod:`imaginai_client.models`
(one per schema of Protocol/openrpc.json); see Protocol/PROTOCOL.md for what every method does.
"""

__version__ = "0.2.0"

from ._shared import METHODS, UNSET, find_binary  # noqa: E402
from .aio import AsyncClient, AsyncStream, LibraryChanges  # noqa: E402
from .client import Client, PendingRequest, Stream  # noqa: E402
from .errors import (  # noqa: E402
    CONFLICT,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    NOT_FOUND,
    PARSE_ERROR,
    PROVIDER_FAILURE,
    REQUEST_CANCELLED,
    SERVER_NOT_INITIALIZED,
    TOO_LARGE,
    ConflictError,
    ConnectionLostError,
    ImaginAIError,
    InternalError,
    InvalidParamsError,
    InvalidRequestError,
    MethodNotFoundError,
    NotFoundError,
    ParseError,
    ProviderFailureError,
    RequestCancelledError,
    ServerNotInitializedError,
    TooLargeError,
    error_class_for,
)
from .framing import FramingError, encode_message, read_message, read_message_async, write_message  # noqa: E402
from .models import (  # noqa: E402
    Adventure,
    AdventureListResult,
    AdventureSummary,
    Card,
    CardsImportResult,
    DecodeError,
    DeleteResult,
    ExportResult,
    FiredCard,
    ImportWarning,
    InitializeResult,
    LibraryChange,
    ModelInfo,
    ModelsListResult,
    PreviewResult,
    PreviewSection,
    RedoResult,
    Scenario,
    ScenarioImportResult,
    ScenarioListResult,
    ScenarioSummary,
    SectionTokens,
    ServerInfo,
    Settings,
    SkippedEntry,
    StoryChunk,
    StoryResult,
    SummaryVersion,
    SummaryVersionsResult,
    Turn,
    TurnListResult,
    TurnUsage,
    TurnUsageEntry,
    TurnVersion,
    TurnVersionsResult,
    UndoResult,
    UsageResult,
    UsageTotals,
    WireObject,
)

__all__ = [
    "Client", "PendingRequest", "Stream", "AsyncClient", "AsyncStream", "LibraryChanges", "find_binary", "METHODS",
    "UNSET",
    "ImaginAIError", "ParseError", "InvalidRequestError", "MethodNotFoundError", "InvalidParamsError",
    "InternalError", "ServerNotInitializedError", "RequestCancelledError", "NotFoundError", "ConflictError",
    "ProviderFailureError", "TooLargeError", "ConnectionLostError", "DecodeError", "error_class_for",
    "PARSE_ERROR", "INVALID_REQUEST", "METHOD_NOT_FOUND", "INVALID_PARAMS", "INTERNAL_ERROR",
    "SERVER_NOT_INITIALIZED", "REQUEST_CANCELLED", "NOT_FOUND", "CONFLICT", "PROVIDER_FAILURE", "TOO_LARGE",
    "FramingError", "encode_message", "read_message", "read_message_async", "write_message",
    "WireObject", "Adventure", "AdventureListResult", "AdventureSummary", "Card", "CardsImportResult", "DeleteResult",
    "ExportResult", "FiredCard", "ImportWarning", "InitializeResult", "LibraryChange", "ModelInfo", "ModelsListResult",
    "PreviewResult", "PreviewSection", "RedoResult", "Scenario", "ScenarioImportResult", "ScenarioListResult",
    "ScenarioSummary", "SectionTokens", "ServerInfo", "Settings", "SkippedEntry", "StoryChunk", "StoryResult",
    "SummaryVersion", "SummaryVersionsResult", "Turn", "TurnListResult", "TurnUsage", "TurnUsageEntry", "TurnVersion",
    "TurnVersionsResult", "UndoResult", "UsageResult", "UsageTotals",
]
