"""A loopback HTTP server answering every request after a fixed delay (asyncio).

Run as its own process so that it shares no interpreter lock with what it
measures: `python bench/slow_server.py PORT [DELAY_S]`.
"""

import asyncio
import sys

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(DELAY)
        writer.write(RESPONSE)
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    asyncio.run(main(int(sys.argv[1])))
