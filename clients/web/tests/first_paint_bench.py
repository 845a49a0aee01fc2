"""The web first-paint benchmark (bench/README.md, "web first paint"): how soon the play view of a
1,000-turn adventure shows its newest turn, beside a fresh adventure's in the same run, against 300 ms.

Run by clients/web/bench-first-paint. Builds the database once per run (story/act with the offline
storyteller and no typing delay until the adventure has 1,000 turns), then alternates page loads of the
long and the fresh adventure in one headless chromium: each load starts from about:blank, so it includes
fetching the page (HTTP cache warm, as on a second visit), the WebSocket, its own `imaginai serve`,
`initialize` and whatever the play view asks for.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import support  # noqa: E402

from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

TARGET_MS = 300.0
LONG_TURNS = 1000
# The newest turn of each adventure is edited to a sentence of its own, so the page can be watched for it
# whatever the storyteller wrote (and whatever Markdown the view renders: these are plain words).
LONG_MARKER = "The keeper closes the logbook on its thousandth entry."
FRESH_MARKER = "The keeper opens a new logbook."

# Also notes when the page's WebSocket opens and its first message (the initialize answer) arrives, to
# tell the bridge and the daemon's start from the page's own work.
WATCHER = """
window.__firstPaint = { markers: %s, newestTurnInDom: null, newestTurnPainted: null, socketOpen: null, firstMessage: null };
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('open', () => { window.__firstPaint.socketOpen ??= performance.now(); });
    this.addEventListener('message', () => { window.__firstPaint.firstMessage ??= performance.now(); });
  }
};
new MutationObserver((records, observer) => {
  const log = document.querySelector('[role=log]');
  if (!log) return;
  const text = log.textContent;
  if (!window.__firstPaint.markers.some((marker) => text.includes(marker))) return;
  window.__firstPaint.newestTurnInDom = performance.now();
  requestAnimationFrame(() => { window.__firstPaint.newestTurnPainted = performance.now(); });
  observer.disconnect();
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def build_library(db: pathlib.Path, binary: str) -> tuple[str, str, float]:
    started = time.perf_counter()
    with support.imaginai_client.Client(binary, db=db, timeout=120) as client:
        client.settings_update(storytellerDelayMs=0)
        scenario = client.scenario_create(name="The Lighthouse Log", openingScene="Fog rolls over the rocks below the lamp.")
        long_adventure = client.adventure_start(scenario.id, name="A thousand nights")
        count = client.turn_list(long_adventure.id, limit=1).turn_count
        night = 0
        while count < LONG_TURNS:
            night += 1
            result = client.story_act(long_adventure.id, "do", f"I trim the wick and write night {night} in the log.")
            count = result.ai_turn.index + 1  # indexes count from 0
        turns = client.turn_list(long_adventure.id, limit=1)
        client.turn_edit(turns.turns[-1].id, LONG_MARKER)
        fresh = client.adventure_start(scenario.id, name="A first night")
        client.turn_edit(client.turn_list(fresh.id, limit=1).turns[-1].id, FRESH_MARKER)
        total = client.turn_list(long_adventure.id, limit=1).turn_count
        client.settings_update(storytellerDelayMs=35)
    if total < LONG_TURNS:
        raise SystemExit(f"the long adventure has {total} turns, not {LONG_TURNS}")
    return long_adventure.id, fresh.id, time.perf_counter() - started


def copy_database(source: pathlib.Path, target: pathlib.Path) -> None:
    """The file and its WAL, if a daemon left one (a clean shutdown folds it in, a killed one does not)."""
    for suffix in ("", "-wal"):
        origin = source.with_name(source.name + suffix)
        if origin.exists():
            shutil.copy(origin, target.with_name(target.name + suffix))


def cached_library(db: pathlib.Path, binary: str) -> tuple[str, str] | None:
    """The two adventures of a database an earlier run built, or None if it is not one."""
    with support.imaginai_client.Client(binary, db=db, timeout=60) as client:
        adventures = {adventure.name: adventure for adventure in client.adventure_list().adventures}
        long_adventure, fresh = adventures.get("A thousand nights"), adventures.get("A first night")
        if not long_adventure or not fresh:
            return None
        newest = client.turn_list(long_adventure.id, limit=1)
        if newest.turn_count < LONG_TURNS or newest.turns[-1].text != LONG_MARKER:
            return None
        return long_adventure.id, fresh.id


def load(driver, server: support.WebServer, adventure_id: str) -> dict[str, float]:
    driver.get("about:blank")
    driver.get(f"{server.base}/#/play/{adventure_id}")
    WebDriverWait(driver, 30, poll_frequency=0.02).until(
        lambda d: d.execute_script("return window.__firstPaint && window.__firstPaint.newestTurnPainted !== null;"))
    return driver.execute_script("""
        const paint = performance.getEntriesByType('paint').find((entry) => entry.name === 'first-contentful-paint');
        return { fcp: paint ? paint.startTime : null, socketOpen: window.__firstPaint.socketOpen,
                 initialized: window.__firstPaint.firstMessage,
                 inDom: window.__firstPaint.newestTurnInDom, painted: window.__firstPaint.newestTurnPainted };""")


def summary(samples: list[dict[str, float]], key: str) -> str:
    values = [sample[key] for sample in samples if sample[key] is not None]
    if not values:
        return "n/a"
    return f"{statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed loads of each adventure (default 9)")
    parser.add_argument("--db-cache", metavar="PATH", help="reuse the database an earlier run left here, else build it and leave it here")
    parser.add_argument("--json", action="store_true", help="print the samples as JSON too")
    arguments = parser.parse_args()

    binary = support.imaginai_binary()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="imaginai-web-bench-"))
    server = driver = None
    try:
        db = workdir / "library.sqlite"
        cache = pathlib.Path(arguments.db_cache) if arguments.db_cache else None
        found = None
        if cache and cache.exists():
            copy_database(cache, db)
            found = cached_library(db, binary)
        if found:
            (long_id, fresh_id), origin = found, f"database reused from {cache}"
        else:
            db.unlink(missing_ok=True)
            long_id, fresh_id, build_seconds = build_library(db, binary)
            origin = f"database built in {build_seconds:.1f} s"
            if cache:
                copy_database(db, cache)
        server = support.WebServer(db)
        driver = support.start_browser()
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                               {"source": WATCHER % json.dumps([LONG_MARKER, FRESH_MARKER])})
        driver.get(server.url)  # the token once; the cookie from here on
        load(driver, server, long_id)  # untimed: chromium's first page load and the page's files into the cache
        load(driver, server, fresh_id)
        long_samples, fresh_samples = [], []
        for _ in range(arguments.runs):
            long_samples.append(load(driver, server, long_id))
            fresh_samples.append(load(driver, server, fresh_id))
        errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        if driver is not None:
            driver.quit()
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    page_bytes = sum(path.stat().st_size for path in support.PAGE_DIR.rglob("*") if path.is_file())
    long_painted = statistics.median(sample["painted"] for sample in long_samples)
    chromium_version = os.popen("/usr/bin/chromium --version 2>/dev/null").read().strip() or "chromium"
    print(f"web first paint ({chromium_version}, {arguments.runs} loads each, alternating; {origin})")
    print(f"  1,000-turn adventure: first contentful paint {summary(long_samples, 'fcp')}; "
          f"newest turn in the DOM {summary(long_samples, 'inDom')}; painted {summary(long_samples, 'painted')}")
    print(f"  baseline, fresh adventure (1 turn): first contentful paint {summary(fresh_samples, 'fcp')}; "
          f"newest turn in the DOM {summary(fresh_samples, 'inDom')}; painted {summary(fresh_samples, 'painted')}")
    for label, samples in (("1,000-turn", long_samples), ("fresh", fresh_samples)):
        print(f"  where the time goes ({label}): WebSocket open {summary(samples, 'socketOpen')}; "
              f"initialize answered {summary(samples, 'initialized')}")
    print(f"  target: newest turn painted under {TARGET_MS:.0f} ms: {'met' if long_painted < TARGET_MS else 'NOT met'} "
          f"({long_painted:.0f} ms)")
    print(f"  page weight: clients/web/page/ {page_bytes:,} bytes (target under 150,000)")
    print(f"  load: {pathlib.Path('/proc/loadavg').read_text().strip()}")
    if errors:
        print(f"  page errors: {errors}")
    if arguments.json:
        print(json.dumps({"long": long_samples, "fresh": fresh_samples}))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
