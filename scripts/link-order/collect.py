#!/usr/bin/env python3
"""Writes lld's --symbol-ordering-file for `imaginai` to stdout.

A daemon's resident memory is mostly the code pages it has touched, and the kernel maps code in 64 KiB
windows around each page fault ("fault-around"): one function run at start costs 16 pages wherever it
lies. Listing the functions a start runs first, then those a first session runs, lets lld lay them side
by side, so the same work touches a few hundred contiguous pages instead of windows scattered over the
whole binary.

The functions come from valgrind's callgrind (every function executed, however briefly) over two real
sessions against a fresh database: `initialize` alone, then a first hour in miniature (list, read, start an
adventure, play offline turns). Only names the binary defines are kept; lld ignores names that later
builds no longer have, so a stale file costs memory, never correctness.
"""
import json, os, re, subprocess, sys, tempfile

binary = sys.argv[1]


def frame(message):
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(id, method, params=None):
    message = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return frame(message)


def read_message(stream):
    header = b""
    while not header.endswith(b"\r\n\r\n"):
        byte = stream.read(1)
        if not byte:
            sys.exit("collect.py: the daemon closed its output early")
        header += byte
    return json.loads(stream.read(int(header.split(b":")[1])))


def executed_functions(requests, database=None):
    """Every function name callgrind saw, in first-seen order, for one session that sends `requests`
    one at a time (each waits for its answer), on `database` (a fresh one when None). Returns the names
    and the results by request id."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        daemon = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}",
             binary, "serve", "--db", database or os.path.join(folder, "db.sqlite")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        results = {}
        for id, (method, params) in enumerate(requests + [("shutdown", None)], start=1):
            daemon.stdin.write(request(id, method, params))
            daemon.stdin.flush()
            while True:
                message = read_message(daemon.stdout)
                if message.get("id") == id:
                    break
            if "error" in message:
                sys.exit(f"collect.py: {method} failed: {message['error']}")
            results[id] = message["result"]
        daemon.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
        daemon.stdin.close()
        if daemon.wait() != 0:
            sys.exit("collect.py: the daemon did not exit cleanly")
        names, seen = [], set()
        with open(out) as profile:
            for line in profile:
                match = re.match(r"c?fn=\((\d+)\) (.*)", line)
                if match and match.group(1) not in seen:
                    seen.add(match.group(1))
                    names.append(match.group(2).strip())
        return names, results


def main():
    defined = set()
    listing = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            defined.add(parts[2])

    initialize = ("initialize", {})
    startup, _ = executed_functions([initialize])

    # The first hour in miniature, on one database where the sample scenario is seeded: ids are read from
    # one session's answers and used in the next. No typing delay, so the turns do not wait on a clock.
    with tempfile.TemporaryDirectory() as folder:
        database = os.path.join(folder, "db.sqlite")
        _, results = executed_functions(
            [initialize, ("settings/update", {"changes": {"storytellerDelayMs": 0}}), ("scenario/list", None)], database)
        scenario = results[3]["scenarios"][0]["id"]
        played, _ = executed_functions([
            initialize, ("scenario/list", None), ("scenario/get", {"id": scenario}),
            ("adventure/start", {"scenarioId": scenario}), ("adventure/list", None),
        ], database)
        _, results = executed_functions([initialize, ("adventure/list", None)], database)
        adventure = results[2]["adventures"][0]["id"]
        turns, _ = executed_functions([
            initialize, ("adventure/get", {"id": adventure}),
            ("story/act", {"adventureId": adventure, "action": "do", "text": "I light the lamp"}),
            ("story/act", {"adventureId": adventure, "action": "say", "text": "Who goes there?"}),
            ("story/continue", {"adventureId": adventure}), ("turn/list", {"adventureId": adventure}),
        ], database)

    written = set()
    for name in startup + played + turns:
        if name in defined and name not in written:
            written.add(name)
            print(name)


main()
