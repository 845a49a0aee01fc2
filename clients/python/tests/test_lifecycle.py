"""Spawning, initializing and shutting down the real daemon; error responses as typed exceptions."""

import os
import subprocess
import tempfile
import threading
import unittest

import support
from imaginai_client import (
    INVALID_PARAMS,
    METHODS,
    NOT_FOUND,
    TOO_LARGE,
    Client,
    ConflictError,
    ConnectionLostError,
    ImaginAIError,
    InvalidParamsError,
    InvalidRequestError,
    MethodNotFoundError,
    NotFoundError,
    ServerNotInitializedError,
    TooLargeError,
    error_class_for,
    read_message,
    write_message,
)


class LifecycleTests(unittest.TestCase):
    def test_context_manager_initializes_and_exits_with_status_zero(self):
        with support.new_client() as client:
            self.assertEqual(client.server.server_info.name, "imaginai")
            self.assertEqual(client.server.protocol_version, "1.0")
            self.assertIn("story/chunk", client.server.capabilities["notifications"])
            pid = client.pid
            self.assertIsNone(client.returncode)
        self.assertEqual(client.returncode, 0)
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)  # reaped: no such process any more
        self.assertEqual(client.close(), 0, "closing twice is harmless")

    def test_every_method_the_daemon_answers_has_a_client_method(self):
        with support.new_client() as client:
            for method in client.server.capabilities["methods"]:
                with self.subTest(method=method):
                    self.assertIn(method, METHODS)
                    self.assertTrue(callable(getattr(client, METHODS[method], None)), METHODS[method])

    def test_binary_from_environment_and_data_kept_in_a_database_file(self):
        support.require_binary()
        with tempfile.TemporaryDirectory() as directory:
            db = os.path.join(directory, "story.sqlite")
            saved = os.environ.get("IMAGINAI_BIN")
            os.environ["IMAGINAI_BIN"] = str(support.BINARY)
            try:
                with Client(db=db, timeout=support.TIMEOUT) as client:
                    created = client.scenario_create(name="Kept")
            finally:
                if saved is None:
                    del os.environ["IMAGINAI_BIN"]
                else:
                    os.environ["IMAGINAI_BIN"] = saved
            self.assertEqual(client.returncode, 0)
            with support.new_client(db) as client:
                self.assertEqual(client.scenario_get(created.id).name, "Kept")

    def test_concurrent_requests_from_many_threads_are_matched_by_id(self):
        with support.new_client() as client:
            created = [client.scenario_create(name=f"S{i}").id for i in range(8)]
            results: dict[str, str] = {}

            def fetch(scenario_id):
                results[scenario_id] = client.scenario_get(scenario_id).name

            threads = [threading.Thread(target=fetch, args=(sid,)) for sid in created * 4]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.assertEqual(results, {sid: f"S{i}" for i, sid in enumerate(created)})

    def test_requests_after_shutdown_are_invalid_and_after_exit_lose_the_connection(self):
        client = support.new_client()
        client.start()
        client.shutdown()
        with self.assertRaises(InvalidRequestError):
            client.scenario_list()
        client.exit()
        self.assertEqual(client._process.wait(support.TIMEOUT), 0)
        with self.assertRaises(ConnectionLostError):
            client.scenario_list()
        self.assertEqual(client.close(), 0)

    def test_a_message_over_the_daemons_limit_is_refused_before_sending(self):
        with support.new_client(args=["--max-message-bytes", "2000"]) as client:
            self.assertEqual(client.server.capabilities["limits"]["maxMessageBytes"], 2000)
            with self.assertRaises(TooLargeError) as caught:
                client.scenario_create(name="Big", plot_essentials="fog " * 1000)
            self.assertEqual(caught.exception.code, TOO_LARGE)
            self.assertEqual(client.scenario_create(name="Small").name, "Small", "the session goes on")
            self.assertEqual(client.protocol_errors, [])

    def test_a_request_before_initialize_is_server_not_initialized(self):
        # Below the Client (which always initializes first): raw frames through the package's framing.
        support.require_binary()
        process = subprocess.Popen([str(support.BINARY), "serve", "--db", ":memory:"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            write_message(process.stdin, {"jsonrpc": "2.0", "id": "early", "method": "scenario/list"})
            response = read_message(process.stdout)
            error = ImaginAIError.from_error(response["error"])
            self.assertIsInstance(error, ServerNotInitializedError)
            self.assertEqual(response["id"], "early")
        finally:
            process.stdin.close()
            self.assertEqual(process.wait(support.TIMEOUT), 1, "no shutdown: status 1")
            process.stdout.close()


class ErrorMappingTests(support.DaemonTestCase):
    def test_unknown_id_is_a_not_found_error_with_kind_and_id(self):
        for call, kind in [(lambda: self.client.scenario_get("scn_missing"), "scenario"),
                           (lambda: self.client.adventure_get("scn_missing"), "adventure"),
                           (lambda: self.client.card_update("scn_missing", name="x"), "card"),
                           (lambda: self.client.turn_edit("scn_missing", "x"), "turn")]:
            with self.subTest(kind=kind), self.assertRaises(NotFoundError) as caught:
                call()
            error = caught.exception
            self.assertEqual(error.code, NOT_FOUND)
            self.assertEqual(error.data, {"kind": kind, "id": "scn_missing"})
            self.assertEqual((error.kind, error.missing_id), (kind, "scn_missing"))
            self.assertIsInstance(error, ImaginAIError)

    def test_invalid_params_name_the_field(self):
        with self.assertRaises(InvalidParamsError) as caught:
            self.client.settings_update(max_output_tokens=1200)
        self.assertEqual(caught.exception.code, INVALID_PARAMS)
        self.assertEqual(caught.exception.field, "changes.maxOutputTokens")
        with self.assertRaises(InvalidParamsError) as caught:
            self.client.scenario_create(name="   ")
        self.assertEqual(caught.exception.field, "scenario.name")

    def test_unknown_method_and_conflict(self):
        with self.assertRaises(MethodNotFoundError) as caught:
            self.client.request("scenario/frobnicate")
        self.assertIn("scenario/frobnicate", caught.exception.message)
        adventure = self.start_adventure()
        with self.assertRaises(ConflictError):
            self.client.story_undo(adventure.id)  # the opening scene is never undone

    def test_every_documented_code_has_its_class(self):
        names = {-32700: "ParseError", -32600: "InvalidRequestError", -32601: "MethodNotFoundError",
                 -32602: "InvalidParamsError", -32603: "InternalError", -32002: "ServerNotInitializedError",
                 -32800: "RequestCancelledError", -31001: "NotFoundError", -31002: "ConflictError",
                 -31003: "ProviderFailureError", -31004: "TooLargeError"}
        for code, name in names.items():
            with self.subTest(code=code):
                cls = error_class_for(code)
                self.assertEqual(cls.__name__, name)
                error = ImaginAIError.from_error({"code": code, "message": "m", "data": {"x": 1}})
                self.assertIs(type(error), cls)
                self.assertEqual((error.code, error.message, error.data), (code, "m", {"x": 1}))
        self.assertIs(type(ImaginAIError.from_error({"code": -1, "message": "?"})), ImaginAIError)


if __name__ == "__main__":
    unittest.main()
