"""A server on 127.0.0.1 that misbehaves on purpose, for the fault matrix.

`MisbehavingServer` speaks just enough HTTP/1.1 over raw asyncio streams to read a
request (request line, headers, a ``Content-Length`` body) and then hands the
connection to the next scripted `Behaviour`, which may answer properly, answer
wrongly, or break the connection in a way a real network or server can. It counts
what a test needs to pin: requests received (attempts), TCP connections accepted and
still open, and bytes in and out.

Fixtures: ``misbehaving_server`` (a running server) and ``refused_base_url`` (a port
that refuses connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import struct
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Literal

import attrs
import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEND_PATH = "/v1/b2b/otps/sms/send"
AUTHENTICATE_PATH = "/v1/b2b/otps/sms/authenticate"
SUCCESS_BODIES = {
    SEND_PATH: (FIXTURES / "send_response.json").read_bytes(),
    AUTHENTICATE_PATH: (FIXTURES / "authenticate_response.json").read_bytes(),
}
RATE_LIMITED_BODY = (
    b'{"status_code": 429, "request_id": "request-id-test-429", '
    b'"error_type": "too_many_requests", "error_message": "Too many requests.", '
    b'"error_url": "https://stytch.com/docs/api/errors/429"}'
)
MAX_HEADER_BYTES = 64 * 1024

Then = Literal["keep", "close", "reset", "hang"]
"""What the server does with the connection after a behaviour wrote its bytes.

- ``keep``: keep-alive, read the next request on it;
- ``close``: close it (FIN);
- ``reset``: abort it with ``SO_LINGER`` 0 (RST);
- ``hang``: write nothing more and wait until the client goes away.
"""


@attrs.frozen
class ReceivedRequest:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int
    """Which accepted connection (1-based) carried it."""
    index_on_connection: int
    """1 for the first request on its connection, 2 for the next (keep-alive), ..."""


class Connection:
    """One accepted connection, as a behaviour sees it: write, pause, end."""

    def __init__(
        self, server: MisbehavingServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer

    async def write(self, data: bytes) -> None:
        """Write and flush; raises ``ConnectionError`` once the client is gone."""
        self.writer.write(data)
        self.server.bytes_sent += len(data)
        await self.writer.drain()

    def reset(self) -> None:
        """Abort with an RST, not a FIN (``SO_LINGER`` on, 0 s)."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def client_left_within(self, seconds: float) -> bool:
        """Wait up to ``seconds``; whether the client closed its side meanwhile."""
        try:
            await asyncio.wait_for(self.wait_for_client_to_leave(), seconds)
        except asyncio.TimeoutError:
            return False
        return True

    async def wait_for_client_to_leave(self) -> None:
        """Read (and drop) whatever comes until the client closes its side."""
        while await self.reader.read(65536):
            pass


Behaviour = Callable[[Connection, ReceivedRequest], Awaitable[Then]]
"""One scripted answer to one request; returns what to do with the connection."""


