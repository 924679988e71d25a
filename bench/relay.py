"""The raw relay: a bare `websockets` server forwarding each message to every receiver.

The ceiling our broadcast is compared with: no Django, no channel layer. A
publisher connects to /publish and sends frames; every client connected to
/watch receives each frame as is. It runs on uvloop, as our web processes
do, so the two are compared on the same event loop. Run: python bench/relay.py --port 9100
"""

from __future__ import annotations

import argparse
import asyncio

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

watchers: set[ServerConnection] = set()


async def handler(connection: ServerConnection) -> None:
    path = connection.request.path if connection.request else "/watch"
    if path.startswith("/publish"):
        async for message in connection:
            broadcast(watchers, message)
        return
    watchers.add(connection)
    try:
        await connection.wait_closed()
    finally:
        watchers.discard(connection)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_queue=None, compression=None):
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9100)
    uvloop.run(main(parser.parse_args().port))
