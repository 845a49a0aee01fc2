"""LSP-style framing: ``Content-Length: N\\r\\n\\r\\n`` followed by N bytes of UTF-8 JSON.

``N`` counts bytes of the UTF-8 body, never characters. The writer emits exactly that one header; the
reader accepts header names in any case, ignores other headers (such as ``Content-Type``) and
whitespace around values, like the daemon does.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, BinaryIO

__all__ = ["FramingError", "MAX_HEADER_BYTES", "encode_body", "encode_message", "write_message", "read_message",
           "read_message_async"]

#: The header block (up to and including the blank line) may be at most this long.
MAX_HEADER_BYTES = 8 * 1024


class FramingError(Exception):
    """The byte stream does not hold a usable frame (bad header block or a truncated body)."""


def encode_body(message: Any) -> bytes:
    """The compact UTF-8 JSON body of a message (non-ASCII text is kept as UTF-8, not escaped)."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def encode_message(message: Any) -> bytes:
    """A complete frame: ``Content-Length: N\\r\\n\\r\\n`` and the body."""
    body = encode_body(message)
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def write_message(stream: BinaryIO, message: Any) -> None:
    """Writes one frame to a binary stream and flushes it."""
    stream.write(encode_message(message))
    stream.flush()


def _read_headers(stream: BinaryIO) -> dict[str, str] | None:
    headers: dict[str, str] = {}
    total = 0
    first = True
    while True:
        line = stream.readline(MAX_HEADER_BYTES + 1)
        if not line:
            if first:
                return None  # clean end of stream between messages
            raise FramingError("end of stream inside a header block")
        first = False
        total += len(line)
        if total > MAX_HEADER_BYTES:
            raise FramingError("header block longer than 8 KiB")
        if not _header(line, headers):
            return headers


def _header(line: bytes, headers: dict[str, str]) -> bool:
    """Adds one header line to ``headers``; False for the blank line that ends the block."""
    if not line.endswith(b"\n"):
        raise FramingError("header line without a line break")
    text = line.rstrip(b"\r\n").decode("ascii", errors="replace")
    if text == "":
        return False
    name, sep, value = text.partition(":")
    if not sep:
        raise FramingError(f"header line without a colon: {text!r}")
    headers[name.strip().lower()] = value.strip()
    return True


def _content_length(headers: dict[str, str]) -> int:
    raw_length = headers.get("content-length")
    if raw_length is None:
        raise FramingError("header block without Content-Length")
    if not raw_length.isdigit():
        raise FramingError(f"Content-Length is not a byte count: {raw_length!r}")
    return int(raw_length)


async def read_message_async(stream: asyncio.StreamReader) -> Any | None:
    """:func:`read_message` for an asyncio stream: the decoded JSON body, or ``None`` at a clean end."""
    headers: dict[str, str] = {}
    total = 0
    first = True
    while True:
        try:
            line = await stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as error:
            if first and not error.partial:
                return None  # clean end of stream between messages
            raise FramingError("end of stream inside a header block") from None
        except asyncio.LimitOverrunError:
            raise FramingError("header line longer than the stream's limit") from None
        first = False
        total += len(line)
        if total > MAX_HEADER_BYTES:
            raise FramingError("header block longer than 8 KiB")
        if not _header(line, headers):
            break
    length = _content_length(headers)
    try:
        body = await stream.readexactly(length)
    except asyncio.IncompleteReadError as error:
        raise FramingError(f"end of stream after {len(error.partial)} of {length} body bytes") from None
    return json.loads(body.decode("utf-8"))


def read_message(stream: BinaryIO) -> Any | None:
    """Reads one frame and returns its decoded JSON body, or ``None`` at a clean end of stream.

    Raises :class:`FramingError` for an unusable header block or a body cut short, and
    :class:`json.JSONDecodeError` / :class:`UnicodeDecodeError` for a body that is not UTF-8 JSON.
    """
    headers = _read_headers(stream)
    if headers is None:
        return None
    length = _content_length(headers)
    chunks = []
    remaining = length
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            raise FramingError(f"end of stream after {length - remaining} of {length} body bytes")
        chunks.append(chunk)
        remaining -= len(chunk)
    return json.loads(b"".join(chunks).decode("utf-8"))
