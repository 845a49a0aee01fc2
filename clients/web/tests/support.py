"""The web page's test harness: the real `imaginai web` and Debian's headless chromium, driven by Selenium.

API (kept small on purpose; every test file uses only this):

    class MyTest(support.WebTestCase):          # a fresh database, server and browser for each test
        def test_something(self):
            with self.daemon() as client:       # an `imaginai serve` on the same database (imaginai_client)
                scenario = client.scenario_create(name="Castle")
            self.open("#/")                     # the page at 1280x800; waits for the page to connect
            self.wait_for_text("Castle")        # anywhere in the page (whitespace-normalized)
            log = self.wait_for_role("log")     # first displayed element with that role (and name, if given)
            box = self.wait_for_label("Action") # displayed control whose accessible name is "Action"
            self.wait_for_button("Do").click()  # displayed button by its accessible name
            self.screenshot("play")             # screenshots/play-desktop.png and play-phone.png
            second = self.new_window("#/")      # a second tab, already switched to; self.switch_to(handle)
            self.wait_until(lambda: ..., "what we waited for")  # any condition, with a readable failure

    self.server: WebServer (.url with token, .base "http://127.0.0.1:PORT", .port, .token, .db)
    self.driver: the selenium WebDriver; self.alerts() → alert() calls the page made (recorded, not shown)
    self.csp_violations() → Content-Security-Policy violations the page reported

Binaries: $IMAGINAI_BIN (`imaginai`; its `web` subcommand starts the `imaginai-web` beside it), serving
this checkout's clients/web/page/ (IMAGINAI_WEB_PAGE). Chromium: $CHROMIUM_BIN (/usr/bin/chromium), $CHROMEDRIVER_BIN (/usr/bin/chromedriver).
Every test's server and browser are ended in cleanups that run whether the test passed or not.
"""
from __future__ import annotations

import os
import pathlib
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
from typing import Any, Callable

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

WEB_DIR = pathlib.Path(__file__).resolve().parent.parent
REPO = WEB_DIR.parent.parent
PAGE_DIR = WEB_DIR / "page"
SCREENSHOTS = WEB_DIR / "tests" / "screenshots"
sys.path.insert(0, str(REPO / "clients" / "python"))

import imaginai_client  # noqa: E402  (found through the path above: the repository's own Python client)

DESKTOP = (1280, 800)
PHONE = (390, 844)
# Long enough for a loaded 2-core machine running the whole suite; a healthy run waits milliseconds.
DEFAULT_TIMEOUT = float(os.environ.get("IMAGINAI_WEB_TEST_TIMEOUT", "20"))
URL_LINE = re.compile(r"^ImaginAI web: (http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_\-.~%]+))$")


def imaginai_binary() -> str:
    binary = os.environ.get("IMAGINAI_BIN") or shutil.which("imaginai")
    if not binary:
        raise RuntimeError("set IMAGINAI_BIN to the built `imaginai` (clients/web/run-tests does)")
    return binary


