"""A fixed-reply HTTP/1.1 server on 127.0.0.1, run in its own process, for benchmarks.

The server answers each configured ``POST`` path with the same bytes (status 200,
``application/json``), as fast as one core allows: a bare `asyncio.Protocol` with
keep-alive and pipelining, no framework, so that the client under test, not the server,
is what a benchmark measures. It runs in a separate process so that it does not take
the client's CPU.

Use it from a benchmark::

    with FixedReplyServer() as server:  # answers POST /v1/b2b/otps/sms/send
        run_client_against(server.url)  # e.g. "http://127.0.0.1:41234"
        print(server.stats())  # requests per path, connections opened, ...

or run it alone (``python benchmarks/_server.py --port 8080``) and point a benchmark's
``--server-url`` at it. It prints one JSON line with its port when it is listening, and
one with its counters when it stops: on SIGTERM/SIGINT, or when its standard input
reaches end of file (so it never outlives the benchmark that started it with a pipe).

``GET /__stats__`` returns the counters as JSON: ``requests`` (per path), ``bad_requests``,
``connections_opened`` (this request's own connection included), ``open_connections``,
``peak_open_connections`` and ``cpu_seconds`` (the server's CPU time so far: compare it
with the wall time of a run to see whether the server was ever the bottleneck).

Only loopback addresses are accepted: a benchmark must never load anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "DEFAULT_ROUTES",
    "FIXTURES",
    "SEND_PATH",
    "FixedReplyServer",
    "fetch_stats",
    "main",
    "require_loopback",
]

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SEND_PATH = "/v1/b2b/otps/sms/send"
DEFAULT_ROUTES: Mapping[str, Path] = {SEND_PATH: FIXTURES / "send_response.json"}
STATS_PATH = "/__stats__"

_MAX_HEAD = 64 * 1024
_NOT_FOUND = (
    b'{"status_code":404,"request_id":"request-id-benchmark","error_type":"not_found",'
    b'"error_message":"No such path on the benchmark server.","error_url":""}'
)


def require_loopback(host: str) -> None:
    """Refuse any host that is not a loopback address (127.0.0.0/8 or ::1).

    Raises:
        ValueError: ``host`` is a name or a non-loopback address.
    """
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(f"benchmarks only load loopback addresses, not {host!r}")


def _response(status: bytes, body: bytes, *, close: bool) -> bytes:
    head = (
        b"HTTP/1.1 " + status + b"\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: " + (b"close" if close else b"keep-alive") + b"\r\n\r\n"
    )
    return head + body


class _Counters:
    def __init__(self, paths: Sequence[str]) -> None:
        self.requests = dict.fromkeys(paths, 0)
        self.bad_requests = 0
        self.connections_opened = 0
        self.open_connections = 0
        self.peak_open_connections = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "bad_requests": self.bad_requests,
            "connections_opened": self.connections_opened,
            "open_connections": self.open_connections,
            "peak_open_connections": self.peak_open_connections,
            "cpu_seconds": time.process_time(),
        }


class _FixedReply(asyncio.Protocol):
    """One connection: parse requests (head + Content-Length body), answer each."""

    def __init__(self, replies: Mapping[bytes, tuple[bytes, bytes]], counters: _Counters) -> None:
        self._replies = replies  # path -> (keep-alive reply, closing reply)
        self._counters = counters
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        counters = self._counters
        counters.connections_opened += 1
        counters.open_connections += 1
        counters.peak_open_connections = max(
            counters.peak_open_connections, counters.open_connections
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._counters.open_connections -= 1
        self._transport = None

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        out: list[bytes] = []
        close = False
        while not close:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    out.append(self._bad(b"431 Request Header Fields Too Large"))
                    close = True
                break
            lines = bytes(buffer[:end]).split(b"\r\n")
            parts = lines[0].split(b" ")
            if len(parts) != 3:
                out.append(self._bad(b"400 Bad Request"))
                close = True
                break
            method, target, version = parts
            length = 0
            close = version == b"HTTP/1.0"
            problem = b""
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    value = value.strip()
                    if not value.isdigit():
                        problem = b"400 Bad Request"
                        break
                    length = int(value)
                elif name == b"connection":
                    close = value.strip().lower() == b"close"
                elif name == b"transfer-encoding":  # chunked uploads: not needed here
                    problem = b"501 Not Implemented"
            if problem:
                out.append(self._bad(problem))
                close = True
                break
            total = end + 4 + length
            if len(buffer) < total:
                break
            del buffer[:total]
            path = target.partition(b"?")[0]
            out.append(self._answer(method, path, close=close))
        transport = self._transport
        if transport is not None:
            if out:
                transport.write(b"".join(out) if len(out) > 1 else out[0])
            if close:
                transport.close()

    def _answer(self, method: bytes, path: bytes, *, close: bool) -> bytes:
        counters = self._counters
        replies = self._replies.get(path)
        if method == b"POST" and replies is not None:
            counters.requests[path.decode()] += 1
            return replies[close]
        if method == b"GET" and path == STATS_PATH.encode():
            body = json.dumps(counters.as_dict()).encode()
            return _response(b"200 OK", body, close=close)
        counters.bad_requests += 1
        return _response(b"404 Not Found", _NOT_FOUND, close=close)

    def _bad(self, status: bytes) -> bytes:
        self._counters.bad_requests += 1
        return _response(status, b"{}", close=True)


async def _serve(host: str, port: int, routes: Mapping[str, Path], *, watch_stdin: bool) -> None:
    require_loopback(host)
    replies = {
        path.encode(): (
            _response(b"200 OK", body, close=False),
            _response(b"200 OK", body, close=True),
        )
        for path, body in ((path, file.read_bytes()) for path, file in routes.items())
    }
    counters = _Counters(list(routes))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server = await loop.create_server(
        lambda: _FixedReply(replies, counters), host, port, backlog=1024, reuse_address=True
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    if watch_stdin:

        def wait_for_eof() -> None:
            with contextlib.suppress(OSError, ValueError):
                sys.stdin.buffer.read()
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=wait_for_eof, daemon=True).start()
    bound = server.sockets[0].getsockname()
    print(json.dumps({"host": bound[0], "port": bound[1]}), flush=True)
    async with server:
        await stop.wait()
        server.close()
    print(json.dumps({"stats": counters.as_dict()}), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGTERM, SIGINT or end of file on standard input."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    parser.add_argument(
        "--route",
        action="append",
        metavar="PATH=FILE",
        help=f"answer POST PATH with FILE's bytes (repeatable; default {SEND_PATH}="
        "tests/fixtures/send_response.json)",
    )
    parser.add_argument(
        "--watch-stdin",
        action="store_true",
        help="stop at end of file on standard input (how FixedReplyServer stops it)",
    )
    args = parser.parse_args(argv)
    routes: dict[str, Path] = {}
    for spec in args.route or ():
        path, sep, file = spec.partition("=")
        if not sep or not path.startswith("/"):
            parser.error(f"--route wants PATH=FILE, got {spec!r}")
        routes[path] = Path(file)
    try:
        asyncio.run(
            _serve(args.host, args.port, routes or DEFAULT_ROUTES, watch_stdin=args.watch_stdin)
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


class FixedReplyServer:
    """Starts `main` in a child process on a free loopback port; stops it on exit.

    Args:
        routes: ``{path: file}`` to answer (default: the send endpoint with
            ``tests/fixtures/send_response.json``).
        host: A loopback address to listen on.
    """

    def __init__(self, routes: Mapping[str, Path] | None = None, host: str = "127.0.0.1") -> None:
        require_loopback(host)
        self._routes = dict(routes or DEFAULT_ROUTES)
        self._host = host
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.final_stats: dict[str, Any] | None = None
        """The counters the server printed when it stopped."""

    @property
    def url(self) -> str:
        """The base URL, such as ``http://127.0.0.1:41234``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Start the child process and wait until it listens.

        Raises:
            RuntimeError: The server did not start.
        """
        command = [sys.executable, str(Path(__file__).resolve()), "--watch-stdin"]
        command += ["--host", self._host]
        command += [f"--route={path}={file}" for path, file in self._routes.items()]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._process = process
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"the benchmark server did not start: {command}")
        self.port = int(json.loads(line)["port"])

    def stats(self) -> dict[str, Any]:
        """The server's counters now (over a new connection of its own)."""
        return asyncio.run(fetch_stats(self.url))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the child (end of file on its stdin, then SIGTERM, then SIGKILL)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:  # communicate() closes stdin: the server sees end of file and stops
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                out, _ = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                out, _ = process.communicate()
        for line in out.splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and "stats" in record:
                    self.final_stats = record["stats"]

    def __enter__(self) -> FixedReplyServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


async def fetch_stats(url: str) -> dict[str, Any]:
    """``GET /__stats__`` from a `FixedReplyServer` (plain asyncio; no client library).

    Raises:
        ValueError: ``url`` is not a loopback ``http://`` URL, or the reply is not stats.
    """
    scheme, _, rest = url.partition("://")
    netloc = rest.split("/", 1)[0]
    host, _, port = netloc.rpartition(":")
    if scheme != "http" or not port.isdigit():
        raise ValueError(f"not an http://host:port URL: {url!r}")
    require_loopback(host)
    reader, writer = await asyncio.open_connection(host.strip("[]"), int(port))
    try:
        writer.write(
            f"GET {STATS_PATH} HTTP/1.1\r\nHost: {netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise ValueError(f"{url} has no {STATS_PATH} (not a FixedReplyServer?)")
    stats: dict[str, Any] = json.loads(body)
    return stats


if __name__ == "__main__":
    sys.exit(main())
