"""A Python client for the ImaginAI daemon (``imaginai serve``), standard library only.

::

    from imaginai_client import Client

    with Client(db="story.sqlite") as client:
        scenario = client.scenario_list()["scenarios"][0]
        adventure = client.adventure_start(scenario["id"])
        for text in client.stream_act(adventure["id"], "do", "look around"):
            print(text, end="", flush=True)

See Protocol/PROTOCOL.md for every method's params and results; results are plain dicts with the
protocol's camelCase keys.
"""

__version__ = "0.1.0"

from .client import METHODS, UNSET, Client, PendingRequest, Stream, find_binary  # noqa: E402
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
from .framing import FramingError, encode_message, read_message, write_message  # noqa: E402

__all__ = [
    "Client", "PendingRequest", "Stream", "find_binary", "METHODS", "UNSET",
    "ImaginAIError", "ParseError", "InvalidRequestError", "MethodNotFoundError", "InvalidParamsError",
    "InternalError", "ServerNotInitializedError", "RequestCancelledError", "NotFoundError", "ConflictError",
    "ProviderFailureError", "TooLargeError", "ConnectionLostError", "error_class_for",
    "PARSE_ERROR", "INVALID_REQUEST", "METHOD_NOT_FOUND", "INVALID_PARAMS", "INTERNAL_ERROR",
    "SERVER_NOT_INITIALIZED", "REQUEST_CANCELLED", "NOT_FOUND", "CONFLICT", "PROVIDER_FAILURE", "TOO_LARGE",
    "FramingError", "encode_message", "read_message", "write_message",
]
