"""A local server is still a server: the token, Host, Origin, CSP and markup cases, through the real
`imaginai web`. Raw HTTP (http.client, sockets) where a browser would not send what an attacker can."""
from __future__ import annotations

import base64
import html.parser
import http.client
import json
import os
import re
import socket
import struct

from selenium.webdriver.common.by import By

import support

CSP = ("default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
MARKUP = "<img src=x onerror=alert(1)>"
MARKUP_SINKS = re.compile(r"\.(?:innerHTML|outerHTML|insertAdjacentHTML|srcdoc)\b|document\.write|\beval\s*\(|new\s+Function\s*\(|"
                          r"createContextualFragment|DOMParser|setTimeout\(\s*['\"`]")
# In the second person, which the play view shows as typed (it words "I …" as "You …").
SCRIPT_TURN = "You whisper <script>alert(2)</script> to the guard."


class RawHTTP:
    """One request per call, with exactly the headers given (http.client adds Host only when we don't)."""

    def __init__(self, server: support.WebServer):
        self.server = server

    def get(self, path: str, *, host: str | None = None, cookie: str | None = None,
            headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        sent = {"Host": host or f"127.0.0.1:{self.server.port}"}
        if cookie is not None:
            sent["Cookie"] = cookie
        sent.update(headers or {})
        connection.request("GET", path, headers=sent)
        response = connection.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        connection.close()
        return response

    def cookie(self) -> str:
        return f"imaginai_token={self.server.token}"

    def websocket_handshake(self, *, origin: str | None, cookie: str | None, host: str | None = None) -> tuple[int, socket.socket]:
        """Sends a WebSocket upgrade for /rpc; returns the status code and the open socket (caller closes)."""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET /rpc HTTP/1.1", f"Host: {host or f'127.0.0.1:{self.server.port}'}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if origin is not None:
            lines.append(f"Origin: {origin}")
        if cookie is not None:
            lines.append(f"Cookie: {cookie}")
        connection = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            piece = connection.recv(4096)
            if not piece:
                break
            head += piece
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ")
        if len(parts) < 2 or not parts[1].isdigit():
            connection.close()
            raise AssertionError(f"not an HTTP response to the upgrade: {head[:200]!r}")
        return int(parts[1]), connection


def send_text_frame(connection: socket.socket, text: str) -> None:
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])  # FIN + text
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    connection.sendall(header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload)))


def receive_text_frame(connection: socket.socket) -> str:
    def exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            piece = connection.recv(count - len(data))
            if not piece:
                raise AssertionError("the WebSocket closed before a whole frame arrived")
            data += piece
        return data
    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", exactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", exactly(8))[0]
    payload = exactly(length)
    if first & 0x0F != 0x1:
        raise AssertionError(f"expected a text frame, got opcode {first & 0x0F}")
    return payload.decode()


