#!/usr/bin/env python3
"""Plays three turns of the sample scenario, printing the story as it streams in.

    python3 clients/python/examples/play_three_turns.py [path/to/imaginai]

The daemon is the given path, else $IMAGINAI_BIN, else `imaginai` on PATH. It runs on a throwaway
database in a temporary directory.
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # run from a checkout

from imaginai_client import Client, ImaginAIError  # noqa: E402

ACTIONS = [
    ("do", "climb the stair to the lamp room"),
    ("say", "Is anyone up here?"),
    ("do", "open the keeper's ledger"),
]


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as directory:
        with Client(binary, db=os.path.join(directory, "example.sqlite"), timeout=60) as client:
            scenario = client.scenario_list().scenarios[0]  # a new database holds the sample scenario
            adventure = client.adventure_start(scenario.id)
            print(f"# {scenario.name}\n")
            print(client.turn_list(adventure.id).turns[0].text, "\n")
            for action, text in ACTIONS:
                print(f"> You {text}." if action == "do" else f'> You say "{text}"')
                stream = client.stream_act(adventure.id, action, text)
                try:
                    for piece in stream:
                        print(piece, end="", flush=True)
                    result = stream.result()
                except ImaginAIError as error:
                    print(f"\n[error {error.code}: {error.message}]", file=sys.stderr)
                    return 1
                usage = result.usage
                print(f"\n[{usage.output_tokens} tokens in {usage.latency_ms} ms]\n")
        print(f"imaginai exited with status {client.returncode}")
        return client.returncode or 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # Ctrl-C mid-turn: the client has cancelled the request; the daemon keeps the text so far.
        print("\n[stopped]", file=sys.stderr)
        sys.exit(130)
