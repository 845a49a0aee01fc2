"""Typed errors: every JSON-RPC error response becomes an :class:`ImaginAIError` subclass.

Match on the class (or on ``.code`` against the constants below) and on ``.data``, never on the
message text: the message is a human-readable sentence for logs and users (Protocol/PROTOCOL.md,
"Errors").
"""

from __future__ import annotations

from typing import Any

from .models import Turn

__all__ = [
    "PARSE_ERROR", "INVALID_REQUEST", "METHOD_NOT_FOUND", "INVALID_PARAMS", "INTERNAL_ERROR",
    "SERVER_NOT_INITIALIZED", "REQUEST_CANCELLED", "NOT_FOUND", "CONFLICT", "PROVIDER_FAILURE", "TOO_LARGE",
    "ImaginAIError", "ParseError", "InvalidRequestError", "MethodNotFoundError", "InvalidParamsError",
    "InternalError", "ServerNotInitializedError", "RequestCancelledError", "NotFoundError", "ConflictError",
    "ProviderFailureError", "TooLargeError", "ConnectionLostError", "error_class_for",
]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002
REQUEST_CANCELLED = -32800
NOT_FOUND = -31001
CONFLICT = -31002
PROVIDER_FAILURE = -31003
TOO_LARGE = -31004


class ImaginAIError(Exception):
    """A JSON-RPC error answered by the daemon: ``code``, ``message`` and ``data`` (or None)."""

    code: int | None

    def __init__(self, code: int | None, message: str, data: Any = None):
        super().__init__(message if code is None else f"{message} ({code})")
        self.code = code
        self.message = message
        self.data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, data={self.data!r})"

    def _data_str(self, key: str) -> str | None:
        value = self.data.get(key) if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None

    def _data_int(self, key: str) -> int | None:
        value = self.data.get(key) if isinstance(self.data, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @staticmethod
    def from_error(error: dict[str, Any]) -> "ImaginAIError":
        """Builds the matching subclass from a response's ``error`` object."""
        code = error.get("code")
        message = error.get("message") or ""
        cls = error_class_for(code) if isinstance(code, int) else ImaginAIError
        return cls(code, message, error.get("data"))


class ParseError(ImaginAIError):
    """-32700: the body was not valid UTF-8 JSON."""


class InvalidRequestError(ImaginAIError):
    """-32600: not a valid request, a reused id, a second initialize, or any request after shutdown."""


class MethodNotFoundError(ImaginAIError):
    """-32601: the daemon does not know the method."""


class InvalidParamsError(ImaginAIError):
    """-32602: a param is missing, mistyped or out of range; ``field`` names it when it can."""

    @property
    def field(self) -> str | None:
        return self._data_str("field")


class InternalError(ImaginAIError):
    """-32603: a bug or unexpected storage failure; the operation was rolled back."""


class ServerNotInitializedError(ImaginAIError):
    """-32002: a request before initialize."""


class RequestCancelledError(ImaginAIError):
    """-32800: the request was cancelled while running.

    For story generation ``data`` may carry the turns that were stored anyway: ``ai_turn`` (the partial
    text, when any was produced) and ``player_turn`` (for story/act), as :class:`~imaginai_client.models.Turn`.
    """

    def _turn(self, key: str) -> Turn | None:
        raw = self.data.get(key) if isinstance(self.data, dict) else None
        return None if raw is None else Turn.from_wire(raw)

    @property
    def ai_turn(self) -> Turn | None:
        return self._turn("aiTurn")

    @property
    def player_turn(self) -> Turn | None:
        return self._turn("playerTurn")


class NotFoundError(ImaginAIError):
    """-31001: no scenario, card, adventure or turn with that id; ``kind`` and ``missing_id`` say which."""

    @property
    def kind(self) -> str | None:
        return self._data_str("kind")

    @property
    def missing_id(self) -> str | None:
        return self._data_str("id")


class ConflictError(ImaginAIError):
    """-31002: the thing changed meanwhile, is busy (already generating), or contradicts its state.

    ``adventure_id`` names the adventure when it is busy generating.
    """

    @property
    def adventure_id(self) -> str | None:
        return self._data_str("adventureId")


class ProviderFailureError(ImaginAIError):
    """-31003: a language-model provider failed, or the configured model is not available.

    ``data`` is ``{provider, kind, status?, retryAfterMs?}``; ``kind`` is ``"invalid_request"`` when the
    model or its provider is not available.
    """

    @property
    def provider(self) -> str | None:
        return self._data_str("provider")

    @property
    def kind(self) -> str | None:
        return self._data_str("kind")

    @property
    def status(self) -> int | None:
        return self._data_int("status")

    @property
    def retry_after_ms(self) -> int | None:
        return self._data_int("retryAfterMs")


class TooLargeError(ImaginAIError):
    """-31004: a message over the daemon's maxMessageBytes (the client checks before sending), or a story
    request whose fixed prompt sections alone are over the model's prompt budget."""


class ConnectionLostError(ImaginAIError):
    """The daemon's output ended (it exited or closed stdout) before the request was answered.

    Not a JSON-RPC error: ``code`` is None.
    """

    def __init__(self, message: str, data: Any = None):
        super().__init__(None, message, data)


_BY_CODE: dict[int, type[ImaginAIError]] = {
    PARSE_ERROR: ParseError,
    INVALID_REQUEST: InvalidRequestError,
    METHOD_NOT_FOUND: MethodNotFoundError,
    INVALID_PARAMS: InvalidParamsError,
    INTERNAL_ERROR: InternalError,
    SERVER_NOT_INITIALIZED: ServerNotInitializedError,
    REQUEST_CANCELLED: RequestCancelledError,
    NOT_FOUND: NotFoundError,
    CONFLICT: ConflictError,
    PROVIDER_FAILURE: ProviderFailureError,
    TOO_LARGE: TooLargeError,
}


def error_class_for(code: int) -> type[ImaginAIError]:
    """The subclass for a code; :class:`ImaginAIError` itself for codes this client does not know."""
    return _BY_CODE.get(code, ImaginAIError)