class InlineCode(html.parser.HTMLParser):
    """Collects what the CSP forbids in markup: inline scripts, on* handlers, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self._in_inline_script = True
            self.found.append("an inline <script>")
        self.found += [f"<{tag} {name}=…>" for name in names if name.startswith("on") or name == "style"]
        if tag == "style":
            self.found.append("a <style> element")

    def handle_endtag(self, tag: str) -> None:
        self._in_inline_script = False


class TokenHostOriginTests(support.WebTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.http = RawHTTP(self.server)

    def assert_upgrade_refused(self, why: str, *, origin: str | None, cookie: str | None, host: str | None = None,
                               status: int) -> None:
        """The WebSocket is not opened. Hummingbird-websocket 2 answers every upgrade its shouldUpgrade
        declines with an empty 400 (WebSocketChannel.writeFailedUpgrade), before the server can say 401
        or 403 and why, so 400 is accepted beside the agreed status; the plain GET of /rpc carries the reason."""
        answer, connection = self.http.websocket_handshake(origin=origin, cookie=cookie, host=host)
        try:
            self.assertIn(answer, (status, 400), f"{why}: the upgrade was answered {answer}, not {status}")
            connection.settimeout(5)
            self.assertEqual(connection.recv(1), b"", f"{why}: the server kept the refused connection open")
        finally:
            connection.close()

    def test_without_the_token_nothing_is_served(self) -> None:
        for path in ("/", "/app.js", "/style.css", "/index.html", "/rpc"):
            with self.subTest(path=path):
                response = self.http.get(path)
                self.assertEqual(response.status, 401, f"GET {path} without a token")
                self.assertNotIn(b"<script", response.body)
                self.assertNotIn(b"import ", response.body)
        self.assert_upgrade_refused("WebSocket upgrade without a token", origin=self.server.base, cookie=None, status=401)

    def test_a_wrong_token_is_refused(self) -> None:
        wrong = "x" + self.server.token[1:] if self.server.token[0] != "x" else "y" + self.server.token[1:]
        self.assertEqual(self.http.get(f"/?token={wrong}").status, 401, "the address with a wrong token")
        self.assertEqual(self.http.get("/app.js", cookie=f"imaginai_token={wrong}").status, 401, "a wrong cookie")
        self.assertEqual(self.http.get("/app.js", cookie=f"imaginai_token={self.server.token}extra").status, 401,
                         "the token with a suffix")
        self.assertEqual(self.http.get("/app.js", cookie="imaginai_token=").status, 401, "an empty cookie")
        self.assert_upgrade_refused("WebSocket upgrade with a wrong cookie", origin=self.server.base,
                                    cookie=f"imaginai_token={wrong}", status=401)

    def test_the_token_address_sets_the_cookie_and_redirects_to_a_clean_address(self) -> None:
        response = self.http.get(f"/?token={self.server.token}")
        self.assertIn(response.status, (302, 303, 307), "the token address redirects")
        self.assertEqual(response.getheader("Location"), "/")
        cookie = response.getheader("Set-Cookie") or ""
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
        self.assertTrue(cookie.startswith(f"imaginai_token={self.server.token};"), cookie)
        self.assertIn("httponly", attributes, cookie)
        self.assertEqual(attributes.get("samesite", "").lower(), "samesite=strict", cookie)
        self.assertEqual(attributes.get("path"), "Path=/", cookie)
        self.assertEqual(self.http.get("/app.js", cookie=self.http.cookie()).status, 200, "the cookie opens the page")

        # In the browser: the address bar loses the token, script cannot read the cookie, and a reload
        # (cookie only) connects again.
        self.open("#/")
        self.assertEqual(self.driver.current_url.split("#")[0], f"{self.server.base}/")
        self.assertNotIn(self.server.token, self.driver.current_url)
        self.assertNotIn(self.server.token, self.driver.execute_script("return document.cookie;"))
        self.reload()
        self.assertEqual(self.page_errors(), [])

    def test_a_foreign_host_header_is_refused(self) -> None:
        cookie = self.http.cookie()
        for host in (f"evil.example:{self.server.port}", "evil.example", f"127.0.0.1:{self.server.port + 1}",
                     f"localhost.evil.example:{self.server.port}", f"127.0.0.2:{self.server.port}"):
            with self.subTest(host=host):
                response = self.http.get("/", host=host, cookie=cookie)
                self.assertEqual(response.status, 403, f"Host: {host}")
                self.assertNotIn(b"<script", response.body)
        for host in (f"127.0.0.1:{self.server.port}", f"localhost:{self.server.port}"):
            with self.subTest(host=host):
                self.assertEqual(self.http.get("/", host=host, cookie=cookie).status, 200, f"Host: {host}")
        self.assert_upgrade_refused("WebSocket upgrade with a rebound Host", origin=f"http://evil.example:{self.server.port}",
                                    cookie=cookie, host=f"evil.example:{self.server.port}", status=403)
        self.assertEqual(self.http.get("/rpc", host=f"evil.example:{self.server.port}", cookie=cookie).status, 403)

    def test_a_websocket_from_another_origin_is_refused(self) -> None:
        cookie = self.http.cookie()
        for origin in ("http://evil.example", f"http://evil.example:{self.server.port}", "null",
                       f"https://127.0.0.1:{self.server.port}", f"http://127.0.0.1:{self.server.port + 1}"):
            with self.subTest(origin=origin):
                self.assert_upgrade_refused(f"Origin: {origin}", origin=origin, cookie=cookie, status=403)
        self.assert_upgrade_refused("no Origin", origin=None, cookie=cookie, status=403)

        # Our own origin is accepted, and the socket speaks JSON-RPC to a daemon: the refusals above are
        # about the Origin, not a broken upgrade.
        status, connection = self.http.websocket_handshake(origin=self.server.base, cookie=cookie)
        try:
            self.assertEqual(status, 101)
            send_text_frame(connection, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                                    "params": {"processId": None, "clientInfo": {"name": "webtest"}}}))
            answer = json.loads(receive_text_frame(connection))
            self.assertEqual(answer.get("id"), 1, answer)
            self.assertIn("serverInfo", answer.get("result", {}), answer)
        finally:
            connection.close()

    def test_every_response_carries_the_content_security_policy_and_the_page_has_no_inline_code(self) -> None:
        cookie = self.http.cookie()
        page_files = sorted(path.name for path in support.PAGE_DIR.iterdir() if path.is_file())
        self.assertIn("index.html", page_files)
        for name in ["", *page_files]:
            with self.subTest(file=name or "/"):
                response = self.http.get(f"/{name}", cookie=cookie)
                self.assertEqual(response.status, 200, f"/{name}")
                self.assertEqual(response.getheader("Content-Security-Policy"), CSP, f"/{name}")
                if name.endswith(".html") or name == "":
                    finder = InlineCode()
                    finder.feed(response.body.decode())
                    self.assertEqual(finder.found, [], f"/{name} has code the CSP would block")
                if name.endswith(".js"):
                    self.assertIn("javascript", response.getheader("Content-Type", ""), f"/{name}: modules need a JavaScript type")
        # The page's own scripts never build markup or code from strings (dom.js's rule, for every file).
        # Property and call forms only: a comment may name what it avoids.
        for path in support.PAGE_DIR.glob("*.js"):
            for line_number, line in enumerate(path.read_text().splitlines(), 1):
                found = MARKUP_SINKS.search(line)
                self.assertIsNone(found, f"{path.name}:{line_number} uses {found and found.group(0)}: {line.strip()}")

        self.open("#/")
        self.assertEqual(self.driver.execute_script("return document.querySelectorAll('script:not([src])').length;"), 0)
        self.assertEqual(self.csp_violations(), [], "the page broke its own Content-Security-Policy")


class MarkupIsTextTests(support.WebTestCase):
    """Everything a user wrote is shown as those characters, in every view, and runs nothing."""

    def setUp(self) -> None:
        super().setUp()
        with self.daemon() as client:
            client.settings_update(storytellerDelayMs=0)
            scenario = client.scenario_create(name=MARKUP, instructions=MARKUP, openingScene=f"The gate. {MARKUP}")
            client.card_create(scenario_id=scenario.id, type="character", name=MARKUP, keys=["guard"],
                               description=f"Guards the gate. {MARKUP}")
            adventure = client.adventure_start(scenario.id, name=MARKUP)
            stored = client.story_act(adventure.id, "do", SCRIPT_TURN).player_turn.text
        self.assertEqual(stored, SCRIPT_TURN)
        self.scenario_id = scenario.id
        self.adventure_id = adventure.id

    def assert_nothing_ran(self) -> None:
        self.assertEqual(self.alerts(), [], "a dialog was opened by user text")
        self.assertEqual(self.driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length;"), 0,
                         "user text became an <img> element")
        self.assertEqual(self.driver.execute_script(
            "return [...document.scripts].filter(s => !s.src || !s.src.startsWith(location.origin)).length;"), 0,
            "user text became a <script> element")
        self.assertEqual(self.csp_violations(), [], "user text reached the Content-Security-Policy")
        self.assertEqual(self.page_errors(), [])

    def test_home_shows_markup_names_as_text(self) -> None:
        self.open("#/")
        self.wait_for_text(MARKUP)
        self.assert_nothing_ran()
        self.screenshot("markup-home")

    def test_editor_shows_markup_card_names_as_text(self) -> None:
        self.open(f"#/scenario/{self.scenario_id}/cards")
        self.wait_for_text(MARKUP)
        self.assert_nothing_ran()
        self.screenshot("markup-editor-cards")

    def test_play_view_shows_markup_and_script_turns_as_text(self) -> None:
        self.open(f"#/play/{self.adventure_id}")
        log = self.wait_for_role("log")
        self.wait_for_text(SCRIPT_TURN, within=log)
        self.assertEqual(log.find_elements(By.TAG_NAME, "script"), [])
        self.assert_nothing_ran()
        self.screenshot("markup-play")