def http_response(
    status: int,
    body: bytes,
    *,
    reason: str = "X",
    headers: dict[str, str] | None = None,
    content_type: str | None = "application/json",
    content_length: int | None = -1,
    version: str = "HTTP/1.1",
) -> bytes:
    """Raw response bytes; ``content_length=-1`` means ``len(body)``, ``None`` none."""
    lines = [f"{version} {status} {reason}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    if content_length is not None:
        lines.append(f"Content-Length: {len(body) if content_length == -1 else content_length}")
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def success_body(request: ReceivedRequest) -> bytes:
    """The recorded Stytch success reply for the request's endpoint."""
    return SUCCESS_BODIES[request.path]


# --- behaviours ------------------------------------------------------------------


def respond(
    status: int = 200,
    body: bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
    content_type: str | None = "application/json",
    then: Then = "keep",
) -> Behaviour:
    """A well-formed HTTP/1.1 reply (the endpoint's success body by default)."""

    async def behaviour(conn: Connection, request: ReceivedRequest) -> Then:
        payload = success_body(request) if body is None else body
        await conn.write(http_response(status, payload, headers=headers, content_type=content_type))
        return then

    return behaviour


def raw(data: bytes | Callable[[ReceivedRequest], bytes], *, then: Then) -> Behaviour:
    """Exactly these bytes (or the bytes built from the request), then ``then``."""

    async def behaviour(conn: Connection, request: ReceivedRequest) -> Then:
        payload = data(request) if callable(data) else data
        if payload:
            await conn.write(payload)
        return then

    return behaviour


def retry_after_date(offset: float) -> Behaviour:
    """A 429 whose ``Retry-After`` is an HTTP-date ``offset`` seconds from now."""

    async def behaviour(conn: Connection, request: ReceivedRequest) -> Then:
        date = formatdate(time.time() + offset, usegmt=True)
        await conn.write(http_response(429, RATE_LIMITED_BODY, headers={"Retry-After": date}))
        return "keep"

    return behaviour


def trickle(*, interval: float, head: bytes = b"") -> Behaviour:
    """Send ``head``, then one byte of a body every ``interval`` seconds, for ever."""

    async def behaviour(conn: Connection, request: ReceivedRequest) -> Then:
        await conn.write(head or http_response(200, b"", content_length=len(success_body(request))))
        for byte in success_body(request)[:-1]:  # never the whole body
            if await conn.client_left_within(interval):
                return "close"
            await conn.write(bytes([byte]))
        return "hang"

    return behaviour


def endless(*, status: int, content_length: int | None, chunk: int = 64 * 1024) -> Behaviour:
    """A body that never ends: chunked (``content_length=None``) or a huge declared one.

    Writes until the client hangs up; `MisbehavingServer.bytes_sent` tells how far.
    """

    async def behaviour(conn: Connection, request: ReceivedRequest) -> Then:
        block = b"x" * chunk
        if content_length is None:
            await conn.write(
                http_response(
                    status,
                    b"",
                    content_type="text/html",
                    content_length=None,
                    headers={"Transfer-Encoding": "chunked"},
                )
            )
            block = b"%x\r\n%s\r\n" % (len(block), block)
        else:
            await conn.write(
                http_response(status, b"", content_type="text/html", content_length=content_length)
            )
        sent = 0
        while content_length is None or sent < content_length:
            await conn.write(block)
            sent += chunk
        return "close"

    return behaviour


def gzipped(body: bytes | None = None, *, content_type: str = "application/json") -> Behaviour:
    """A gzip-encoded reply (the endpoint's success body by default)."""

    async def behaviour(conn: Connection, request: ReceivedRequest) -> Then:
        payload = gzip.compress(success_body(request) if body is None else body)
        await conn.write(
            http_response(
                200, payload, headers={"Content-Encoding": "gzip"}, content_type=content_type
            )
        )
        return "keep"

    return behaviour


def reply_then_idle_close(*, after: float) -> Behaviour:
    """A keep-alive 200 (no ``Connection: close``), then the server drops the idle
    connection ``after`` seconds later, as servers with a keep-alive timeout do."""

    async def behaviour(conn: Connection, request: ReceivedRequest) -> Then:
        await conn.write(http_response(200, success_body(request)))
        await asyncio.sleep(after)
        return "close"

    return behaviour


# --- the server -------------------------------------------------------------------


class MisbehavingServer:
    """Raw asyncio HTTP server on 127.0.0.1 answering each request from a script.

    ``script`` holds one `Behaviour` per request, in order; with it empty, the
    server answers the endpoint's success reply (keep-alive), so a test that
    expected fewer attempts fails on the counts, not on a hang.
    """

    def __init__(self) -> None:
        self.script: deque[Behaviour] = deque()
        self.requests: list[ReceivedRequest] = []
        self.connections_opened = 0
        self.open_connections = 0
        self.bytes_received = 0
        self.bytes_sent = 0
        self.errors: list[BaseException] = []
        """Unexpected exceptions in the server itself (a test asserts none)."""
        self.base_url = ""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def attempts(self) -> int:
        """Requests received, whatever happened to them."""
        return len(self.requests)

    def then(self, *behaviours: Behaviour) -> MisbehavingServer:
        """Queue behaviours for the next requests."""
        self.script.extend(behaviours)
        return self

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", 0, limit=MAX_HEADER_BYTES
        )
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def wait_until_no_connection_is_open(self, timeout: float = 2.0) -> None:
        """Wait until every accepted connection has been closed (by either side)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.open_connections and loop.time() < deadline:  # noqa: ASYNC110 (counters)
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self.connections_opened += 1
        self.open_connections += 1
        number = self.connections_opened
        conn = Connection(self, reader, writer)
        then: Then = "close"
        try:
            for index in range(1, 1_000):
                request = await self._read_request(reader, number, index)
                if request is None:
                    break
                self.requests.append(request)
                behaviour = self.script.popleft() if self.script else respond()
                then = await behaviour(conn, request)
                if then != "keep":
                    break
            if then == "reset":
                conn.reset()
            elif then == "hang":
                await conn.wait_for_client_to_leave()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: expected for most faults
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 (recorded; the test asserts none)
            self.errors.append(exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._writers.discard(writer)
            self.open_connections -= 1
            self._tasks.discard(task)

    async def _read_request(
        self, reader: asyncio.StreamReader, connection: int, index: int
    ) -> ReceivedRequest | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            return None  # a clean close between requests
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.bytes_received += len(head) + len(body)
        return ReceivedRequest(method, path, headers, body, connection, index)


@pytest.fixture
async def misbehaving_server() -> AsyncIterator[MisbehavingServer]:
    """A running `MisbehavingServer`; queue behaviours with ``.then(...)``."""
    server = MisbehavingServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.contextmanager
def _refusing_port() -> Iterator[int]:
    # Bound but never listening: connecting is refused (RST), and no other process
    # can take the port while the test runs.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def refused_base_url() -> Iterator[str]:
    """An ``http://127.0.0.1:<port>`` base URL where every connection is refused."""
    with _refusing_port() as port:
        yield f"http://127.0.0.1:{port}"
