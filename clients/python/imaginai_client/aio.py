"""The asyncio client: the same methods as :class:`~imaginai_client.Client`, as coroutines.

::

    async with AsyncClient(db="story.sqlite") as client:
        adventure = await client.adventure_start(scenario_id)
        async with client.stream_act(adventure.id, "do", "open the door") as turn:
            async for chunk in turn:            # StoryChunk: chunk.text, chunk.seq
                print(chunk.text, end="", flush=True)
        print(turn.result.ai_turn.text)         # the StoryResult, once the stream has ended

The daemon runs under ``asyncio.create_subprocess_exec``; one reader task reads its output and resolves
each request's future by id, so any number of requests may be in flight at once (``asyncio.gather``).
Cancelling the task that awaits a request (``task.cancel()``, ``asyncio.wait_for`` running out, leaving
a ``stream_…`` block early) sends ``$/cancelRequest`` for it; a story request cancelled that way still
keeps the text generated so far, as the daemon stores it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import logging
import os
from typing import Any, Callable, Generator, Mapping, TypeVar

from . import __version__
from ._shared import UNSET, card_fields, command_line, find_binary, merge, params
from .errors import TOO_LARGE, ConnectionLostError, ImaginAIError, TooLargeError
from .framing import FramingError, encode_body, read_message_async
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

__all__ = ["AsyncClient", "AsyncStream", "LibraryChanges"]

log = logging.getLogger("imaginai_client")

W = TypeVar("W", bound=WireObject)
ChunkCallback = Callable[[StoryChunk], Any]
LibraryChangeCallback = Callable[[LibraryChange], Any]

_DEFAULT: Any = object()
_END = object()
_STDERR_KEEP = 65536


class _Pending:
    """A request in flight: its future, how to decode its result, and where its chunks go."""

    def __init__(self, method: str, future: asyncio.Future[Any], result_type: type[WireObject] | None,
                 on_chunk: Callable[[StoryChunk], None] | None):
        self.method = method
        self.future = future
        self.result_type = result_type
        self.on_chunk = on_chunk


class AsyncStream:
    """A streaming story request: ``async for`` its :class:`StoryChunk` s, then read :attr:`result`.

    ::

        turn = client.stream_act(adventure_id, "do", "open the door")
        async for chunk in turn:
            print(chunk.text, end="", flush=True)
        result = turn.result            # StoryResult: result.ai_turn, result.usage, result.finish_reason

        result = await client.stream_continue(adventure_id)   # or just await it for the result

    The request is sent when the stream is created. Iteration ends when the response arrives; if the
    request failed (cancelled, conflict, …) the iteration raises its :class:`ImaginAIError` after
    yielding every chunk that came before. :attr:`chunks` and :attr:`text` hold what arrived so far;
    :meth:`cancel` sends ``$/cancelRequest``. Used as ``async with``, leaving the block before the
    request finished cancels it and waits for its response; cancelling the task that iterates or awaits
    the stream cancels the request too.
    """

    def __init__(self, client: "AsyncClient", method: str, params: dict[str, Any], timeout: float | None):
        self._client = client
        self._timeout = timeout
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self.chunks: list[StoryChunk] = []
        self.method = method
        self.id, self._future = client._start_request(method, params, StoryResult, self._on_chunk)
        self._future.add_done_callback(lambda _: self._queue.put_nowait(_END))
        self._ended = False

    def _on_chunk(self, chunk: StoryChunk) -> None:
        self.chunks.append(chunk)
        self._queue.put_nowait(chunk)

    def __aiter__(self) -> "AsyncStream":
        return self

    async def __anext__(self) -> StoryChunk:
        if self._ended:
            raise StopAsyncIteration
        try:
            item = await asyncio.wait_for(self._queue.get(), self._timeout)
        except TimeoutError:
            self.cancel()
            raise TimeoutError(f"no chunk or response for {self.method} within {self._timeout} s; "
                               "the request was cancelled") from None
        except asyncio.CancelledError:
            self.cancel()
            raise
        if item is _END:
            self._ended = True
            error = self._future.exception()
            if error is not None:
                raise error
            raise StopAsyncIteration
        chunk: StoryChunk = item
        return chunk

    def __await__(self) -> Generator[Any, None, StoryResult]:
        return self._client._wait(self.id, self._future, self.method, self._timeout).__await__()

    @property
    def result(self) -> StoryResult:
        """The StoryResult once the response has arrived (raises the request's error if it failed).

        Raises ``RuntimeError`` while the request is still running: iterate to the end or ``await``
        the stream first.
        """
        if not self._future.done():
            raise RuntimeError(f"{self.method} is still running: iterate the stream to its end or await it")
        result: StoryResult = self._future.result()
        return result

    @property
    def text(self) -> str:
        """The text streamed so far, concatenated."""
        return "".join(chunk.text for chunk in self.chunks)

    def done(self) -> bool:
        return self._future.done()

    def cancel(self) -> None:
        """Sends ``$/cancelRequest``; the stream then ends with :class:`RequestCancelledError` (or its
        result, if the daemon had already finished)."""
        if not self._future.done():
            self._client._cancel_nowait(self.id)

    async def __aenter__(self) -> "AsyncStream":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        if not self._future.done():
            self.cancel()
            with contextlib.suppress(ImaginAIError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._future), self._timeout)


class LibraryChanges:
    """An async iterator of the ``library/changed`` notifications that arrive after it was created.

    ::

        with client.library_changes() as changes:
            async for change in changes:
                burst = [change, *changes.drain()]    # everything that arrived together
                refresh(burst)

    :meth:`drain` takes the changes already queued without waiting, so a burst (a big import is
    hundreds of notifications) is handled as one refresh. Iteration ends when the connection does;
    :meth:`close` (or leaving the ``with`` block) stops collecting.
    """

    def __init__(self, client: "AsyncClient"):
        self._client = client
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._ended = False
        client._feeds.append(self)

    def _put(self, item: Any) -> None:
        self._queue.put_nowait(item)

    def __aiter__(self) -> "LibraryChanges":
        return self

    async def __anext__(self) -> LibraryChange:
        if self._ended:
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _END:
            self._ended = True
            raise StopAsyncIteration
        change: LibraryChange = item
        return change

    def drain(self) -> list[LibraryChange]:
        """The changes already received and not yet taken, without waiting."""
        changes: list[LibraryChange] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is _END:
                self._ended = True
                break
            changes.append(item)
        return changes

    def close(self) -> None:
        if self in self._client._feeds:
            self._client._feeds.remove(self)

    def __enter__(self) -> "LibraryChanges":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncClient:
    """A connection to a daemon it spawns, for asyncio programs: ``imaginai serve [--db DB] [args…]``.

    Takes the options of :class:`~imaginai_client.Client` (``binary``, ``db``, ``args``, ``env``,
    ``timeout``, ``client_info``, ``initialization_options``, ``stderr``, ``on_notification``,
    ``on_protocol_error``); ``timeout`` bounds each wait for a response (for a stream: for its next
    chunk), and a request that runs out of it is cancelled at the daemon. ``async with`` (or
    :meth:`start`) spawns and initializes it; leaving (or :meth:`close`) shuts it down and waits.
    Callbacks (``on_chunk``, ``on_notification``, :meth:`on_library_changed`) run in the reader task:
    keep them short; to await something, start a task from them.
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
        stderr: Any = _DEFAULT,
        on_notification: Callable[[str, Any], Any] | None = None,
        on_protocol_error: Callable[[ImaginAIError], Any] | None = None,
    ):
        self.binary = find_binary(binary)
        self.db = None if db is None else os.fspath(db)
        self.args = list(args)
        self.env = dict(env or {})
        self.timeout = timeout
        self.client_info = dict(client_info) if client_info else {"name": "imaginai_client (python, asyncio)",
                                                                   "version": __version__}
        self.initialization_options = initialization_options
        self.on_notification = on_notification
        self.on_protocol_error = on_protocol_error
        self._stderr_target = stderr

        #: The ``initialize`` result.
        self.server: InitializeResult | None = None
        #: The daemon's exit status once it has exited.
        self.returncode: int | None = None
        #: Error responses with a null id (the daemon could not tell which request they answer).
        self.protocol_errors: list[ImaginAIError] = []

        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        self._stderr_buffer: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._handlers: dict[str, list[Callable[[Any], Any]]] = {}
        self._change_callbacks: list[LibraryChangeCallback] = []
        self._feeds: list[LibraryChanges] = []
        self._lost = False
        self._max_message_bytes: int | None = None

    # MARK: lifecycle

    async def __aenter__(self) -> "AsyncClient":
        await self.start()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is not None:
            # Leaving on an error or a cancellation (Ctrl-C under asyncio.run): nobody will read the
            # requests still running, and shutdown would wait for them to finish, a whole turn's generation.
            self.cancel_pending()
        try:
            await self.close()
        except Exception:
            if exc is None:
                raise
            log.exception("closing the daemon failed")

    @property
    def command(self) -> list[str]:
        return command_line(self.binary, self.db, self.args)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def stderr_tail(self) -> str:
        """The last 64 KiB the daemon wrote to stderr (its log), when the client captures it."""
        return b"".join(self._stderr_buffer).decode("utf-8", errors="replace")

    async def start(self) -> InitializeResult:
        """Spawns the daemon, sends ``initialize`` and ``initialized``; returns the initialize result."""
        if self._process is not None:
            raise RuntimeError("this client has already been started")
        environment = dict(os.environ)
        environment.update(self.env)
        capture = self._stderr_target is _DEFAULT
        self._process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE if capture else self._stderr_target,
            env=environment,
            # Out of the terminal's process group: Ctrl-C reaches only this program, whose client then
            # cancels the running request and shuts the daemon down cleanly, keeping the partial turn.
            # The daemon still exits on its own when this process dies, as its stdin closes.
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read_loop(), name="imaginai-reader")
        if capture:
            self._stderr_task = asyncio.create_task(self._drain_stderr(), name="imaginai-stderr")
        try:
            self.server = await self.initialize(self.client_info, self.initialization_options)
            self._max_message_bytes = self.server.capabilities.get("limits", {}).get("maxMessageBytes")
            await self.initialized()
        except BaseException:
            await self._kill()
            raise
        return self.server

    async def close(self, timeout: float = 10.0) -> int | None:
        """Sends ``shutdown`` then ``exit``, closes stdin and waits for the daemon; returns its exit status.

        Safe to call twice. A daemon that does not exit within ``timeout`` seconds is killed.
        """
        process = self._process
        if process is None:
            return None
        if self.returncode is not None:
            return self.returncode
        try:
            if not self._lost and process.returncode is None:
                try:
                    await self.shutdown(timeout=timeout)
                except (ImaginAIError, TimeoutError) as error:
                    log.warning("shutdown failed: %s", error)
                with contextlib.suppress(ConnectionLostError, OSError):
                    await self.exit()
        finally:
            if process.stdin is not None:
                process.stdin.close()
            try:
                self.returncode = await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                log.warning("imaginai did not exit within %s s; killing it", timeout)
                process.kill()
                self.returncode = await process.wait()
            for task in (self._reader, self._stderr_task):
                if task is not None:
                    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                        await asyncio.wait_for(task, timeout)
        return self.returncode

    async def _kill(self) -> None:
        if self._process is not None:
            if self._process.returncode is None:
                self._process.kill()
            self.returncode = await self._process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _drain_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        while True:
            data = await self._process.stderr.read(65536)
            if not data:
                return
            self._stderr_buffer.append(data)
            self._stderr_size += len(data)
            while self._stderr_size > _STDERR_KEEP and len(self._stderr_buffer) > 1:
                self._stderr_size -= len(self._stderr_buffer.popleft())

    # MARK: sending

    def _write_nowait(self, message: dict[str, Any]) -> None:
        """Queues a frame on the daemon's stdin; callers that can wait follow it with :meth:`_drain`."""
        body = encode_body(message)
        limit = self._max_message_bytes
        if limit is not None and len(body) > limit:
            # The daemon would skip it unread and answer with id null, leaving the request unanswered.
            raise TooLargeError(TOO_LARGE, f"message of {len(body)} bytes is over the daemon's limit of {limit}",
                                {"bytes": len(body), "limit": limit})
        if self._process is None or self._process.stdin is None:
            raise RuntimeError("the client has not been started")
        if self._lost or self._process.stdin.is_closing():
            raise ConnectionLostError("the daemon's connection is closed" + self._exit_note())
        self._process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _drain(self) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            await self._process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ConnectionLostError(f"cannot write to the daemon: {error}" + self._exit_note()) from error

    def _start_request(self, method: str, params: Mapping[str, Any] | None, result_type: type[WireObject] | None,
                       on_chunk: Callable[[StoryChunk], None] | None = None) -> tuple[int, asyncio.Future[Any]]:
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        # A request whose waiter was cancelled still gets its response; reading the outcome here keeps
        # asyncio from reporting an exception "never retrieved".
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = dict(params)
        self._pending[request_id] = _Pending(method, future, result_type, on_chunk)
        try:
            self._write_nowait(message)
        except BaseException:
            del self._pending[request_id]
            raise
        return request_id, future

    async def _wait(self, request_id: int, future: asyncio.Future[Any], method: str,
                    timeout: float | None) -> Any:
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.CancelledError:
            if not future.done():
                self._cancel_nowait(request_id)
            raise
        except TimeoutError:
            if not future.done():
                self._cancel_nowait(request_id)
            raise TimeoutError(f"no response to {method} (id {request_id}) within {timeout} s; "
                               "the request was cancelled") from None

    def _timeout(self, timeout: float | None) -> float | None:
        return self.timeout if timeout is _DEFAULT else timeout

    async def request(self, method: str, params: Mapping[str, Any] | None = None, *,
                      on_chunk: ChunkCallback | None = None, timeout: float | None = _DEFAULT) -> Any:
        """Sends any request and returns its raw JSON result (raises its :class:`ImaginAIError`).

        ``on_chunk(chunk)`` receives the request's :class:`StoryChunk` s. Cancel the awaiting task to send
        ``$/cancelRequest``.
        """
        request_id, future = self._start_request(method, params, None, on_chunk)
        await self._drain()
        return await self._wait(request_id, future, method, self._timeout(timeout))

    async def _call(self, method: str, params: Mapping[str, Any] | None, result_type: type[W], *,
                    timeout: float | None = _DEFAULT) -> W:
        request_id, future = self._start_request(method, params, result_type)
        await self._drain()
        result: W = await self._wait(request_id, future, method, self._timeout(timeout))
        return result

    async def notify(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        """Sends a notification (no response)."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = dict(params)
        self._write_nowait(message)
        await self._drain()

    def _cancel_nowait(self, request_id: int | str) -> None:
        with contextlib.suppress(ConnectionLostError, RuntimeError, OSError):
            self._write_nowait({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": request_id}})

    # MARK: notifications

    def add_notification_handler(self, method: str, handler: Callable[[Any], Any]) -> Callable[[], None]:
        """Calls ``handler(params)`` (the raw JSON params) for every notification named ``method``;
        returns a function removing it."""
        self._handlers.setdefault(method, []).append(handler)

        def remove() -> None:
            handlers = self._handlers.get(method, [])
            if handler in handlers:
                handlers.remove(handler)

        return remove

    def on_library_changed(self, callback: LibraryChangeCallback) -> Callable[[], None]:
        """Calls ``callback(change)`` for each ``library/changed`` notification (see :meth:`library_changes`);
        returns a function that removes it."""
        self._change_callbacks.append(callback)

        def remove() -> None:
            if callback in self._change_callbacks:
                self._change_callbacks.remove(callback)

        return remove

    def library_changes(self) -> LibraryChanges:
        """An async iterator of :class:`LibraryChange` notifications from now on.

        The daemon sends them when another process (another editor's daemon, ``imaginai import`` from a
        shell) changed the shared database, within 200 ms, one per row in commit order.
        """
        return LibraryChanges(self)

    # MARK: reading

    def _exit_note(self) -> str:
        code = self._process.returncode if self._process else None
        note = f" (imaginai exited with status {code})" if code is not None else ""
        tail = self.stderr_tail.strip().splitlines()[-3:]
        return note + ("; its last log lines: " + " | ".join(tail) if tail else "")

    async def _read_loop(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        try:
            while True:
                try:
                    message = await read_message_async(stdout)
                except (json.JSONDecodeError, UnicodeDecodeError) as error:
                    log.error("imaginai wrote a body that is not UTF-8 JSON: %s", error)
                    continue
                if message is None:
                    break
                for item in message if isinstance(message, list) else [message]:
                    self._dispatch(item)
        except FramingError as error:
            log.error("imaginai's output is not framed: %s", error)
        except (OSError, ValueError):
            pass  # stdout closed under us
        finally:
            await self._connection_lost()

    async def _connection_lost(self) -> None:
        self._lost = True
        pending = list(self._pending.values())
        self._pending.clear()
        if pending and self._process is not None:
            # Give the process a moment so the error can say how it exited.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._process.wait(), 0.5)
            if self._stderr_task is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._stderr_task), 0.5)
        for request in pending:
            if not request.future.done():
                request.future.set_exception(ConnectionLostError(
                    f"imaginai closed its output before answering {request.method}" + self._exit_note()))
        for feed in list(self._feeds):
            feed._put(_END)

    def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict):
            log.warning("ignoring a message that is not an object: %r", message)
            return
        if "method" in message:
            if "id" in message:
                # The protocol has no server-to-client requests; answer politely so nothing waits.
                with contextlib.suppress(ImaginAIError, RuntimeError):
                    self._write_nowait({"jsonrpc": "2.0", "id": message["id"],
                                        "error": {"code": -32601, "message": f"Method not found: {message['method']}"}})
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
        pending = self._pending.pop(request_id, None)
        if pending is None:
            log.warning("ignoring a response to unknown id %r", request_id)
            return
        if pending.future.done():
            return
        if isinstance(error, dict):
            pending.future.set_exception(ImaginAIError.from_error(error))
            return
        result = message.get("result")
        if pending.result_type is not None:
            try:
                result = pending.result_type.from_wire(result)
            except DecodeError as problem:
                pending.future.set_exception(problem)
                return
        pending.future.set_result(result)

    def _notification(self, method: str, params: Any) -> None:
        if method == "story/chunk":
            try:
                chunk = StoryChunk.from_wire(params)
            except DecodeError as error:
                log.error("ignoring a story/chunk the client cannot read: %s", error)
            else:
                # This client's ids are ints; a chunk naming any other id is not ours.
                pending = self._pending.get(chunk.request_id) if isinstance(chunk.request_id, int) else None
                if pending is not None and pending.on_chunk is not None:
                    pending.on_chunk(chunk)
        elif method == "library/changed":
            try:
                change = LibraryChange.from_wire(params)
            except DecodeError as error:
                log.error("ignoring a library/changed the client cannot read: %s", error)
            else:
                for feed in list(self._feeds):
                    feed._put(change)
                for callback in list(self._change_callbacks):
                    try:
                        callback(change)
                    except Exception:  # noqa: BLE001
                        log.exception("library/changed callback failed")
        for handler in list(self._handlers.get(method, ())):
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

    async def initialize(self, client_info: Mapping[str, Any] | None = None,
                         initialization_options: Any = None) -> InitializeResult:
        """``initialize`` (sent by :meth:`start`)."""
        return await self._call("initialize", params(client_info=client_info,
                                                     initialization_options=initialization_options), InitializeResult)

    async def initialized(self) -> None:
        """The ``initialized`` notification (sent by :meth:`start`)."""
        await self.notify("initialized")

    async def shutdown(self, timeout: float | None = _DEFAULT) -> None:
        """``shutdown``: the daemon finishes the requests in flight; later requests get -32600."""
        await self.request("shutdown", timeout=timeout)

    async def exit(self) -> None:
        """The ``exit`` notification: the daemon exits (status 0 after shutdown). Prefer :meth:`close`."""
        await self.notify("exit")

    def cancel_pending(self) -> None:
        """Sends ``$/cancelRequest`` for every request still waiting for its response."""
        for request_id, request in list(self._pending.items()):
            if not request.future.done():
                self._cancel_nowait(request_id)

    async def cancel_request(self, request_id: int | str) -> None:
        """``$/cancelRequest``: asks the daemon to stop the request with that id (cancelling the task
        that awaits a request does this for you)."""
        self._cancel_nowait(request_id)
        with contextlib.suppress(ConnectionLostError):
            await self._drain()

    # MARK: scenarios

    async def scenario_list(self, query: str | None = None, tag: str | None = None, limit: int | None = None,
                            offset: int | None = None) -> ScenarioListResult:
        """``scenario/list`` (see :meth:`Client.scenario_list`)."""
        return await self._call("scenario/list", params(query=query, tag=tag, limit=limit, offset=offset),
                                ScenarioListResult)

    async def scenario_get(self, scenario_id: str) -> Scenario:
        """``scenario/get``: the Scenario with its cards."""
        return await self._call("scenario/get", {"id": scenario_id}, Scenario)

    async def scenario_create(self, scenario: Mapping[str, Any] | None = None, **fields: Any) -> Scenario:
        """``scenario/create`` (see :meth:`Client.scenario_create`)."""
        return await self._call("scenario/create", {"scenario": merge(scenario, fields)}, Scenario)

    async def scenario_update(self, scenario_id: str, changes: Mapping[str, Any] | None = None,
                              **fields: Any) -> Scenario:
        """``scenario/update`` (see :meth:`Client.scenario_update`)."""
        return await self._call("scenario/update", {"id": scenario_id, "changes": merge(changes, fields)}, Scenario)

    async def scenario_delete(self, scenario_id: str) -> DeleteResult:
        """``scenario/delete``."""
        return await self._call("scenario/delete", {"id": scenario_id}, DeleteResult)

    async def scenario_duplicate(self, scenario_id: str, name: str | None = None) -> Scenario:
        """``scenario/duplicate`` → the new Scenario."""
        return await self._call("scenario/duplicate", params(id=scenario_id, name=name), Scenario)

    async def scenario_export(self, scenario_id: str, format: str | None = None) -> ExportResult:
        """``scenario/export`` (see :meth:`Client.scenario_export`)."""
        return await self._call("scenario/export", params(id=scenario_id, format=format), ExportResult)

    async def scenario_import(self, data: Any, format: str | None = None,
                              file_name: str | None = None) -> ScenarioImportResult:
        """``scenario/import`` (see :meth:`Client.scenario_import`)."""
        return await self._call("scenario/import", params(data=data, format=format, file_name=file_name),
                                ScenarioImportResult)

    # MARK: cards

    async def card_create(
        self, card: Mapping[str, Any] | None = None, *, scenario_id: str | None = None,
        adventure_id: str | None = None, name: str = UNSET, type: str = UNSET, keys: list[str] = UNSET,
        description: str = UNSET, secondary_keys: list[str] = UNSET, selective_logic: str = UNSET,
        constant: bool = UNSET, enabled: bool = UNSET, order: int = UNSET, probability: int = UNSET,
        scan_depth: int | None = UNSET, exclude_recursion: bool = UNSET, prevent_recursion: bool = UNSET,
        sticky: int = UNSET, cooldown: int = UNSET, delay: int = UNSET, group: str | None = UNSET,
        position: str = UNSET, depth: int = UNSET, notes: str = UNSET, **fields: Any,
    ) -> Card:
        """``card/create`` (see :meth:`Client.card_create` for every keyword)."""
        draft = card_fields(card, fields, dict(
            name=name, type=type, keys=keys, description=description, secondary_keys=secondary_keys,
            selective_logic=selective_logic, constant=constant, enabled=enabled, order=order,
            probability=probability, scan_depth=scan_depth, exclude_recursion=exclude_recursion,
            prevent_recursion=prevent_recursion, sticky=sticky, cooldown=cooldown, delay=delay, group=group,
            position=position, depth=depth, notes=notes))
        return await self._call("card/create",
                                {**params(scenario_id=scenario_id, adventure_id=adventure_id), "card": draft}, Card)

    async def card_update(
        self, card_id: str, changes: Mapping[str, Any] | None = None, *, name: str = UNSET, type: str = UNSET,
        keys: list[str] = UNSET, description: str = UNSET, secondary_keys: list[str] = UNSET,
        selective_logic: str = UNSET, constant: bool = UNSET, enabled: bool = UNSET, order: int = UNSET,
        probability: int = UNSET, scan_depth: int | None = UNSET, exclude_recursion: bool = UNSET,
        prevent_recursion: bool = UNSET, sticky: int = UNSET, cooldown: int = UNSET, delay: int = UNSET,
        group: str | None = UNSET, position: str = UNSET, depth: int = UNSET, notes: str = UNSET, **fields: Any,
    ) -> Card:
        """``card/update`` (see :meth:`Client.card_update`): only the fields given change."""
        merged = card_fields(changes, fields, dict(
            name=name, type=type, keys=keys, description=description, secondary_keys=secondary_keys,
            selective_logic=selective_logic, constant=constant, enabled=enabled, order=order,
            probability=probability, scan_depth=scan_depth, exclude_recursion=exclude_recursion,
            prevent_recursion=prevent_recursion, sticky=sticky, cooldown=cooldown, delay=delay, group=group,
            position=position, depth=depth, notes=notes))
        return await self._call("card/update", {"id": card_id, "changes": merged}, Card)

    async def card_delete(self, card_id: str) -> DeleteResult:
        """``card/delete``."""
        return await self._call("card/delete", {"id": card_id}, DeleteResult)

    async def card_duplicate(self, card_id: str) -> Card:
        """``card/duplicate`` → the new Card."""
        return await self._call("card/duplicate", {"id": card_id}, Card)

    async def cards_export(self, format: str, *, scenario_id: str | None = None,
                           adventure_id: str | None = None) -> ExportResult:
        """``cards/export`` (``imaginai``, ``aidungeon`` or ``sillytavern``)."""
        return await self._call("cards/export",
                                params(scenario_id=scenario_id, adventure_id=adventure_id, format=format), ExportResult)

    async def cards_import(self, data: Any, *, scenario_id: str | None = None, adventure_id: str | None = None,
                           format: str | None = None, mode: str | None = None) -> CardsImportResult:
        """``cards/import`` (mode ``append`` or ``replace``)."""
        return await self._call("cards/import", params(scenario_id=scenario_id, adventure_id=adventure_id, data=data,
                                                       format=format, mode=mode), CardsImportResult)

    # MARK: adventures

    async def adventure_start(self, scenario_id: str, name: str | None = None) -> Adventure:
        """``adventure/start``: a new Adventure with the opening scene as turn 0."""
        return await self._call("adventure/start", params(scenario_id=scenario_id, name=name), Adventure)

    async def adventure_list(self, limit: int | None = None, offset: int | None = None) -> AdventureListResult:
        """``adventure/list``."""
        return await self._call("adventure/list", params(limit=limit, offset=offset), AdventureListResult)

    async def adventure_get(self, adventure_id: str) -> Adventure:
        """``adventure/get``."""
        return await self._call("adventure/get", {"id": adventure_id}, Adventure)

    async def adventure_update(self, adventure_id: str, changes: Mapping[str, Any] | None = None,
                               **fields: Any) -> Adventure:
        """``adventure/update`` (see :meth:`Client.adventure_update`)."""
        return await self._call("adventure/update", {"id": adventure_id, "changes": merge(changes, fields)}, Adventure)

    async def adventure_duplicate(self, adventure_id: str, name: str | None = None,
                                  up_to_turn: str | None = None) -> Adventure:
        """``adventure/duplicate`` (optionally only up to a turn id)."""
        return await self._call("adventure/duplicate", params(id=adventure_id, name=name, up_to_turn=up_to_turn),
                                Adventure)

    async def adventure_delete(self, adventure_id: str) -> DeleteResult:
        """``adventure/delete``."""
        return await self._call("adventure/delete", {"id": adventure_id}, DeleteResult)

    async def adventure_restart(self, adventure_id: str) -> Adventure:
        """``adventure/restart``: puts the opening scene back into an adventure with no turns."""
        return await self._call("adventure/restart", {"id": adventure_id}, Adventure)

    async def adventure_summary_versions(self, adventure_id: str) -> SummaryVersionsResult:
        """``adventure/summaryVersions``, oldest first."""
        return await self._call("adventure/summaryVersions", {"adventureId": adventure_id}, SummaryVersionsResult)

    # MARK: turns

    async def turn_list(self, adventure_id: str, limit: int | None = None,
                        before_index: int | None = None) -> TurnListResult:
        """``turn/list``, oldest first within the page."""
        return await self._call("turn/list", params(adventure_id=adventure_id, limit=limit, before_index=before_index),
                                TurnListResult)

    async def turn_edit(self, turn_id: str, text: str) -> Turn:
        """``turn/edit`` → the updated Turn."""
        return await self._call("turn/edit", {"id": turn_id, "text": text}, Turn)

    async def turn_delete(self, turn_id: str) -> DeleteResult:
        """``turn/delete``."""
        return await self._call("turn/delete", {"id": turn_id}, DeleteResult)

    async def turn_versions(self, turn_id: str) -> TurnVersionsResult:
        """``turn/versions`` of a retried ai turn."""
        return await self._call("turn/versions", {"id": turn_id}, TurnVersionsResult)

    async def turn_use_version(self, turn_id: str, version: int) -> Turn:
        """``turn/useVersion``: makes an earlier version current."""
        return await self._call("turn/useVersion", {"id": turn_id, "version": version}, Turn)

    # MARK: settings

    async def settings_get(self) -> Settings:
        """``settings/get``."""
        return await self._call("settings/get", None, Settings)

    async def settings_update(self, changes: Mapping[str, Any] | None = None, **fields: Any) -> Settings:
        """``settings/update`` (see :meth:`Client.settings_update`) → the whole Settings."""
        return await self._call("settings/update", {"changes": merge(changes, fields)}, Settings)

    # MARK: story

    def stream_act(self, adventure_id: str, action: str, text: str) -> AsyncStream:
        """``story/act`` as an :class:`AsyncStream`: ``async for`` its chunks, then ``.result``; or await it."""
        return AsyncStream(self, "story/act", {"adventureId": adventure_id, "action": action, "text": text},
                           self.timeout)

    def stream_continue(self, adventure_id: str) -> AsyncStream:
        """``story/continue`` as an :class:`AsyncStream`."""
        return AsyncStream(self, "story/continue", {"adventureId": adventure_id}, self.timeout)

    def stream_retry(self, adventure_id: str) -> AsyncStream:
        """``story/retry`` as an :class:`AsyncStream`."""
        return AsyncStream(self, "story/retry", {"adventureId": adventure_id}, self.timeout)

    async def _story(self, method: str, story_params: dict[str, Any], on_chunk: ChunkCallback | None,
                     timeout: float | None) -> StoryResult:
        async with AsyncStream(self, method, story_params, self._timeout(timeout)) as stream:
            async for chunk in stream:
                if on_chunk is not None:
                    on_chunk(chunk)
        return stream.result

    async def story_act(self, adventure_id: str, action: str, text: str, on_chunk: ChunkCallback | None = None, *,
                        timeout: float | None = _DEFAULT) -> StoryResult:
        """``story/act``: ``on_chunk(chunk)`` for each :class:`StoryChunk`, then the StoryResult.

        An exception in ``on_chunk`` cancels the request and is raised once the daemon has answered.
        """
        return await self._story("story/act", {"adventureId": adventure_id, "action": action, "text": text},
                                 on_chunk, timeout)

    async def story_continue(self, adventure_id: str, on_chunk: ChunkCallback | None = None, *,
                             timeout: float | None = _DEFAULT) -> StoryResult:
        """``story/continue``: another ai turn without a player action."""
        return await self._story("story/continue", {"adventureId": adventure_id}, on_chunk, timeout)

    async def story_retry(self, adventure_id: str, on_chunk: ChunkCallback | None = None, *,
                          timeout: float | None = _DEFAULT) -> StoryResult:
        """``story/retry``: regenerates the last ai turn as a new version."""
        return await self._story("story/retry", {"adventureId": adventure_id}, on_chunk, timeout)

    async def story_undo(self, adventure_id: str) -> UndoResult:
        """``story/undo``."""
        return await self._call("story/undo", {"adventureId": adventure_id}, UndoResult)

    async def story_redo(self, adventure_id: str) -> RedoResult:
        """``story/redo``."""
        return await self._call("story/redo", {"adventureId": adventure_id}, RedoResult)

    async def story_preview(self, adventure_id: str, action: str | None = None,
                            text: str | None = None) -> PreviewResult:
        """``story/preview``: the prompt the next act (or, without action, continue) would send."""
        return await self._call("story/preview", params(adventure_id=adventure_id, action=action, text=text),
                                PreviewResult)

    # MARK: usage and models

    async def usage_get(self, adventure_id: str) -> UsageResult:
        """``usage/get``."""
        return await self._call("usage/get", {"adventureId": adventure_id}, UsageResult)

    async def models_list(self) -> ModelsListResult:
        """``models/list``."""
        return await self._call("models/list", None, ModelsListResult)

