"""The blocking client: spawns ``imaginai serve``, speaks the protocol, one method per protocol method.

Results are the dataclasses of :mod:`imaginai_client.models` (``scenario.plot_essentials``,
``result.ai_turn.text``); :meth:`Client.request` sends any method and returns its raw JSON result.
Params are built with the protocol's camelCase names; drafts and change sets can be passed as a dict
(camelCase keys) and/or as snake_case keyword arguments, which are converted (``plot_essentials=`` →
``plotEssentials``).

Threading: one reader thread reads the daemon's stdout and dispatches responses by id and
notifications to callbacks. Callbacks (``on_chunk``, notification handlers) run on that thread, in the
order the daemon wrote the messages: every ``story/chunk`` of a request is delivered before its result.
Callbacks must not block waiting for another response of the same client (that would deadlock; the
client raises ``RuntimeError`` instead). Any thread may send requests.
"""

from __future__ import annotations

import collections
import io
import itertools
import json
import logging
import os
import queue
import subprocess
import threading
import typing
from typing import Any, Callable, Iterator, Mapping, TypeVar

from . import __version__
from ._shared import METHODS, UNSET, card_fields, command_line, find_binary, given, merge, params
from .errors import (
    TOO_LARGE,
    ConnectionLostError,
    ImaginAIError,
    TooLargeError,
)
from .framing import FramingError, encode_body, read_message
from .models import (
    Adventure,
    AdventureListResult,
    Card,
    CardsImportResult,
    DecodeError,
    DeleteResult,
    ExportResult,
    InitializeResult,
    LibraryChange,
    ModelsListResult,
    PreviewResult,
    RedoResult,
    Scenario,
    ScenarioImportResult,
    ScenarioListResult,
    Settings,
    StoryChunk,
    StoryResult,
    SummaryVersionsResult,
    Turn,
    TurnListResult,
    TurnVersionsResult,
    UndoResult,
    UsageResult,
    WireObject,
)

__all__ = ["Client", "PendingRequest", "Stream", "find_binary", "METHODS", "UNSET", "ChunkCallback",
           "LibraryChangeCallback"]

log = logging.getLogger("imaginai_client")

ChunkCallback = Callable[[StoryChunk], Any]
NotificationCallback = Callable[[str, Any], Any]
LibraryChangeCallback = Callable[[LibraryChange], Any]
W = TypeVar("W", bound=WireObject)

_UNSET: Any = object()
_END = object()


