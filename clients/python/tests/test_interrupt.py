"""Ctrl-C in a program using the client, mid-turn: the turn is cancelled, its text so far is kept, and
the daemon (outside the terminal's process group, so the signal does not reach it) shuts down cleanly."""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import support

BLOCKING = """
    with Client(BINARY, DB, timeout=30) as client:
        client.settings_update(storyteller_delay_ms=200, max_output_tokens=800)
        adventure = client.adventure_start(client.scenario_list().scenarios[0].id)
        print(adventure.id, client.pid, flush=True)
        for text in client.stream_act(adventure.id, "do", "wait for the bell"):
            print("chunk", flush=True)
"""

ASYNCIO = """
    async def main():
        global client
        async with AsyncClient(BINARY, DB, timeout=30) as client:
            await client.settings_update(storyteller_delay_ms=200, max_output_tokens=800)
            adventure = await client.adventure_start((await client.scenario_list()).scenarios[0].id)
            print(adventure.id, client.pid, flush=True)
            async for chunk in client.stream_act(adventure.id, "do", "wait for the bell"):
                print("chunk", flush=True)

    asyncio.run(main())
"""


# Ctrl-C while the program's own code runs inside the loop (here: waiting for ever), not inside the
# client: leaving the client's block on the interrupt must still cancel the turn.
CHUNK = 'print("chunk", flush=True)'
BLOCKING_IN_LOOP_BODY = BLOCKING.replace(CHUNK, CHUNK + "; threading.Event().wait()")
ASYNCIO_IN_LOOP_BODY = ASYNCIO.replace(CHUNK, CHUNK + "; await asyncio.Event().wait()")


class InterruptTests(unittest.TestCase):
    def interrupt_mid_turn(self, body: str) -> None:
        support.require_binary()
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        db = os.path.join(directory.name, "story.sqlite")
        program = "\n".join([
            "import asyncio, signal, sys, threading",
            # A shell that runs this suite in the background ignores SIGINT, and children inherit that;
            # a program in a terminal has Python's own handler, which this restores.
            "signal.signal(signal.SIGINT, signal.default_int_handler)",
            f"sys.path.insert(0, {str(support.PACKAGE_ROOT)!r})",
            "from imaginai_client import AsyncClient, Client",
            f"BINARY, DB = {str(support.BINARY)!r}, {db!r}",
            "client = None",
            "try:",
            textwrap.indent(textwrap.dedent(body), "    "),
            "finally:",
            "    print('daemon exited', client.returncode, flush=True)",
        ])
        process = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        self.addCleanup(process.stderr.close)
        self.addCleanup(process.stdout.close)
        try:
            first = process.stdout.readline()
            if not first:
                self.fail(f"the program ended early: {process.stderr.read()}")
            adventure_id, daemon_pid = first.split()
            self.assertEqual(process.stdout.readline(), "chunk\n", process.stderr.read() if process.poll() else "")
            process.send_signal(signal.SIGINT)
            interrupted = time.monotonic()
            try:
                rest, errors = process.communicate(timeout=support.TIMEOUT)
            except subprocess.TimeoutExpired:
                self.fail("the program did not end after Ctrl-C")
            self.assertEqual(process.returncode, -signal.SIGINT, f"the program ends by its Ctrl-C; stderr: {errors}")
            self.assertLess(time.monotonic() - interrupted, 5, "the turn was cancelled, not generated to its end")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.assertTrue(rest.endswith("daemon exited 0\n"), rest)
        with self.assertRaises(ProcessLookupError):
            os.kill(int(daemon_pid), 0)
        with support.new_client(db) as client:
            turns = client.turn_list(adventure_id).turns
        self.assertEqual([(t.role, t.text) for t in turns[1:2]], [("player", "wait for the bell")])
        self.assertEqual(len(turns), 3)
        self.assertTrue(turns[2].text, "the text streamed before Ctrl-C was kept")

    def test_ctrl_c_in_a_blocking_program(self):
        self.interrupt_mid_turn(BLOCKING)

    def test_ctrl_c_in_an_asyncio_program(self):
        self.interrupt_mid_turn(ASYNCIO)

    def test_ctrl_c_in_the_body_of_a_blocking_loop(self):
        self.interrupt_mid_turn(BLOCKING_IN_LOOP_BODY)

    def test_ctrl_c_in_the_body_of_an_async_loop(self):
        self.interrupt_mid_turn(ASYNCIO_IN_LOOP_BODY)


if __name__ == "__main__":
    unittest.main()
