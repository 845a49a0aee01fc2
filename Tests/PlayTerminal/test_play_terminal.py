"""`imaginai play` at a real pseudo-terminal: keys typed as a terminal sends them, the screen read back,
and what was stored read through a separate daemon (the Python client in clients/python).

Every wait is for expected output (or the process's end) with a timeout; nothing sleeps to synchronise.
Run by ./scripts/test; alone: python3 -m unittest discover -s Tests/PlayTerminal
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import tempfile
import termios
import textwrap
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
from imaginai_client import Client  # noqa: E402

BINARY = Path(os.environ.get("IMAGINAI_BIN") or REPO_ROOT / ".build" / "debug" / "imaginai")
TIMEOUT = 60.0
ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)")

LEFT, RIGHT, UP = "\x1b[D", "\x1b[C", "\x1b[A"
HOME_FORMS = ["\x1b[H", "\x1b[1~", "\x1bOH", "\x01"]
END_FORMS = ["\x1b[F", "\x1b[4~", "\x1bOF", "\x05"]
CTRL_C, CTRL_D, CTRL_L, CTRL_U, BACKSPACE = "\x03", "\x04", "\x0c", "\x15", "\x7f"


class Player:
    """`imaginai play` on the slave side of a pty `columns` wide (100 unless a test says)."""

    def __init__(self, db: str, data_home: str, columns: int = 100, **environment: str) -> None:
        env = dict(os.environ, XDG_DATA_HOME=data_home, TERM="xterm", LANG="C.UTF-8")
        for name in ("EDITOR", "VISUAL", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
            env.pop(name, None)
        # No local model server is offered at the start unless a test points at one.
        env["IMAGINAI_LOCAL_SERVERS"] = "none"
        env.update(environment)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
            os.execve(str(BINARY), [str(BINARY), "play", "--db", db], env)
        self.raw = b""
        self.seen = 0  # how much of the plain transcript expect() has consumed
        self.status: int | None = None

    @property
    def plain(self) -> str:
        return ESCAPES.sub("", self.raw.decode("utf-8", "replace"))

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, min(deadline - time.monotonic(), 0.5)))
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                return False
            if not data:
                return False
            self.raw += data
        return True

    def expect(self, text: str, timeout: float = TIMEOUT) -> str:
        """Waits until `text` appears after what was expected before; returns the transcript up to it."""
        deadline = time.monotonic() + timeout
        while True:
            plain = self.plain
            found = plain.find(text, self.seen)
            if found >= 0:
                before = plain[self.seen:found]
                self.seen = found + len(text)
                return before
            if time.monotonic() > deadline or not self._read(deadline):
                raise AssertionError(f"timed out waiting for {text!r}; the screen ended with:\n{plain[-1500:]}")

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self, timeout: float = TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            self._read(deadline)  # keeps draining, so the child never blocks writing to the terminal
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError(f"play did not exit; the screen ended with:\n{self.plain[-1500:]}")

    def close(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)


class PlayAtATerminal(unittest.TestCase):
    def setUp(self) -> None:
        if not BINARY.is_file():
            raise AssertionError(f"the imaginai binary is not at {BINARY}: build it or set IMAGINAI_BIN")
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.db = os.path.join(directory.name, "play.sqlite")
        self.data_home = os.path.join(directory.name, "data")

    def settings(self, **changes) -> None:
        with self.daemon() as client:
            client.settings_update(**changes)

    def daemon(self) -> Client:
        return Client(BINARY, self.db, timeout=30.0)

    def play(self, columns: int = 100, **environment: str) -> Player:
        player = Player(self.db, self.data_home, columns, **environment)
        self.addCleanup(player.close)
        return player

    def start_at_prompt(self, player: Player) -> None:
        player.expect("Choice [1]: ")
        player.type("\r")
        player.expect("Type /help for commands.")
        player.expect("> ")

    def stored_turns(self) -> list[dict]:
        with self.daemon() as client:
            adventures = client.adventure_list()["adventures"]
            self.assertEqual(len(adventures), 1)
            turns = client.turn_list(adventures[0]["id"])["turns"]
        for turn in turns:
            self.assertFalse(any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) < 0xA0 for c in turn["text"]),
                             f"a control character reached the story: {turn['text']!r}")
        return turns

    def player_lines(self) -> list[str]:
        return [turn["text"] for turn in self.stored_turns() if turn["role"] == "player"]

    def test_keys_edit_in_the_middle_and_history_comes_back_in_the_next_session(self) -> None:
        self.settings(storyteller_delay_ms=0)
        player = self.play()
        self.start_at_prompt(player)
        # "ook at the dr": left once, "oo" between d and r; home, "l"; end; a function key and an
        # unknown CSI are swallowed whole; Enter.
        player.type("ook at the dr" + LEFT + "oo" + HOME_FORMS[0] + "l" + END_FORMS[0] + "\x1b[15~\x1b[1;2P" + "\r")
        player.expect("> look at the door")
        player.expect("> ")
        # Every form of Home and End: "b", then each form puts an "a" before and a "c" after.
        player.type("b")
        for home, end in zip(HOME_FORMS, END_FORMS):
            player.type(home + "a" + end + "c")
        player.type("\r")
        player.expect("> aaaabcccc")
        player.expect("> ")
        # Up twice: the first line again, "door" made "window" with Backspace.
        player.type(UP + UP + BACKSPACE * 4 + "window" + "\r")
        player.expect("> look at the window")
        player.expect("> ")
        player.type(CTRL_D)
        self.assertEqual(player.wait(), 0)

        second = self.play()
        self.start_at_prompt(second)
        second.type(UP * 3 + "\r")
        second.expect("> look at the door")
        second.expect("> ")
        second.type(CTRL_D)
        self.assertEqual(second.wait(), 0)

        lines = ["look at the door", "aaaabcccc", "look at the window", "look at the door"]
        self.assertEqual(self.player_lines(), lines)
        history = Path(self.data_home, "imaginai", "history").read_text()
        self.assertEqual(history.splitlines(), lines)

    def test_ctrl_c_stops_the_writing_then_drops_a_line_and_ctrl_l_clears_the_screen(self) -> None:
        # Slow enough to still be writing when Ctrl-C comes.
        self.settings(storyteller_delay_ms=400, max_output_tokens=300)
        player = self.play()
        self.start_at_prompt(player)
        player.type("listen\r")
        player.expect("> listen")
        written = ""
        while len(written.split()) < 3:  # three words of the answer on screen
            player.expect(" ")
            written = player.plain[player.plain.rfind("> listen") + len("> listen"):]
        player.type(CTRL_C)
        player.expect("(stopped; the text so far was kept as turn 2)")
        player.expect("> ")
        player.type("never sent" + CTRL_C)
        player.expect("never sent^C")
        player.expect("> ")
        player.type("half a line" + CTRL_L)
        # After the clear: the prompt and the half line, drawn again on an empty screen.
        cleared = self._wait_raw(player, b"\x1b[H\x1b[2J")
        player.seen = len(ESCAPES.sub("", cleared.decode("utf-8", "replace")))
        screen = player.expect("half a line")
        self.assertNotIn("listen", screen)
        player.type(CTRL_U + CTRL_D)
        self.assertEqual(player.wait(), 0)

        turns = self.stored_turns()
        self.assertEqual([turn["role"] for turn in turns], ["ai", "player", "ai"])
        self.assertEqual(turns[1]["text"], "listen")
        self.assertLess(len(turns[2]["text"].split()), 150, "the writing was stopped, not finished")

    def test_edit_opens_a_short_turn_on_the_line_and_a_long_one_in_the_editor(self) -> None:
        self.settings(storyteller_delay_ms=0)
        editor = os.path.join(self.data_home, "editor.sh")
        os.makedirs(self.data_home)
        with open(editor, "w") as script:
            # An editor that changes the first word of the file it is given, as a person would.
            script.write('#!/bin/sh\nsed -i "1s/^[A-Za-z]*/Once/" "$1"\n')
        os.chmod(editor, 0o755)
        player = self.play(EDITOR=editor)
        self.start_at_prompt(player)
        player.type("wait\r")
        player.expect("> wait")
        player.expect("> ")
        player.type("/edit 1\r")
        player.expect("[1] wait")
        player.type(HOME_FORMS[1] + "\x1b[3~" * 4 + "sit down\r")  # Delete four times at the start
        player.expect("Turn 1 now reads:")
        player.type("/edit 0\r")  # the opening scene: long, several lines
        player.expect("Turn 0 now reads:")
        player.expect("[0] Once ")
        player.expect("> ")
        player.type(CTRL_D)
        self.assertEqual(player.wait(), 0)
        turns = self.stored_turns()
        self.assertEqual(turns[1]["text"], "sit down")
        self.assertTrue(turns[0]["text"].startswith("Once "), turns[0]["text"][:40])
        self.assertIn("\n", turns[0]["text"], "the rest of the opening scene is kept as it was")
        history = Path(self.data_home, "imaginai", "history").read_text().splitlines()
        self.assertEqual(history, ["wait", "/edit 1", "/edit 0"], "a turn's text never goes into the history")

    def test_at_a_narrow_terminal_no_word_is_split_across_rows_and_the_menu_takes_an_edited_answer(self) -> None:
        self.settings(storyteller_delay_ms=0)
        player = self.play(columns=40)
        player.expect("Choice [1]: ")
        # Ctrl-C drops a half-typed answer, as at the story's prompt.
        player.type("q" + CTRL_C)
        player.expect("q^C")
        player.expect("Choice [1]: ")
        # "21", Left, Backspace: "1". The same bytes taken as typed would be no entry of the menu.
        player.type("21" + LEFT + BACKSPACE + "\r")
        player.expect("Choice [1]: 1\r")
        player.expect("[0] ")
        opening = player.expect("Type /help for commands.")
        player.expect("> ")
        # The line typed stays on screen wrapped like the story (Python's textwrap as the reference).
        action = "look around the keeper's room for the ledger and the lamp"
        player.type(action + "\r")
        player.expect("\r\n".join(textwrap.wrap("> " + action, 39)))
        streamed = player.expect("\r> ")
        player.type("/history\r")
        player.expect("[0] ")
        reprinted_opening = player.expect("[1] ")
        reprinted_action = player.expect("[2] ")
        reprinted_answer = player.expect("\r> ")
        player.type(CTRL_D)
        self.assertEqual(player.wait(), 0)
        self.assertNotIn("Type a number from the list", player.plain)
        self.assertNotIn("[D", player.plain, "no escape code is shown at the menu")

        turns = self.stored_turns()
        self.assertEqual([turn["role"] for turn in turns], ["ai", "player", "ai"])
        # The opening and the reprints start after a "[N] " label, which takes the first row's room.
        for name, screen, turn, label in [("opening", opening, turns[0], "[0] "), ("answer", streamed, turns[2], ""),
                                          ("opening again", reprinted_opening, turns[0], "[0] "),
                                          ("answer again", reprinted_answer, turns[2], "[2] ")]:
            with self.subTest(name):
                self.assert_wrapped(label + screen.strip("\r\n"), turn["text"], label, columns=40)
        self.assertEqual(turns[1]["text"], action)
        self.assert_wrapped("[1] " + reprinted_action.strip("\r\n"), action, "[1] > ", columns=40)

    def test_ctrl_d_at_the_menu_leaves_without_starting_an_adventure(self) -> None:
        player = self.play()
        player.expect("Choice [1]: ")
        player.type(CTRL_D)
        self.assertEqual(player.wait(), 0)
        with self.daemon() as client:
            self.assertEqual(client.adventure_list()["adventures"], [])

    def assert_wrapped(self, screen: str, text: str, label: str, columns: int) -> None:
        """`screen` shows `text` with every row narrower than the terminal (so the terminal wraps none of
        them itself) and every word whole: rows were broken only where the text had a space."""
        rows = screen.split("\r\n")
        self.assertGreater(len(rows), 1, f"too short a text to tell: {screen!r}")
        for row in rows:
            self.assertLess(len(row), columns, f"a row the terminal would cut wherever it ends: {row!r}")
        self.assertEqual(" ".join(rows)[len(label):].split(), text.split(), "a word was split across two rows")

    def test_a_turn_cut_back_is_redrawn_as_stored_and_a_failed_model_says_how_to_go_back(self) -> None:
        streamed = "The lamp catches at last and the room fills with light. Outside the fog thins over the causeway and a shape"
        server = ThreadingHTTPServer(("127.0.0.1", 0), fake_openai_handler(streamed))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        provider = dict(OPENAI_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/v1", OPENAI_API_KEY="test")
        # Chosen before play starts: a model in use other than the storyteller is not offered again.
        with Client(BINARY, self.db, timeout=30.0, env=dict(os.environ, **provider)) as client:
            client.settings_update(model="openai/fake")
        player = self.play(**provider)
        self.start_at_prompt(player)
        player.type("light the lamp\r")
        player.expect("(cut back to the last full sentence)")
        # The streamed answer (110 characters: two rows of 100) is taken back and the stored one printed.
        after_prompt = player.raw[player.raw.rindex(b"light the lamp"):]
        erase = b"\x1b[1A\r\x1b[J"
        self.assertIn(erase, after_prompt)
        redrawn = ESCAPES.sub("", after_prompt[after_prompt.rindex(erase):].decode())
        self.assertIn("The lamp catches at last and the room fills with light.", redrawn)
        self.assertNotIn("a shape", redrawn)

        server.shutdown()
        server.server_close()
        player.expect("> ")
        player.type("look\r")
        # The daemon's own words (they differ by provider and version), then the way back.
        message = player.expect("(/model offline/storyteller goes back to the offline storyteller)")
        self.assertIn("\n! ", message)
        self.assertIn(str(server.server_address[1]), message[message.index("\n! "):], "the daemon names the server")
        player.type(CTRL_D)
        self.assertEqual(player.wait(), 0)
        stored = [turn["text"] for turn in self.stored_turns() if turn["role"] == "ai"]
        self.assertIn("The lamp catches at last and the room fills with light.", stored)

    def test_a_turn_cut_back_at_a_narrow_terminal_takes_back_every_wrapped_row(self) -> None:
        streamed = "The lamp catches at last and the room fills with light. Outside the fog thins over the causeway and a shape"
        stored = "The lamp catches at last and the room fills with light."
        columns = 37
        # Four rows wrapped at the spaces (Python's textwrap as the reference), where cutting the text every
        # 37 characters would count three.
        rows = len(textwrap.wrap(streamed, columns - 1))
        self.assertEqual(rows, 4)
        server = ThreadingHTTPServer(("127.0.0.1", 0), fake_openai_handler(streamed))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        provider = dict(OPENAI_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/v1", OPENAI_API_KEY="test")
        with Client(BINARY, self.db, timeout=30.0, env=dict(os.environ, **provider)) as client:
            client.settings_update(model="openai/fake")
        player = self.play(columns=columns, **provider)
        self.start_at_prompt(player)
        player.type("light the lamp\r")
        player.expect("(cut back to the last full sentence)")
        after_prompt = player.raw[player.raw.rindex(b"light the lamp"):]
        erase = f"\x1b[{rows - 1}A\r\x1b[J".encode()
        self.assertIn(erase, after_prompt)
        redrawn = ESCAPES.sub("", after_prompt[after_prompt.rindex(erase):].decode())
        redrawn = redrawn[:redrawn.index("(cut back")].strip("\r\n")
        self.assert_wrapped(redrawn, stored, "", columns=columns)
        player.expect("> ")
        player.type(CTRL_D)
        self.assertEqual(player.wait(), 0)

    def test_a_model_running_on_this_machine_is_offered_at_the_start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), fake_openai_handler("The lamp is lit."))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        local_servers = f"llamacpp=http://127.0.0.1:{server.server_address[1]}/v1"
        with Client(BINARY, self.db, timeout=30.0, env=dict(os.environ, IMAGINAI_LOCAL_SERVERS=local_servers)) as client:
            listed = client.request("models/list")["models"]
        if not any("local" in model for model in listed):
            self.skipTest("this daemon's models/list has no local servers yet (issue 13, part 4)")
        local = next(model["id"] for model in listed if model.get("local"))
        player = self.play(IMAGINAI_LOCAL_SERVERS=local_servers)
        player.expect("Choice [1]: ")
        player.type("\r")
        player.expect(f"A model is running on this machine: {local}. Use it instead of the offline storyteller? [y/N] ")
        player.type("y\r")
        player.expect(f"Now using {local}")
        player.type("/model\r")
        player.expect(f"* {local}")
        player.expect("(in use)")
        player.type(CTRL_D)
        self.assertEqual(player.wait(), 0)

    def test_the_terminal_is_given_back_when_the_daemon_dies_and_when_play_is_killed(self) -> None:
        self.settings(storyteller_delay_ms=0)
        player = self.play()
        self.start_at_prompt(player)
        self.assertFalse(termios.tcgetattr(player.fd)[3] & termios.ICANON, "raw mode while editing")
        # play's one child, spawned from whichever of its threads.
        children = [int(pid) for task in Path(f"/proc/{player.pid}/task").iterdir() for pid in (task / "children").read_text().split()]
        self.assertEqual(len(children), 1)
        daemon = children[0]
        os.kill(daemon, signal.SIGKILL)
        player.type("look\r")
        player.expect("! the daemon stopped before answering")
        self.assertEqual(player.wait(), 137)
        attributes = termios.tcgetattr(player.fd)
        self.assertTrue(attributes[3] & termios.ICANON and attributes[3] & termios.ECHO and attributes[3] & termios.ISIG)

        second = self.play()
        self.start_at_prompt(second)
        self.assertFalse(termios.tcgetattr(second.fd)[3] & termios.ECHO)
        os.kill(second.pid, signal.SIGTERM)
        self.assertEqual(second.wait(), -signal.SIGTERM)
        attributes = termios.tcgetattr(second.fd)
        self.assertTrue(attributes[3] & termios.ICANON and attributes[3] & termios.ECHO)

    def _wait_raw(self, player: Player, marker: bytes) -> bytes:
        """The raw output up to and including `marker`, once it has come."""
        deadline = time.monotonic() + TIMEOUT
        while marker not in player.raw:
            if time.monotonic() > deadline or not player._read(deadline):
                raise AssertionError(f"timed out waiting for {marker!r}")
        return player.raw[:player.raw.index(marker) + len(marker)]


def fake_openai_handler(text: str) -> type[BaseHTTPRequestHandler]:
    """An OpenAI-compatible server with one model, "fake", that streams `text` and stops at the length limit."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *arguments) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps({"data": [{"id": "fake", "object": "model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            events = [{"choices": [{"index": 0, "delta": {"content": word + " "}}]} for word in text.split(" ")]
            events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
            for event in events:
                self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
            self.wfile.write(b"data: [DONE]\n\n")

    return Handler


if __name__ == "__main__":
    unittest.main()