class WebServer:
    """`imaginai web --port 0 --no-open --db DB`, read up to its one URL line, ended by `stop()`."""

    def __init__(self, db: str | os.PathLike[str], *, extra_args: tuple[str, ...] = (), timeout: float = DEFAULT_TIMEOUT):
        self.db = os.fspath(db)
        self.log_path = pathlib.Path(tempfile.mkstemp(prefix="imaginai-web-", suffix=".log")[1])
        self.command = [imaginai_binary(), "web", "--port", "0", "--no-open", "--db", self.db, *extra_args]
        self._log = open(self.log_path, "wb")
        # The page under test is this checkout's, whichever checkout built the binary (imaginai-web's default).
        environment = {**os.environ, "IMAGINAI_WEB_PAGE": str(PAGE_DIR)}
        # Its own session, so stop() can end the whole tree (imaginai → imaginai-web → one serve per tab).
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
                                        env=environment, start_new_session=True)
        self.stdout_lines: list[str] = []
        lines: queue.Queue[str | None] = queue.Queue()

        def read_stdout() -> None:
            # Drained for the process's whole life, so a chatty server never blocks on a full pipe.
            for raw in self.process.stdout:  # type: ignore[union-attr]
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.stdout_lines.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read_stdout, name="imaginai-web-stdout", daemon=True).start()
        try:
            first = lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"`{' '.join(self.command)}` printed no URL line in {timeout:.0f} s; its log:\n{self.log_tail()}")
        match = URL_LINE.match(first or "")
        if not match:
            self.stop()
            raise RuntimeError(f"`{' '.join(self.command)}` printed {first!r} instead of "
                               f"'ImaginAI web: http://127.0.0.1:PORT/?token=TOKEN'; its log:\n{self.log_tail()}")
        self.url = match.group(1)
        self.port = int(match.group(2))
        self.token = urllib.parse.unquote(match.group(3))
        self.base = f"http://127.0.0.1:{self.port}"

    def log_tail(self, limit: int = 4000) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text("utf-8", "replace")[-limit:]

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        # SIGTERM reached only the leader if it had already exited; anything it left behind goes now.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def chromium_paths() -> tuple[str, str]:
    return (os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium"),
            os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver"))


# Before any of the page's scripts: alert/confirm/prompt are recorded instead of shown (a markup-injection
# test asserts none ran; a real dialog would only block the driver), and CSP violations are collected.
# confirm() answers true so a view's "Delete?" confirmation proceeds in tests that delete.
RECORDER = """
window.__imaginaiTest = { alerts: [], violations: [] };
for (const name of ['alert', 'prompt']) {
  window[name] = (message) => { window.__imaginaiTest.alerts.push(name + ': ' + String(message)); return null; };
}
window.confirm = (message) => { window.__imaginaiTest.alerts.push('confirm: ' + String(message)); return true; };
document.addEventListener('securitypolicyviolation', (event) => {
  window.__imaginaiTest.violations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline') + ' ' + (event.sample || ''));
});
"""


def start_browser() -> webdriver.Chrome:
    chromium, chromedriver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # --no-sandbox: CI runs as root, where chromium refuses to start sandboxed.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Unexpected dialogs must not be dismissed silently: the recorder replaces them, and anything left fails.
    options.set_capability("unhandledPromptBehavior", "ignore")
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    set_viewport(driver, DESKTOP)
    return driver


def set_viewport(driver: webdriver.Chrome, size: tuple[int, int]) -> None:
    """The page's viewport exactly (a headless window's size includes no chrome, but is not exact)."""
    width, height = size
    phone = width < 600
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": phone})
    after_next_paint(driver)


def after_next_paint(driver: webdriver.Chrome) -> None:
    """Returns once the page has laid out and painted (two animation frames): the event, not a sleep."""
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")


def normalized(text: str) -> str:
    return " ".join(text.split())


BUTTON_CANDIDATES = "button, [role=button], input[type=button], input[type=submit], a[href]"
LABELLED_CANDIDATES = ("input, textarea, select, [role=textbox], [role=combobox], [role=searchbox], "
                       "[role=checkbox], [role=switch], [role=slider], [role=spinbutton], [contenteditable=true]")
ROLE_SELECTORS = {
    "log": "[role=log]",
    "dialog": "dialog, [role=dialog], [role=alertdialog]",
    "tab": "[role=tab]",
    "tablist": "[role=tablist]",
    "tabpanel": "[role=tabpanel]",
    "textbox": "textarea, input:not([type]), input[type=text], input[type=search], [role=textbox]",
    "button": BUTTON_CANDIDATES,
    "link": "a[href], [role=link]",
    "status": "[role=status], output",
    "alert": "[role=alert]",
    "list": "ul, ol, [role=list]",
    "listitem": "li, [role=listitem]",
    "article": "article, [role=article]",
    "heading": "h1, h2, h3, h4, h5, h6, [role=heading]",
}


def find_by_name(driver: webdriver.Chrome, css: str, name: str | None, *, exact: bool = True) -> WebElement | None:
    """The first displayed element matching `css` whose accessible name (as chromium computes it) is `name`."""
    for element in driver.find_elements(By.CSS_SELECTOR, css):
        try:
            if not element.is_displayed():
                continue
            if name is None:
                return element
            accessible = normalized(element.accessible_name or "")
            if accessible == name if exact else name in accessible:
                return element
        except StaleElementReferenceException:
            continue  # the view re-rendered between the query and the check; the next poll sees the new one
    return None


class WebTestCase(unittest.TestCase):
    """A new database, `imaginai web` and headless chromium for each test; all ended in cleanups."""

    timeout = DEFAULT_TIMEOUT

    def setUp(self) -> None:
        self.workdir = pathlib.Path(tempfile.mkdtemp(prefix="imaginai-web-test-"))
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.db = self.workdir / "library.sqlite"
        self.server = WebServer(self.db)
        self.addCleanup(self.server.stop)
        self.addCleanup(self._report_server_log_on_failure)
        self.driver = start_browser()
        self.addCleanup(self.driver.quit)
        self.addCleanup(self._check_no_dialog_left)
        self._token_used = False

    # MARK: the server and the database

    def daemon(self, **options: Any) -> imaginai_client.Client:
        """An `imaginai serve` on this test's database: `with self.daemon() as client: ...`."""
        options.setdefault("timeout", self.timeout)
        return imaginai_client.Client(imaginai_binary(), db=self.db, **options)

    # MARK: navigation

    def open(self, hash_route: str = "#/", *, wait_connected: bool = True) -> None:
        """Loads the page at `hash_route` (the token URL the first time, the cookie after), waits for it."""
        if not hash_route.startswith("#"):
            raise ValueError(f"open() takes the page's hash route, like '#/play/ID', not {hash_route!r}")
        if not self._token_used:
            self.driver.get(self.server.url)
            self._token_used = True
        self.driver.get(f"{self.server.base}/{hash_route}")
        if wait_connected:
            self.wait_connected()

    def reload(self) -> None:
        self.driver.refresh()
        self.wait_connected()

    def wait_connected(self) -> None:
        """Until the page has left its "Connecting…" placeholder (the socket is open and initialized)."""
        self.wait_until(lambda: self.driver.execute_script(
            "const view = document.getElementById('view');"
            "return document.readyState === 'complete' && view && !view.querySelector('.loading') "
            "&& view.childElementCount > 0;"), "the page to connect and render its first view")
        self.assertEqual(self.page_errors(), [], "the page reported errors while connecting")

    def new_window(self, hash_route: str = "#/") -> str:
        """Opens the page in a second tab (same cookie), switches to it and returns its handle."""
        self.driver.switch_to.new_window("tab")
        self.driver.get(f"{self.server.base}/{hash_route}")
        self.wait_connected()
        return self.driver.current_window_handle

    def switch_to(self, handle: str) -> None:
        self.driver.switch_to.window(handle)

    # MARK: waiting

    def wait_until(self, condition: Callable[[], Any], description: str, timeout: float | None = None) -> Any:
        def attempt(_: Any) -> Any:
            try:
                return condition()
            except (StaleElementReferenceException,):
                return None
        try:
            return WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.05).until(attempt)
        except TimeoutException:
            self.fail(f"waited {timeout or self.timeout:.0f} s for {description}; the page shows:\n"
                      f"{self.page_text()[:1500]}\npage errors: {self.page_errors()}")

    def wait_for_role(self, role: str, name: str | None = None) -> WebElement:
        css = ROLE_SELECTORS.get(role, f"[role={role}]")
        return self.wait_until(lambda: find_by_name(self.driver, css, name),
                               f"an element with role {role!r}" + (f" named {name!r}" if name else ""))

    def wait_for_label(self, label: str) -> WebElement:
        return self.wait_until(lambda: find_by_name(self.driver, LABELLED_CANDIDATES, label),
                               f"a control labelled {label!r}")

    def wait_for_button(self, name: str) -> WebElement:
        return self.wait_until(lambda: find_by_name(self.driver, BUTTON_CANDIDATES, name),
                               f"a button named {name!r}")

    def wait_for_text(self, text: str, within: WebElement | None = None) -> None:
        wanted = normalized(text)
        self.wait_until(lambda: wanted in normalized((within or self.driver.find_element(By.TAG_NAME, "body")).text),
                        f"the text {text!r}")

    # MARK: what the page did

    def page_text(self) -> str:
        try:
            return self.driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException as error:
            return f"(could not read the page: {error.msg})"

    def page_errors(self) -> list[str]:
        """Uncaught exceptions and console errors the page logged since the last call."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def alerts(self) -> list[str]:
        return self.driver.execute_script("return window.__imaginaiTest ? window.__imaginaiTest.alerts : null;") or []

    def csp_violations(self) -> list[str]:
        return self.driver.execute_script("return window.__imaginaiTest ? window.__imaginaiTest.violations : null;") or []

    # MARK: screenshots

    def screenshot(self, name: str) -> tuple[pathlib.Path, pathlib.Path]:
        """Saves screenshots/NAME-desktop.png (1280x800) and NAME-phone.png (390x844); leaves desktop size."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        paths = []
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            set_viewport(self.driver, size)
            path = SCREENSHOTS / f"{name}-{label}.png"
            if not self.driver.save_screenshot(str(path)):
                self.fail(f"chromium could not save {path}")
            paths.append(path)
        set_viewport(self.driver, DESKTOP)
        return paths[0], paths[1]

    # MARK: cleanups

    def _check_no_dialog_left(self) -> None:
        try:
            text = self.driver.switch_to.alert.text
        except WebDriverException:
            return
        self.fail(f"the page left a dialog open: {text!r}")

    def _report_server_log_on_failure(self) -> None:
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        failed = result is not None and any(test is self for test, _ in (*result.failures, *result.errors))
        if failed or os.environ.get("IMAGINAI_WEB_TEST_VERBOSE"):
            sys.stderr.write(f"\n--- imaginai web's log for {self.id()} ---\n{self.server.log_tail()}\n")
