#!/usr/bin/env python3
"""The asyncio client: plays two turns of the sample scenario while another task reads the library.

    python3 clients/python/examples/play_async.py [path/to/imaginai]

Shows ``async for`` over a turn's chunks, the turn's result afterwards, and requests running
concurrently with the stream on the same connection. The daemon is the given path, else $IMAGINAI_BIN,
else `imaginai` on PATH; it runs on a throwaway database in a temporary directory.
"""

import asyncio
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # run from a checkout

from imaginai_client import AsyncClient, ImaginAIError  # noqa: E402


async def play(client: AsyncClient) -> None:
    scenario = (await client.scenario_list()).scenarios[0]
    adventure = await client.adventure_start(scenario.id)
    print(f"# {scenario.name}\n")
    for action, text in [("do", "climb the stair to the lamp room"), ("say", "Is anyone up here?")]:
        print(f"> You {text}." if action == "do" else f'> You say "{text}"')
        async with client.stream_act(adventure.id, action, text) as turn:
            async for chunk in turn:
                print(chunk.text, end="", flush=True)
        print(f"\n[turn {turn.result.ai_turn.index}: {turn.result.usage.output_tokens} tokens]\n")


async def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as directory:
        async with AsyncClient(binary, db=os.path.join(directory, "example.sqlite"), timeout=60) as client:
            try:
                # The story streams while the card list is fetched over the same connection.
                _, library = await asyncio.gather(play(client), client.scenario_list())
            except ImaginAIError as error:
                print(f"\n[error {error.code}: {error.message}]", file=sys.stderr)
                return 1
            print(f"{library.total} scenario(s) in the library")
        print(f"imaginai exited with status {client.returncode}")
        return client.returncode or 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        # Ctrl-C mid-turn: the client has cancelled the request; the daemon keeps the text so far.
        print("\n[stopped]", file=sys.stderr)
        sys.exit(130)
