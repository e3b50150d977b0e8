"""The fault matrix: every failure a network or a server can produce, for both endpoints.

One table, one test. Each row scripts a `MisbehavingServer` (raw asyncio, so HTTP
itself can break) and pins, for ``send`` and for ``authenticate``:

- the outcome: the exact error class and its fields, or success after an allowed retry;
- the attempts: requests the server received, and requests the client started;
- the TCP connections the server accepted (reuse after a good reply, none after a
  broken one);
- the time taken, bounded by the configured timeout and backoff (never a hang);
- the pool afterwards: nothing acquired, only healthy connections kept idle; and after
  ``close()`` no connection in the pool, none open at the server, no ResourceWarning,
  no "Unclosed" report.

Timeouts are small on purpose: 0.2 s without data, 0.5 s per attempt.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import re
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import attrs
import pytest

from stytch_b2b_otp import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    InvalidResponseError,
    RateLimitError,
    RetryPolicy,
    StytchB2BClient,
    StytchError,
    _constants,
)
from tests.conftest import IDS, PROJECT_ID, SECRET
from tests.reliability.conftest import (
    AUTHENTICATE_PATH,
    RATE_LIMITED_BODY,
    SEND_PATH,
    SUCCESS_BODIES,
    Behaviour,
    MisbehavingServer,
    endless,
    gzipped,
    http_response,
    raw,
    reply_then_idle_close,
    respond,
    retry_after_date,
    success_body,
    trickle,
)

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
FAST_5XX = attrs.evolve(FAST, retry_server_errors=True)
TIMEOUT = aiohttp.ClientTimeout(total=0.5, connect=0.25, sock_connect=0.25, sock_read=0.2)
LIMIT = _constants.MAX_REPLY_BYTES
MiB = 1024 * 1024
# Slack on every time bound, for a loaded CI machine; the bounds stay far below a hang.
SLACK = 0.5
# A gzip bomb: 8 KiB on the wire, 8 MiB of JSON once decoded.
BOMB = gzip.compress(b'{"padding": "' + b"0" * (8 * MiB) + b'"}', compresslevel=9)

Call = Callable[[StytchB2BClient], Awaitable[Any]]
ENDPOINTS: dict[str, tuple[str, Call]] = {
    "send": (SEND_PATH, lambda client: client.otps.sms.send(**IDS)),
    "authenticate": (
        AUTHENTICATE_PATH,
        lambda client: client.otps.sms.authenticate(**IDS, code="123456", session_token="tok"),
    ),
}

SUCCESS = None  # Fault.error for a call that must succeed
UNSET: Any = object()


def _half_body(request: Any) -> bytes:
    body = success_body(request)
    return http_response(200, b"", content_length=len(body)) + body[: len(body) // 2]


def _http10(request: Any) -> bytes:
    return http_response(200, success_body(request), content_length=None, version="HTTP/1.0")


@attrs.frozen
class Fault:
    """One row: a scripted server and everything the call must do against it."""

    name: str
    script: tuple[Behaviour, ...]
    error: type[StytchError] | None
    """The exact error class raised, or `SUCCESS`."""
    server_attempts: int
    client_attempts: int
    connections: int
    """TCP connections the server accepted, warm-up calls included."""
    idle_after: int | tuple[int, ...]
    """Idle connections left in the pool (a tuple: any of these, by aiohttp version)."""
    """Connections the pool keeps idle after the call (0: the connection was dropped)."""
    max_seconds: float
    """Upper bound for the measured call, before `SLACK`."""
    min_seconds: float = 0.0
    retry: RetryPolicy = FAST
    warmup: int = 0
    """Successful calls made before the measured one (on the same script)."""
    wait_for_idle_close: bool = False
    """Between warm-up and call: wait until the server has closed its connection."""
    refused: bool = False
    """Point the client at a port that refuses connections (no server)."""
    request_sent: bool | None = None
    status: int | None = None
    retry_after: Any = UNSET
    """``RateLimitError.retry_after``: a number, ``None``, or a (low, high) range."""
    cause: type[BaseException] | None = None
    """The exact type of ``__cause__`` (``None``: the SDK chains nothing)."""
    message: str = ""
    """A regex the message must contain (``{path}`` is the endpoint)."""
    body_excerpt: bool = False
    """``APIStatusError.body`` is a bounded excerpt of a non-JSON body."""
    max_bytes_sent: int | None = None
    """Bound on what the server could push before the client hung up."""


def disconnect(name: str, script: tuple[Behaviour, ...], cause: type[BaseException]) -> Fault:
    """A connection broken after the request was sent: raised at once, may have acted."""
    return Fault(
        name,
        script,
        APIConnectionError,
        server_attempts=1,
        client_attempts=1,
        connections=1,
        idle_after=0,
        max_seconds=0.2,
        request_sent=True,
        cause=cause,
        message=rf"the connection failed after the request was sent \({cause.__name__}\); "
        r"the request may have been processed \[POST {path}\]",
    )


def read_timeout(name: str, script: tuple[Behaviour, ...]) -> Fault:
    """No data for ``sock_read`` seconds: raised once, may have acted."""
    return Fault(
        name,
        script,
        APITimeoutError,
        server_attempts=1,
        client_attempts=1,
        connections=1,
        idle_after=0,
        min_seconds=TIMEOUT.sock_read or 0,
        max_seconds=TIMEOUT.sock_read or 0,
        request_sent=True,
        cause=aiohttp.SocketTimeoutError,
        message=rf"no data from Stytch for {TIMEOUT.sock_read}s; "
        r"the request may have been processed",
    )


def success(name: str, script: tuple[Behaviour, ...], **fields: Any) -> Fault:
    defaults: dict[str, Any] = {
        "server_attempts": 1,
        "client_attempts": 1,
        "connections": 1,
        "idle_after": 1,
        "max_seconds": 0.2,
    }
    return Fault(name, script, SUCCESS, **{**defaults, **fields})


def rejected(
    name: str, script: tuple[Behaviour, ...], error: type[StytchError], **fields: Any
) -> Fault:
    """An error reply, raised after exactly the attempts given (default: one)."""
    defaults: dict[str, Any] = {
        "server_attempts": 1,
        "client_attempts": 1,
        "connections": 1,
        "idle_after": 1,
        "max_seconds": 0.2,
    }
    return Fault(name, script, error, **{**defaults, **fields})


def too_big(name: str, behaviour: Behaviour, status: int) -> Fault:
    """A reply past `LIMIT`: read up to the limit, the connection dropped."""
    if 200 <= status < 300:
        return Fault(
            name,
            (behaviour,),
            InvalidResponseError,
            server_attempts=1,
            client_attempts=1,
            connections=1,
            idle_after=0,
            max_seconds=1.0,
            status=status,
            message=rf"Stytch's {status} reply to {{path}} exceeds {LIMIT} bytes; "
            r"it was not read further",
            max_bytes_sent=LIMIT + 32 * MiB,
        )
    return rejected(
        name,
        (behaviour,),
        InternalServerError,
        idle_after=0,
        max_seconds=1.0,
        status=status,
        message=rf"{status}, not a Stytch error body \(over {LIMIT} bytes; it was not read "
        rf"further\): 'x{{10,}}…' \[POST {{path}}\]",
        body_excerpt=True,
        max_bytes_sent=LIMIT + 32 * MiB,
    )


def rate_limited(retry_after: str | None) -> Behaviour:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return respond(429, RATE_LIMITED_BODY, headers=headers)


UNAVAILABLE = respond(503, b"<html>503 Service Unavailable</html>", content_type="text/html")

FAULTS = [
    # --- no connection: retried with backoff, the request never left -------------
    Fault(
        "connection-refused",
        (),
        APIConnectionError,
        server_attempts=0,
        client_attempts=3,
        connections=0,
        idle_after=0,
        max_seconds=0.3,
        min_seconds=0.01,  # two backoffs of at least initial_delay / 2
        refused=True,
        request_sent=False,
        cause=aiohttp.ClientConnectorError,
        message=r"could not connect to 127\.0\.0\.1:\d+ "
        r"\(Connect call failed \('127\.0\.0\.1', \d+\)\) \[POST {path}\]",
    ),
    # --- broken after sending: raised at once, never retried ----------------------
    disconnect("reset-before-reply", (raw(b"", then="reset"),), aiohttp.ClientOSError),
    disconnect("closed-before-reply", (raw(b"", then="close"),), aiohttp.ServerDisconnectedError),
    disconnect("reset-mid-body", (raw(_half_body, then="reset"),), aiohttp.ClientPayloadError),
    disconnect(
        "body-shorter-than-content-length",
        (raw(_half_body, then="close"),),
        aiohttp.ClientPayloadError,
    ),
    disconnect(
        "bytes-that-are-not-http",
        (raw(b"SSH-2.0-OpenSSH_9.6\r\n", then="close"),),
        aiohttp.ClientResponseError,
    ),
    # --- silence: the read timeout fires, never retried --------------------------
    read_timeout("headers-never-come", (raw(b"", then="hang"),)),
    read_timeout("headers-stop-halfway", (raw(b"HTTP/1.1 200 OK\r\nContent-Ty", then="hang"),)),
    read_timeout("body-trickles-slower-than-sock-read", (trickle(interval=1.0),)),
    Fault(
        "body-trickles-past-the-total-timeout",
        (trickle(interval=0.05),),
        APITimeoutError,
        server_attempts=1,
        client_attempts=1,
        connections=1,
        idle_after=0,
        min_seconds=TIMEOUT.total or 0,
        max_seconds=TIMEOUT.total or 0,
        request_sent=True,
        cause=asyncio.TimeoutError,  # the builtin TimeoutError from Python 3.11 on
        message=rf"the call took longer than {TIMEOUT.total}s; the request may have been processed",
    ),
    # --- odd but valid replies: accepted -----------------------------------------
    success("close-delimited-http-1.0-body", (raw(_http10, then="close"),), idle_after=0),
    success("gzip-encoded-reply", (gzipped(),)),
    success("json-as-text-plain", (respond(content_type="text/plain"),)),
    success("json-without-content-type", (respond(content_type=None),)),
    # --- redirects: not followed, an APIStatusError naming the Location ------------
    *(
        rejected(
            f"redirect-{status}",
            (respond(status, b"", headers={"Location": "https://elsewhere.test/x"}),),
            APIStatusError,
            status=status,
            message=rf"{status}, not a Stytch error body \(a redirect to "
            r"'https://elsewhere.test/x'; redirects are not followed\)",
        )
        for status in (302, 307)
    ),
    # --- too big: cut at the limit, said so, connection dropped, prompt -------------
    too_big("huge-2xx-with-content-length", endless(status=200, content_length=64 * MiB), 200),
    too_big("endless-chunked-2xx", endless(status=200, content_length=None), 200),
    too_big("huge-5xx-with-content-length", endless(status=500, content_length=64 * MiB), 500),
    too_big("endless-chunked-5xx", endless(status=502, content_length=None), 502),
    Fault(
        "gzip-bomb",
        (raw(http_response(200, BOMB, headers={"Content-Encoding": "gzip"}), then="keep"),),
        InvalidResponseError,
        server_attempts=1,
        client_attempts=1,
        connections=1,
        # The 8 KiB on the wire were read whole: aiohttp before 3.14 keeps the connection
        # (it is clean), later ones drop it; either way nothing is held.
        idle_after=(0, 1),
        max_seconds=1.0,
        status=200,
        message=rf"exceeds {LIMIT} bytes",
    ),
    # --- 429: Retry-After decides ------------------------------------------------
    success(
        "429-retry-after-seconds",
        (rate_limited("0.1"), respond()),
        server_attempts=2,
        client_attempts=2,
        min_seconds=0.1,
        max_seconds=0.3,
    ),
    success(
        "429-retry-after-http-date",
        (retry_after_date(-30), respond()),
        server_attempts=2,
        client_attempts=2,
        max_seconds=0.2,
    ),
    rejected(
        "429-without-retry-after",
        (rate_limited(None),),
        RateLimitError,
        status=429,
        retry_after=None,
        message=r"429 too_many_requests: Too many requests\. "
        r"\[request_id: request-id-test-429, POST {path}\]",
    ),
    rejected(
        "429-retry-after-too-long-seconds",
        (rate_limited("3600"),),
        RateLimitError,
        status=429,
        retry_after=3600.0,
    ),
    rejected(
        "429-retry-after-too-long-http-date",
        (retry_after_date(3600),),
        RateLimitError,
        status=429,
        retry_after=(3590.0, 3601.0),
    ),
    rejected(
        "429-every-time-retries-exhausted",
        (rate_limited("0"),) * 3,
        RateLimitError,
        server_attempts=3,
        client_attempts=3,
        status=429,
        retry_after=0.0,
    ),
    # --- 503: only with retry_server_errors -------------------------------------
    rejected(
        "503-default-policy",
        (UNAVAILABLE,),
        InternalServerError,
        status=503,
        body_excerpt=True,
        message=r"503, not a Stytch error body: '<html>503 Service Unavailable</html>'",
    ),
    success(
        "503-retry-server-errors",
        (UNAVAILABLE, respond()),
        retry=FAST_5XX,
        server_attempts=2,
        client_attempts=2,
    ),
    rejected(
        "503-retry-server-errors-exhausted",
        (UNAVAILABLE,) * 3,
        InternalServerError,
        retry=FAST_5XX,
        server_attempts=3,
        client_attempts=3,
        status=503,
        body_excerpt=True,
    ),
    # --- a keep-alive connection the server closes between calls -----------------
    success(
        "stale-keep-alive-closed-while-idle",
        (reply_then_idle_close(after=0.0), respond()),
        warmup=1,
        wait_for_idle_close=True,
        server_attempts=2,
        client_attempts=2,
        connections=2,  # aiohttp saw the FIN and opened a fresh connection
    ),
    Fault(
        "stale-keep-alive-closed-as-the-request-arrives",
        (respond(), raw(b"", then="close")),
        APIConnectionError,
        warmup=1,
        server_attempts=2,
        client_attempts=2,  # no retry: neither aiohttp (POST) nor the SDK
        connections=1,
        idle_after=0,
        max_seconds=0.2,
        request_sent=True,
        cause=aiohttp.ServerDisconnectedError,
        message=r"\(ServerDisconnectedError\); the request may have been processed",
    ),
]


def pool_counts(client: StytchB2BClient) -> tuple[int, int]:
    """(connections acquired, connections idle) in the client's own connector."""
    session = client._transport._session
    assert session is not None
    connector = session.connector
    assert isinstance(connector, aiohttp.TCPConnector)
    idle = sum(len(conns) for conns in connector._conns.values())
    return len(connector._acquired), idle


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
async def test_fault_matrix(
    fault: Fault,
    endpoint: str,
    misbehaving_server: MisbehavingServer,
    refused_base_url: str,
) -> None:
    path, call = ENDPOINTS[endpoint]
    server = misbehaving_server.then(*fault.script)
    started_requests: list[str] = []
    trace = aiohttp.TraceConfig()

    async def on_request_start(*_: Any) -> None:
        started_requests.append("start")

    trace.on_request_start.append(on_request_start)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        with warnings.catch_warnings(record=True) as caught_warnings:
            warnings.simplefilter("always")
            client = StytchB2BClient(
                PROJECT_ID,
                SECRET,
                base_url=refused_base_url if fault.refused else server.base_url,
                timeout=TIMEOUT,
                retry=fault.retry,
                trace_configs=[trace],
            )
            outcome: BaseException | None = None
            reply: Any = None
            try:
                for _ in range(fault.warmup):
                    await call(client)
                if fault.wait_for_idle_close:
                    await server.wait_until_no_connection_is_open()
                    assert server.open_connections == 0
                    await asyncio.sleep(0.02)  # let the client's loop see the FIN
                began = time.perf_counter()
                try:
                    reply = await asyncio.wait_for(call(client), 5)
                except StytchError as exc:
                    outcome = exc
                elapsed = time.perf_counter() - began
                acquired, idle = pool_counts(client)
            finally:
                await client.close()
            del client
            gc.collect()
        await server.wait_until_no_connection_is_open()
    finally:
        loop.set_exception_handler(None)

    # The outcome, exactly.
    if fault.error is SUCCESS:
        assert outcome is None, f"expected success, got {outcome!r}"
        assert reply.request_id == json.loads(SUCCESS_BODIES[path])["request_id"]
    else:
        assert type(outcome) is fault.error, f"expected {fault.error}, got {outcome!r}"
        assert isinstance(outcome, StytchError)
        check_error(fault, outcome, path)

    # The attempts, on both sides of the wire.
    assert server.attempts == fault.server_attempts
    assert len(started_requests) == fault.client_attempts
    assert server.connections_opened == fault.connections
    assert {(r.method, r.path) for r in server.requests} <= {("POST", path)}
    assert server.errors == []
    assert [json.loads(r.body)["member_id"] for r in server.requests] == [
        IDS["member_id"]
    ] * server.attempts

    # Time: bounded by the timeout and backoff, never a hang.
    assert fault.min_seconds <= elapsed <= fault.max_seconds + SLACK, elapsed
    if fault.max_bytes_sent is not None:
        assert server.bytes_sent <= fault.max_bytes_sent

    # The pool: nothing held by the call, only a healthy connection kept; then, after
    # close(), nothing open on either side and nothing reported.
    allowed = fault.idle_after if isinstance(fault.idle_after, tuple) else (fault.idle_after,)
    assert acquired == 0
    assert idle in allowed
    assert server.open_connections == 0
    assert [str(w.message) for w in caught_warnings] == []
    assert reported == []


def check_error(fault: Fault, error: StytchError, path: str) -> None:
    assert isinstance(error, (APIConnectionError, APIStatusError, InvalidResponseError))
    assert error.endpoint == path
    if fault.message:
        assert re.search(fault.message.replace("{path}", re.escape(path)), str(error)), str(error)
    if isinstance(error, APIConnectionError):
        assert error.request_sent is fault.request_sent
        assert type(error.__cause__) is fault.cause
        if fault.refused:
            assert isinstance(error.__cause__, aiohttp.ClientConnectorError)
            assert isinstance(error.__cause__.os_error, ConnectionRefusedError)
    else:
        assert error.status_code == fault.status
        assert error.__cause__ is None
    if isinstance(error, RateLimitError) or fault.retry_after is not UNSET:
        assert isinstance(error, RateLimitError)
        if isinstance(fault.retry_after, tuple):
            low, high = fault.retry_after
            assert error.retry_after is not None
            assert low <= error.retry_after <= high
        else:
            assert error.retry_after == fault.retry_after
    if fault.body_excerpt:
        assert isinstance(error, APIStatusError)
        assert isinstance(error.body, str)
        assert 0 < len(error.body) <= _constants.ERROR_EXCERPT_CHARS