class PendingRequest:
    """A request that was sent: wait for it with :meth:`result`, stop it with :meth:`cancel`."""

    def __init__(self, client: "Client", request_id: int, method: str, on_chunk: ChunkCallback | None,
                 on_done: Callable[[], Any] | None, result_type: type[WireObject] | None = None):
        self.id = request_id
        self.method = method
        self._client = client
        self._on_chunk = on_chunk
        self._on_done = on_done
        self._result_type = result_type
        self._event = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._callback_error: BaseException | None = None

    def done(self) -> bool:
        """True once the response (or the loss of the connection) has arrived."""
        return self._event.is_set()

    def cancel(self) -> None:
        """Sends ``$/cancelRequest`` for this request (nothing if it has already been answered).

        The request still gets its response: -32800 (:class:`RequestCancelledError`) if the
        cancellation reached it in time, else its normal result.
        """
        if not self.done():
            self._client.cancel_request(self.id)

    def result(self, timeout: float | None = None) -> Any:
        """Waits for the response and returns its result, or raises its :class:`ImaginAIError`.

        The result is the method's dataclass when the request was sent by a typed method (or with
        ``result_type``), else the raw JSON value.

        Raises ``TimeoutError`` after ``timeout`` seconds (the request keeps running; cancel it if you
        no longer want it). A ``KeyboardInterrupt`` while waiting cancels the request and propagates.
        """
        if threading.current_thread() is self._client._reader:
            raise RuntimeError("cannot wait for a response inside a callback of the same client")
        try:
            finished = self._event.wait(timeout)
        except KeyboardInterrupt:
            self.cancel()
            raise
        if not finished:
            raise TimeoutError(f"no response to {self.method} (id {self.id}) within {timeout} s")
        if self._callback_error is not None:
            raise self._callback_error
        if self._error is not None:
            raise self._error
        return self._result

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The error the request ended with, or None if it succeeded."""
        try:
            self.result(timeout)
        except TimeoutError:
            raise
        except BaseException as error:  # noqa: BLE001 - reported, not handled
            return error
        return None

    # Called on the reader thread.
    def _chunk(self, chunk: StoryChunk) -> None:
        if self._on_chunk is None or self._callback_error is not None:
            return
        try:
            self._on_chunk(chunk)
        except BaseException as error:  # noqa: BLE001 - surfaced through result()
            self._callback_error = error
            self.cancel()

    def _finish(self, result: Any = None, error: BaseException | None = None) -> None:
        if error is None and self._result_type is not None:
            try:
                result = self._result_type.from_wire(result)
            except DecodeError as problem:
                error = problem
        self._result = result
        self._error = error
        self._event.set()
        if self._on_done is not None:
            try:
                self._on_done()
            except Exception:  # noqa: BLE001
                log.exception("on_done callback of %s failed", self.method)


class Stream:
    """A streaming story request: iterate for the text as it arrives, then call :meth:`result`.

    ::

        stream = client.stream_act(adventure_id, "do", "open the door")
        for text in stream:          # each story/chunk's text, in seq order
            print(text, end="", flush=True)
        result = stream.result()     # the StoryResult: result.ai_turn.text, result.usage

    Iteration ends when the response arrives; if the request failed (cancelled, conflict, …) the
    iteration raises its :class:`ImaginAIError` after yielding every chunk that came before.
    ``chunks`` holds the :class:`StoryChunk` notifications (``request_id``, ``adventure_id``, ``seq``,
    ``text``) received so far. :meth:`cancel` sends ``$/cancelRequest``. Used as a context manager, leaving the
    block before the request finished cancels it and waits for its response.
    """

    def __init__(self, client: "Client", method: str, params: dict[str, Any]):
        self._client = client
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.chunks: list[StoryChunk] = []
        self.request = client.send(method, params, on_chunk=self._on_chunk, on_done=lambda: self._queue.put(_END),
                                   result_type=StoryResult)

    @property
    def id(self) -> int:
        return self.request.id

    def _on_chunk(self, chunk: StoryChunk) -> None:
        self.chunks.append(chunk)
        self._queue.put(chunk)

    def __iter__(self) -> Iterator[str]:
        timeout = self._client.timeout
        while True:
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no chunk or response for {self.request.method} within {timeout} s") from None
            except KeyboardInterrupt:
                self.cancel()
                raise
            if item is _END:
                self.request.result(0)  # raises the request's error, if any
                return
            yield item.text

    @property
    def text(self) -> str:
        """The text streamed so far, concatenated."""
        return "".join(chunk.text for chunk in list(self.chunks))

    def cancel(self) -> None:
        self.request.cancel()

    def done(self) -> bool:
        return self.request.done()

    def result(self, timeout: float | None = _UNSET) -> StoryResult:
        """Waits for and returns the StoryResult (raises the request's error)."""
        result: StoryResult = self.request.result(self._client.timeout if timeout is _UNSET else timeout)
        return result

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if not self.request.done():
            self.request.cancel()
            try:
                self.request.result(self._client.timeout)
            except (ImaginAIError, TimeoutError):
                pass  # cancelled (or the daemon went away): what the caller asked for by leaving early


class Client:
    """A connection to a daemon it spawns: ``imaginai serve [--db DB] [args…]``.

    ::

        with Client(db="/tmp/story.sqlite") as client:
            scenarios = client.scenario_list().scenarios

    ``binary``: the executable (else ``$IMAGINAI_BIN``, else ``imaginai`` on PATH). ``db``: passed as
    ``--db`` (``":memory:"`` for throwaway sessions); without it the daemon picks its default database.
    ``args``: extra command-line options (``["--log-level", "debug"]``). ``env``: extra environment
    variables for the daemon. ``timeout``: default seconds to wait for a response (None waits for ever).
    ``stderr``: where the daemon's log goes — by default the client keeps its last 64 KiB
    (:attr:`stderr_tail`); pass any ``subprocess.Popen`` stderr target instead (a file,
    ``subprocess.DEVNULL``, or ``None`` to share this process's stderr). ``on_notification(method, params)``
    receives every notification (``story/chunk`` included); ``on_protocol_error(error)`` receives error
    responses that carry no id (framing errors, -31004).

    Entering the context (or :meth:`start`) spawns the daemon and sends ``initialize`` and
    ``initialized``; leaving it (or :meth:`close`) sends ``shutdown`` and ``exit`` and waits for the
    process, whose exit status is then :attr:`returncode` (0 after a clean shutdown).
    """

    def __init__(
        self,
        binary: str | os.PathLike[str] | None = None,
        db: str | os.PathLike[str] | None = None,
        *,
        args: list[str] | tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        client_info: Mapping[str, Any] | None = None,
        initialization_options: Any = None,
        stderr: Any = _UNSET,
        on_notification: NotificationCallback | None = None,
        on_protocol_error: Callable[[ImaginAIError], Any] | None = None,
    ):
        self.binary = find_binary(binary)
        self.db = None if db is None else os.fspath(db)
        self.args = list(args)
        self.env = dict(env or {})
        self.timeout = timeout
        self.client_info = dict(client_info) if client_info else {"name": "imaginai_client (python)", "version": __version__}
        self.initialization_options = initialization_options
        self.on_notification = on_notification
        self.on_protocol_error = on_protocol_error
        self._stderr_target = stderr

        #: The ``initialize`` result: ``server_info``, ``protocol_version``, ``capabilities``.
        self.server: InitializeResult | None = None
        #: The daemon's exit status once it has exited.
        self.returncode: int | None = None
        #: Error responses with a null id (the daemon could not tell which request they answer).
        self.protocol_errors: list[ImaginAIError] = []

        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._stderr_thread: threading.Thread | None = None
        self._stderr_buffer: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, PendingRequest] = {}
        self._handlers: dict[str, list[Callable[[Any], Any]]] = {}
        self._change_callbacks: list[LibraryChangeCallback] = []
        self._lost = False
        self._max_message_bytes: int | None = None

    # MARK: lifecycle

    def __enter__(self) -> "Client":
        self.start()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is not None:
            # Leaving on an error (Ctrl-C in a loop over a stream, say): nobody will read the requests
            # still running, and shutdown would wait for them to finish, a whole turn's generation.
            self.cancel_pending()
        try:
            self.close()
        except Exception:
            if exc is None:
                raise
            log.exception("closing the daemon failed")

    @property
    def command(self) -> list[str]:
        return command_line(self.binary, self.db, self.args)

    def start(self) -> InitializeResult:
        """Spawns the daemon, sends ``initialize`` and ``initialized``; returns the initialize result."""
        if self._process is not None:
            raise RuntimeError("this client has already been started")
        env = dict(os.environ)
        env.update(self.env)
        capture = self._stderr_target is _UNSET
        self._process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture else self._stderr_target,
            env=env,
            # Out of the terminal's process group: Ctrl-C reaches only this program, whose client then
            # cancels the running request and shuts the daemon down cleanly, keeping the partial turn.
            # The daemon still exits on its own when this process dies, as its stdin closes.
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read_loop, name="imaginai-reader", daemon=True)
        self._reader.start()
        if capture:
            self._stderr_thread = threading.Thread(target=self._drain_stderr, name="imaginai-stderr", daemon=True)
            self._stderr_thread.start()
        try:
            self.server = self.initialize(self.client_info, self.initialization_options)
            limits = self.server.capabilities.get("limits", {})
            self._max_message_bytes = limits.get("maxMessageBytes")
            self.initialized()
        except BaseException:
            self._kill()
            raise
        return self.server

    def close(self, timeout: float = 10.0) -> int | None:
        """Sends ``shutdown`` then ``exit``, closes stdin and waits for the daemon; returns its exit status.

        Safe to call twice. A daemon that does not exit within ``timeout`` seconds is killed.
        """
        process = self._process
        if process is None:
            return None
        if self.returncode is not None:
            return self.returncode
        try:
            if not self._lost and process.poll() is None:
                try:
                    self.shutdown(timeout=timeout)
                except (ImaginAIError, TimeoutError) as error:
                    log.warning("shutdown failed: %s", error)
                try:
                    self.exit()
                except (ConnectionLostError, OSError):
                    pass
        finally:
            try:
                if process.stdin:
                    process.stdin.close()
            except OSError:
                pass
            try:
                self.returncode = process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("imaginai did not exit within %s s; killing it", timeout)
                process.kill()
                self.returncode = process.wait()
            for thread in (self._reader, self._stderr_thread):
                if thread is not None and thread is not threading.current_thread():
                    thread.join(timeout)
            if process.stdout:
                process.stdout.close()
            if process.stderr:
                process.stderr.close()
        return self.returncode

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        if self._process is not None:
            self.returncode = self._process.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def stderr_tail(self) -> str:
        """The last 64 KiB the daemon wrote to stderr (its log), when the client captures it."""
        with self._lock:
            return b"".join(self._stderr_buffer).decode("utf-8", errors="replace")

    def _drain_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        # Popen(stderr=PIPE) without text mode gives a buffered binary reader, which has read1.
        stream = typing.cast(io.BufferedReader, self._process.stderr)
        while True:
            try:
                data = stream.read1(65536)
            except (OSError, ValueError):
                return
            if not data:
                return
            with self._lock:
                self._stderr_buffer.append(data)
                self._stderr_size += len(data)
                while self._stderr_size > 65536 and len(self._stderr_buffer) > 1:
                    self._stderr_size -= len(self._stderr_buffer.popleft())

    # MARK: sending

    def _write(self, message: dict[str, Any]) -> None:
        body = encode_body(message)
        limit = self._max_message_bytes
        if limit is not None and len(body) > limit:
            # The daemon would skip it unread and answer with id null, leaving the request unanswered.
            raise TooLargeError(TOO_LARGE, f"message of {len(body)} bytes is over the daemon's limit of {limit}",
                                {"bytes": len(body), "limit": limit})
        frame = b"Content-Length: %d\r\n\r\n" % len(body) + body
        if self._process is None:
            raise RuntimeError("the client has not been started")
        with self._write_lock:
            if self._lost:
                raise ConnectionLostError("the daemon's connection is closed" + self._exit_note())
            try:
                assert self._process.stdin is not None
                self._process.stdin.write(frame)
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError) as error:
                raise ConnectionLostError(f"cannot write to the daemon: {error}" + self._exit_note()) from error

    def send(self, method: str, params: Mapping[str, Any] | None = None, *, on_chunk: ChunkCallback | None = None,
             on_done: Callable[[], Any] | None = None, result_type: type[WireObject] | None = None) -> PendingRequest:
        """Sends a request without waiting; returns its :class:`PendingRequest` handle.

        ``on_chunk(chunk)`` receives the :class:`StoryChunk` notifications of this request, in order,
        before the response; ``on_done()`` runs (on the reader thread) once the response has arrived.
        ``result_type`` (a dataclass of :mod:`imaginai_client.models`) decodes the result.
        """
        with self._lock:
            request_id = next(self._ids)
            pending = PendingRequest(self, request_id, method, on_chunk, on_done, result_type)
            self._pending[request_id] = pending
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = dict(params)
        try:
            self._write(message)
        except BaseException:
            with self._lock:
                self._pending.pop(request_id, None)
            raise
        return pending

    def request(self, method: str, params: Mapping[str, Any] | None = None, *, on_chunk: ChunkCallback | None = None,
                timeout: float | None = _UNSET) -> Any:
        """Sends a request and waits for its raw JSON result (raises its :class:`ImaginAIError`)."""
        pending = self.send(method, params, on_chunk=on_chunk)
        return pending.result(self.timeout if timeout is _UNSET else timeout)

    def _call(self, method: str, params: Mapping[str, Any] | None, result_type: type[W], *,
              on_chunk: ChunkCallback | None = None, timeout: float | None = _UNSET) -> W:
        pending = self.send(method, params, on_chunk=on_chunk, result_type=result_type)
        result: W = pending.result(self.timeout if timeout is _UNSET else timeout)
        return result

    def notify(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        """Sends a notification (no response)."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = dict(params)
        self._write(message)

    def add_notification_handler(self, method: str, handler: Callable[[Any], Any]) -> Callable[[], None]:
        """Calls ``handler(params)`` (the raw JSON params) for every notification named ``method``; returns
        a function removing it. Handlers run on the reader thread."""
        with self._lock:
            self._handlers.setdefault(method, []).append(handler)

        def remove() -> None:
            with self._lock:
                handlers = self._handlers.get(method, [])
                if handler in handlers:
                    handlers.remove(handler)

        return remove

    # MARK: reading

    def _exit_note(self) -> str:
        process = self._process
        code = process.poll() if process else None
        note = f" (imaginai exited with status {code})" if code is not None else ""
        tail = self.stderr_tail.strip().splitlines()[-3:]
        return note + ("; its last log lines: " + " | ".join(tail) if tail else "")

    def _read_loop(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = typing.cast(io.BufferedReader, self._process.stdout)
        try:
            while True:
                try:
                    message = read_message(stdout)
                except (json.JSONDecodeError, UnicodeDecodeError) as error:
                    log.error("imaginai wrote a body that is not UTF-8 JSON: %s", error)
                    continue
                if message is None:
                    break
                if isinstance(message, list):
                    for item in message:
                        self._dispatch(item)
                else:
                    self._dispatch(message)
        except FramingError as error:
            log.error("imaginai's output is not framed: %s", error)
        except (OSError, ValueError):
            pass  # stdout closed under us
        finally:
            self._connection_lost()

    def _connection_lost(self) -> None:
        with self._write_lock:
            self._lost = True
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        if pending:
            # Give the process a moment so the error can say how it exited.
            if self._process is not None:
                try:
                    self._process.wait(0.5)
                except subprocess.TimeoutExpired:
                    pass
            if self._stderr_thread is not None:
                self._stderr_thread.join(0.5)
        for request in pending:
            request._finish(error=ConnectionLostError(
                f"imaginai closed its output before answering {request.method}" + self._exit_note()))

    def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict):
            log.warning("ignoring a message that is not an object: %r", message)
            return
        if "method" in message:
            if "id" in message:
                # The protocol has no server-to-client requests; answer politely so nothing waits.
                try:
                    self._write({"jsonrpc": "2.0", "id": message["id"],
                                 "error": {"code": -32601, "message": f"Method not found: {message['method']}"}})
                except ImaginAIError:
                    pass
                return
            self._notification(message["method"], message.get("params"))
            return
        if "id" not in message:
            log.warning("ignoring a message with neither method nor id: %r", message)
            return
        request_id = message["id"]
        error = message.get("error")
        if request_id is None:
            problem = ImaginAIError.from_error(error if isinstance(error, dict) else {"code": None, "message": str(message)})
            self.protocol_errors.append(problem)
            log.error("imaginai answered a message it could not attribute: %s", problem)
            if self.on_protocol_error is not None:
                try:
                    self.on_protocol_error(problem)
                except Exception:  # noqa: BLE001
                    log.exception("on_protocol_error failed")
            return
        with self._lock:
            pending = self._pending.pop(request_id, None)
        if pending is None:
            log.warning("ignoring a response to unknown id %r", request_id)
            return
        if isinstance(error, dict):
            pending._finish(error=ImaginAIError.from_error(error))
        else:
            pending._finish(result=message.get("result"))

    def on_library_changed(self, callback: LibraryChangeCallback) -> Callable[[], None]:
        """Calls ``callback(change)`` with a :class:`LibraryChange` for each ``library/changed`` notification.

        The daemon sends one when another process (another editor's daemon, ``imaginai import`` from a
        shell) changed the shared database, within 200 ms, one per row and in commit order: a large import
        is hundreds of them, so refresh a view once per burst rather than per change. The callback runs
        on the reader thread. Returns a function that removes it.
        """
        with self._lock:
            self._change_callbacks.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._change_callbacks:
                    self._change_callbacks.remove(callback)

        return remove

    def _notification(self, method: str, params: Any) -> None:
        if method == "story/chunk":
            try:
                chunk = StoryChunk.from_wire(params)
            except DecodeError as error:
                log.error("ignoring a story/chunk the client cannot read: %s", error)
            else:
                with self._lock:
                    # This client's ids are ints; a chunk naming any other id is not ours.
                    pending = self._pending.get(chunk.request_id) if isinstance(chunk.request_id, int) else None
                if pending is not None:
                    pending._chunk(chunk)
        elif method == "library/changed":
            try:
                change = LibraryChange.from_wire(params)
            except DecodeError as error:
                log.error("ignoring a library/changed the client cannot read: %s", error)
            else:
                with self._lock:
                    callbacks = list(self._change_callbacks)
                for callback in callbacks:
                    try:
                        callback(change)
                    except Exception:  # noqa: BLE001
                        log.exception("library/changed callback failed")
        with self._lock:
            handlers = list(self._handlers.get(method, ()))
        for handler in handlers:
            try:
                handler(params)
            except Exception:  # noqa: BLE001
                log.exception("notification handler for %s failed", method)
        if self.on_notification is not None:
            try:
                self.on_notification(method, params)
            except Exception:  # noqa: BLE001
                log.exception("on_notification failed for %s", method)

    # MARK: lifecycle methods

    def initialize(self, client_info: Mapping[str, Any] | None = None,
                   initialization_options: Any = None) -> InitializeResult:
        """``initialize`` (sent by :meth:`start`): ``server_info``, ``protocol_version``, ``capabilities``."""
        return self._call("initialize", params(client_info=client_info, initialization_options=initialization_options),
                          InitializeResult)

    def initialized(self) -> None:
        """The ``initialized`` notification (sent by :meth:`start`)."""
        self.notify("initialized")

    def shutdown(self, timeout: float | None = _UNSET) -> None:
        """``shutdown``: the daemon finishes the requests in flight; later requests get -32600."""
        self.request("shutdown", timeout=timeout)

    def exit(self) -> None:
        """The ``exit`` notification: the daemon exits (status 0 after shutdown). Prefer :meth:`close`."""
        self.notify("exit")

    def cancel_pending(self) -> None:
        """Sends ``$/cancelRequest`` for every request still waiting for its response."""
        with self._lock:
            running = list(self._pending.values())
        for request in running:
            request.cancel()

    def cancel_request(self, request_id: int | str) -> None:
        """``$/cancelRequest``: asks the daemon to stop the request with that id."""
        try:
            self.notify("$/cancelRequest", {"id": request_id})
        except ConnectionLostError:
            pass

    # MARK: scenarios

    def scenario_list(self, query: str | None = None, tag: str | None = None, limit: int | None = None,
                      offset: int | None = None) -> ScenarioListResult:
        """``scenario/list``: ``scenarios`` (summaries, most recently updated first) and ``total``."""
        return self._call("scenario/list", params(query=query, tag=tag, limit=limit, offset=offset),
                          ScenarioListResult)

    def scenario_get(self, scenario_id: str) -> Scenario:
        """``scenario/get``: the Scenario with its cards."""
        return self._call("scenario/get", {"id": scenario_id}, Scenario)

    def scenario_create(self, scenario: Mapping[str, Any] | None = None, **fields: Any) -> Scenario:
        """``scenario/create``: a ScenarioDraft (dict and/or keywords; only ``name`` required) → Scenario."""
        return self._call("scenario/create", {"scenario": merge(scenario, fields)}, Scenario)

    def scenario_update(self, scenario_id: str, changes: Mapping[str, Any] | None = None, **fields: Any) -> Scenario:
        """``scenario/update``: a ScenarioChanges (dict and/or keywords) → the updated Scenario."""
        return self._call("scenario/update", {"id": scenario_id, "changes": merge(changes, fields)}, Scenario)

    def scenario_delete(self, scenario_id: str) -> DeleteResult:
        """``scenario/delete`` → ``deleted`` (the id)."""
        return self._call("scenario/delete", {"id": scenario_id}, DeleteResult)

    def scenario_duplicate(self, scenario_id: str, name: str | None = None) -> Scenario:
        """``scenario/duplicate`` → the new Scenario."""
        return self._call("scenario/duplicate", params(id=scenario_id, name=name), Scenario)

    def scenario_export(self, scenario_id: str, format: str | None = None) -> ExportResult:
        """``scenario/export`` (``imaginai`` default, or ``seed``) → ``format`` and ``data`` (the file's JSON)."""
        return self._call("scenario/export", params(id=scenario_id, format=format), ExportResult)

    def scenario_import(self, data: Any, format: str | None = None,
                        file_name: str | None = None) -> ScenarioImportResult:
        """``scenario/import``: a file's content (parsed JSON, or its text as a str) → the new Scenario.

        ``file_name`` (the file's name or path) names the scenario when the file has no title of its own.
        A file of several scenarios (an AI Dungeon scenario export) imports them all: the result is the
        first, and its ``scenarios`` lists every one in file order. ``skipped`` lists the file's entries
        that did not become cards, ``warnings`` the settings that could not be kept as written.
        """
        return self._call("scenario/import", params(data=data, format=format, file_name=file_name),
                          ScenarioImportResult)

    # MARK: cards

    def card_create(
        self, card: Mapping[str, Any] | None = None, *, scenario_id: str | None = None,
        adventure_id: str | None = None, name: str = UNSET, type: str = UNSET, keys: list[str] = UNSET,
        description: str = UNSET, secondary_keys: list[str] = UNSET, selective_logic: str = UNSET,
        constant: bool = UNSET, enabled: bool = UNSET, order: int = UNSET, probability: int = UNSET,
        scan_depth: int | None = UNSET, exclude_recursion: bool = UNSET, prevent_recursion: bool = UNSET,
        sticky: int = UNSET, cooldown: int = UNSET, delay: int = UNSET, group: str | None = UNSET,
        position: str = UNSET, depth: int = UNSET, notes: str = UNSET, **fields: Any,
    ) -> Card:
        """``card/create`` on a scenario or an adventure (exactly one id): a CardDraft → Card.

        The draft is ``card`` (a dict with the protocol's keys) plus these keywords; a field left out takes
        the daemon's default. Only ``name`` is required.

        - ``name``, ``type`` (``character``, ``location``, ``item``, ``faction``, ``lore``, ...), ``keys``
          (``[str]``, ``/regex/flags`` allowed), ``description`` (the text the model sees, kept exactly);
        - ``secondary_keys`` (``[str]``, default ``[]``) combined with ``keys`` by ``selective_logic``:
          ``"andAny"`` (default), ``"andAll"``, ``"notAny"`` or ``"notAll"``;
        - ``constant`` (bool: always included, needs no keys), ``enabled`` (bool, default True: a disabled
          card never fires and is kept);
        - ``order`` (int, default 100: higher is kept first when the budget is short and wins its group),
          ``probability`` (int 0–100, default 100), ``scan_depth`` (int 0–100, or None: the setting);
        - ``exclude_recursion`` (not fired by another card's text), ``prevent_recursion`` (its text fires
          no other card) — bools;
        - ``sticky``, ``cooldown``, ``delay`` (int, in turns), ``group`` (str, or None: no group);
        - ``position`` (``"beforeHistory"`` default, ``"afterHistory"``, ``"atDepth"``) with ``depth``
          (int, default 4: turns from the end for ``atDepth``); ``notes`` (str, never sent to the model).
        """
        draft = card_fields(card, fields, dict(
            name=name, type=type, keys=keys, description=description, secondary_keys=secondary_keys,
            selective_logic=selective_logic, constant=constant, enabled=enabled, order=order,
            probability=probability, scan_depth=scan_depth, exclude_recursion=exclude_recursion,
            prevent_recursion=prevent_recursion, sticky=sticky, cooldown=cooldown, delay=delay, group=group,
            position=position, depth=depth, notes=notes))
        return self._call("card/create", {**params(scenario_id=scenario_id, adventure_id=adventure_id), "card": draft},
                          Card)

    def card_update(
        self, card_id: str, changes: Mapping[str, Any] | None = None, *, name: str = UNSET, type: str = UNSET,
        keys: list[str] = UNSET, description: str = UNSET, secondary_keys: list[str] = UNSET,
        selective_logic: str = UNSET, constant: bool = UNSET, enabled: bool = UNSET, order: int = UNSET,
        probability: int = UNSET, scan_depth: int | None = UNSET, exclude_recursion: bool = UNSET,
        prevent_recursion: bool = UNSET, sticky: int = UNSET, cooldown: int = UNSET, delay: int = UNSET,
        group: str | None = UNSET, position: str = UNSET, depth: int = UNSET, notes: str = UNSET, **fields: Any,
    ) -> Card:
        """``card/update``: CardChanges → the updated Card.

        Only the fields given change (``changes`` as a dict with the protocol's keys, and/or the keywords
        of :meth:`card_create`); a keyword left out is left unchanged. ``scan_depth=None`` goes back to the
        setting and ``group=None`` takes the card out of its group (both are sent as JSON null); the other
        fields reject None (the daemon answers :class:`InvalidParamsError` naming the field).
        """
        merged = card_fields(changes, fields, dict(
            name=name, type=type, keys=keys, description=description, secondary_keys=secondary_keys,
            selective_logic=selective_logic, constant=constant, enabled=enabled, order=order,
            probability=probability, scan_depth=scan_depth, exclude_recursion=exclude_recursion,
            prevent_recursion=prevent_recursion, sticky=sticky, cooldown=cooldown, delay=delay, group=group,
            position=position, depth=depth, notes=notes))
        return self._call("card/update", {"id": card_id, "changes": merged}, Card)

    def card_delete(self, card_id: str) -> DeleteResult:
        """``card/delete`` → ``deleted`` (the id)."""
        return self._call("card/delete", {"id": card_id}, DeleteResult)

    def card_duplicate(self, card_id: str) -> Card:
        """``card/duplicate`` → the new Card."""
        return self._call("card/duplicate", {"id": card_id}, Card)

    def cards_export(self, format: str, *, scenario_id: str | None = None,
                     adventure_id: str | None = None) -> ExportResult:
        """``cards/export`` (``imaginai``, ``aidungeon`` or ``sillytavern``) → ``format`` and ``data``."""
        return self._call("cards/export", params(scenario_id=scenario_id, adventure_id=adventure_id, format=format),
                          ExportResult)

    def cards_import(self, data: Any, *, scenario_id: str | None = None, adventure_id: str | None = None,
                     format: str | None = None, mode: str | None = None) -> CardsImportResult:
        """``cards/import`` (mode ``append`` or ``replace``) → ``cards``, ``imported``, ``skipped``, ``warnings``,
        ``format``."""
        return self._call("cards/import", params(scenario_id=scenario_id, adventure_id=adventure_id, data=data,
                                                 format=format, mode=mode), CardsImportResult)

    # MARK: adventures

    def adventure_start(self, scenario_id: str, name: str | None = None) -> Adventure:
        """``adventure/start``: copies the scenario into a new Adventure with the opening scene as turn 0."""
        return self._call("adventure/start", params(scenario_id=scenario_id, name=name), Adventure)

    def adventure_list(self, limit: int | None = None, offset: int | None = None) -> AdventureListResult:
        """``adventure/list`` → ``adventures`` (summaries) and ``total``."""
        return self._call("adventure/list", params(limit=limit, offset=offset), AdventureListResult)

    def adventure_get(self, adventure_id: str) -> Adventure:
        """``adventure/get`` → Adventure."""
        return self._call("adventure/get", {"id": adventure_id}, Adventure)

    def adventure_update(self, adventure_id: str, changes: Mapping[str, Any] | None = None, **fields: Any) -> Adventure:
        """``adventure/update``: AdventureChanges → the updated Adventure.

        ``summary="…"`` sets the story-so-far summary sent before the history; every change is a new
        version (see ``adventure_summary_versions``), so setting an earlier version's text takes it back.
        """
        return self._call("adventure/update", {"id": adventure_id, "changes": merge(changes, fields)}, Adventure)

    def adventure_duplicate(self, adventure_id: str, name: str | None = None,
                            up_to_turn: str | None = None) -> Adventure:
        """``adventure/duplicate`` (optionally only up to a turn id) → the new Adventure."""
        return self._call("adventure/duplicate", params(id=adventure_id, name=name, up_to_turn=up_to_turn), Adventure)

    def adventure_delete(self, adventure_id: str) -> DeleteResult:
        """``adventure/delete`` → ``deleted`` (the id)."""
        return self._call("adventure/delete", {"id": adventure_id}, DeleteResult)

    def adventure_restart(self, adventure_id: str) -> Adventure:
        """``adventure/restart``: puts the opening scene back into an adventure with no turns."""
        return self._call("adventure/restart", {"id": adventure_id}, Adventure)

    def adventure_summary_versions(self, adventure_id: str) -> SummaryVersionsResult:
        """``adventure/summaryVersions`` → ``versions`` (``version``, ``text``, ``created_at``, ``source``,
        ``current``), oldest first; ``source`` is ``"user"`` or ``"auto"`` (an autoSummary rewrite)."""
        return self._call("adventure/summaryVersions", {"adventureId": adventure_id}, SummaryVersionsResult)

    # MARK: turns

    def turn_list(self, adventure_id: str, limit: int | None = None, before_index: int | None = None) -> TurnListResult:
        """``turn/list`` → ``turns`` (oldest first within the page) and ``turn_count``."""
        return self._call("turn/list", params(adventure_id=adventure_id, limit=limit, before_index=before_index),
                          TurnListResult)

    def turn_edit(self, turn_id: str, text: str) -> Turn:
        """``turn/edit`` → the updated Turn."""
        return self._call("turn/edit", {"id": turn_id, "text": text}, Turn)

    def turn_delete(self, turn_id: str) -> DeleteResult:
        """``turn/delete`` → ``deleted`` (the id)."""
        return self._call("turn/delete", {"id": turn_id}, DeleteResult)

    def turn_versions(self, turn_id: str) -> TurnVersionsResult:
        """``turn/versions`` → ``versions`` (``version``, ``text``, ``created_at``, ``current``) of a retried
        ai turn."""
        return self._call("turn/versions", {"id": turn_id}, TurnVersionsResult)

    def turn_use_version(self, turn_id: str, version: int) -> Turn:
        """``turn/useVersion``: makes an earlier version current → the updated Turn."""
        return self._call("turn/useVersion", {"id": turn_id, "version": version}, Turn)

    # MARK: settings

    def settings_get(self) -> Settings:
        """``settings/get`` → Settings."""
        return self._call("settings/get", None, Settings)

    def settings_update(self, changes: Mapping[str, Any] | None = None, **fields: Any) -> Settings:
        """``settings/update``: SettingsChanges (e.g. ``max_output_tokens=300``) → the whole Settings.

        Among them ``scan_depth`` (0–100 recent turns searched for card keys) and ``recursion_depth``
        (0–10, default 2: how many rounds the text of included cards is searched for other cards' keys;
        0 turns recursion off).
        """
        return self._call("settings/update", {"changes": merge(changes, fields)}, Settings)

    # MARK: story

    def story_act(self, adventure_id: str, action: str, text: str, on_chunk: ChunkCallback | None = None, *,
                  timeout: float | None = _UNSET) -> StoryResult:
        """``story/act`` (action ``do``, ``say`` or ``story``): stores the player's turn and generates the next.

        ``on_chunk(chunk)`` receives each :class:`StoryChunk` (``request_id``, ``adventure_id``, ``seq``,
        ``text``) as it arrives. Returns the StoryResult (``player_turn``, ``ai_turn``, ``usage``,
        ``finish_reason``, ``trimmed``). For cancellation use :meth:`stream_act`, or :meth:`send` and the
        handle's ``cancel()``.
        """
        return self._call("story/act", {"adventureId": adventure_id, "action": action, "text": text}, StoryResult,
                          on_chunk=on_chunk, timeout=timeout)

    def story_continue(self, adventure_id: str, on_chunk: ChunkCallback | None = None, *,
                       timeout: float | None = _UNSET) -> StoryResult:
        """``story/continue``: generates another ai turn without a player action → StoryResult."""
        return self._call("story/continue", {"adventureId": adventure_id}, StoryResult, on_chunk=on_chunk,
                          timeout=timeout)

    def story_retry(self, adventure_id: str, on_chunk: ChunkCallback | None = None, *,
                    timeout: float | None = _UNSET) -> StoryResult:
        """``story/retry``: regenerates the last ai turn as a new version → StoryResult."""
        return self._call("story/retry", {"adventureId": adventure_id}, StoryResult, on_chunk=on_chunk,
                          timeout=timeout)

    def story_undo(self, adventure_id: str) -> UndoResult:
        """``story/undo`` → ``removed`` (the turns) and ``turn_count``."""
        return self._call("story/undo", {"adventureId": adventure_id}, UndoResult)

    def story_redo(self, adventure_id: str) -> RedoResult:
        """``story/redo`` → ``restored`` (the turns) and ``turn_count``."""
        return self._call("story/redo", {"adventureId": adventure_id}, RedoResult)

    def story_preview(self, adventure_id: str, action: str | None = None, text: str | None = None) -> PreviewResult:
        """``story/preview``: the prompt the next act (or, without action, continue) would send.

        Returns ``model``, ``sections``, ``fired_cards``, ``included_turns``, ``dropped_turns``,
        ``older_turns_omitted``, ``recalled_turns``, ``total_tokens`` and ``budget_tokens``.
        """
        return self._call("story/preview", params(adventure_id=adventure_id, action=action, text=text), PreviewResult)

    def stream_act(self, adventure_id: str, action: str, text: str) -> Stream:
        """``story/act`` as a :class:`Stream`: iterate for the text, then ``.result()``; ``.cancel()`` stops it."""
        return Stream(self, "story/act", {"adventureId": adventure_id, "action": action, "text": text})

    def stream_continue(self, adventure_id: str) -> Stream:
        """``story/continue`` as a :class:`Stream`."""
        return Stream(self, "story/continue", {"adventureId": adventure_id})

    def stream_retry(self, adventure_id: str) -> Stream:
        """``story/retry`` as a :class:`Stream`."""
        return Stream(self, "story/retry", {"adventureId": adventure_id})

    # MARK: usage and models

    def usage_get(self, adventure_id: str) -> UsageResult:
        """``usage/get`` → ``totals`` (prompt, output and thinking tokens, turns) and per-turn ``turns``."""
        return self._call("usage/get", {"adventureId": adventure_id}, UsageResult)

    def models_list(self) -> ModelsListResult:
        """``models/list`` → ``models``: ``id``, ``name``, ``context_tokens``, ``available`` (``reason`` when
        not), …"""
        return self._call("models/list", None, ModelsListResult)
