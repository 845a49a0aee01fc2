"""The framing reader and writer, byte for byte (no daemon needed)."""

import io
import json
import unittest

import support  # noqa: F401  (puts the package on sys.path)
from imaginai_client import FramingError, encode_message, read_message, write_message


class FramingTests(unittest.TestCase):
    def test_length_counts_utf8_bytes_not_characters(self):
        message = {"text": "Möwe — 🐟"}
        frame = encode_message(message)
        header, body = frame.split(b"\r\n\r\n", 1)
        self.assertEqual(header, b"Content-Length: %d" % len(body))
        self.assertEqual(len(body), len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()))
        self.assertIn("🐟".encode(), body, "non-ASCII text is sent as UTF-8, not escaped")

    def test_round_trip_of_several_messages(self):
        stream = io.BytesIO()
        write_message(stream, {"id": 1})
        write_message(stream, {"id": 2, "text": "é"})
        stream.seek(0)
        self.assertEqual(read_message(stream), {"id": 1})
        self.assertEqual(read_message(stream), {"id": 2, "text": "é"})
        self.assertIsNone(read_message(stream), "clean end of stream")

    def test_reader_accepts_any_case_and_other_headers(self):
        body = b'{"a":1}'
        raw = b"content-length:  7 \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + body
        self.assertEqual(read_message(io.BytesIO(raw)), {"a": 1})

    def test_reader_rejects_unusable_frames(self):
        for raw in [b"Content-Type: x\r\n\r\n{}", b"Content-Length: abc\r\n\r\n{}", b"no colon\r\n\r\n",
                    b"Content-Length: 10\r\n\r\n{}", b"Content-Length: 2\r\n"]:
            with self.subTest(raw=raw), self.assertRaises(FramingError):
                read_message(io.BytesIO(raw))


if __name__ == "__main__":
    unittest.main()
