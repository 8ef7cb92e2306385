"""A small HTTP load generator (neither wrk nor locust is installed on the bench machine).

``connections`` asyncio clients send ``GET path`` back to back for ``seconds``, each on
its own connection, reconnecting whenever the server closes it (gunicorn's sync
workers close after every response). Only the standard library, so ``make bench``
needs nothing more on a fresh machine. Each response is read to its end (by
Content-Length, or chunked); anything but 200 counts as an error.
"""
from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time
import urllib.parse


@dataclasses.dataclass(frozen=True)
class Load:
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


def run(host: str, port: int, path: str, *, seconds: float, connections: int = 8, cookie: str = "") -> Load:
    return asyncio.run(_run(host, port, path, seconds, connections, cookie))


async def _run(host, port, path, seconds, connections, cookie) -> Load:
    path = urllib.parse.quote(path, safe="/?=&%")
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/html\r\n"
               + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode()
    latencies: list[float] = []
    errors = [0]
    started = time.perf_counter()
    stop = started + seconds
    await asyncio.gather(*(_client(host, port, request, stop, latencies, errors) for _ in range(connections)))
    return Load(len(latencies), errors[0], time.perf_counter() - started, tuple(latencies))


async def _client(host, port, request, stop, latencies, errors) -> None:
    reader = writer = None
    while time.perf_counter() < stop:
        began = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            await writer.drain()
            status, keep = await _response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors[0] += 1
            status, keep = 0, False
        latencies.append((time.perf_counter() - began) * 1000)
        if status != 200 and status:
            errors[0] += 1
        if not keep and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; (status, whether the connection stays open)."""
    status_line = await reader.readline()
    if not status_line:
        raise ValueError("connection closed")
    status = int(status_line.split()[1])
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:
        await reader.read()
        return status, False
    return status, headers.get("connection", "").lower() != "close"
