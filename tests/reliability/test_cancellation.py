"""1,000 calls cancelled at random moments leave the client whole.

A seeded `random.Random` plans every call: which endpoint (``send`` or
``authenticate``), and when it is cancelled:

- at a random time after it starts (0-25 ms), whatever it is doing then; or
- the moment it enters a phase, from an aiohttp trace hook: waiting for a pooled
  connection (``on_connection_queued_start``), connecting
  (``on_connection_create_start``), sending (``on_connection_create_end`` /
  ``on_connection_reuseconn``: the connection is ours, the request not yet written,
  or ``on_request_headers_sent``) and reading (``on_request_chunk_sent``: the body is
  out, the server holds its reply back for a random 1-20 ms); or
- never (about 1 call in 8), so replies and cancellations interleave on the same
  connections.

The pool is small (``max_connections=6``) and calls run 60 at a time, so most calls
queue for a connection. The phase each call was in when it was cancelled is recorded
(trace hooks update it), and every phase must have been hit.

Afterwards the pool serves ``max_connections`` calls at once (all in flight at the
server together, counted server-side), nothing is acquired, after ``close()`` no
socket is open at the server, the loop's exception handler saw nothing ("Task
exception was never retrieved", "Unclosed ...") and no warning was issued.

Connecting to a server that does not accept: a loopback listener whose backlog is full
(``listen(0)`` and one connection parked in the queue) drops further SYNs, so
``connect()`` hangs in SYN_SENT; calls to it are cancelled while connecting, and the
process holds no more sockets afterwards than before.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import random
import socket
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest

from stytch_b2b_otp import SmsAuthenticateResponse, SmsSendResponse, StytchB2BClient
from tests.conftest import IDS, PROJECT_ID, SECRET
from tests.reliability.conftest import (
    Connection,
    MisbehavingServer,
    ReceivedRequest,
    Then,
    http_response,
    success_body,
)

pytestmark = pytest.mark.slow  # load tests: see the tests session in noxfile.py

SEED = 20_240_611
CALLS = 1_000
WAVE = 60
MAX_CONNECTIONS = 6
TIMEOUT = 5.0  # no call may time out: every call ends in a reply or a cancellation

PHASES = ("pool", "connecting", "sending", "reading")
Reply = SmsSendResponse | SmsAuthenticateResponse


@attrs.define
class Call:
    """One planned call and what happened to it."""

    endpoint: str
    cancel_at: str | float | None
    """A trace hook's name, seconds after the start, or ``None`` (never cancelled)."""
    task: asyncio.Task[Reply] | None = None
    phase: str = "start"
    cancelled_in: str | None = None

    def cancel(self) -> None:
        assert self.task is not None
        if self.cancelled_in is None and not self.task.done():
            self.cancelled_in = self.phase
            self.task.cancel()


CURRENT: contextvars.ContextVar[Call] = contextvars.ContextVar("CURRENT")

# Trace hook -> the phase the call is in from then on.
HOOKS = {
    "on_connection_queued_start": "pool",
    "on_connection_queued_end": "pool",
    "on_connection_create_start": "connecting",
    "on_connection_create_end": "sending",
    "on_connection_reuseconn": "sending",
    "on_request_headers_sent": "sending",
    "on_request_chunk_sent": "reading",
    "on_request_end": "done",
    "on_request_exception": "done",
}
CANCEL_HOOKS = (
    "on_connection_queued_start",
    "on_connection_create_start",
    "on_connection_create_end",
    "on_connection_reuseconn",
    "on_request_headers_sent",
    "on_request_chunk_sent",
)


def phase_tracer() -> aiohttp.TraceConfig:
    """Trace hooks that keep ``Call.phase`` current and cancel on the planned hook."""
    trace = aiohttp.TraceConfig()

    def hook(name: str) -> Callable[..., Awaitable[None]]:
        async def on_event(*_: Any) -> None:
            call = CURRENT.get(None)  # contextvars follow aiohttp's writer task too
            if call is None:
                return
            call.phase = HOOKS[name]
            if call.cancel_at == name:
                call.cancel()

        return on_event

    for name in HOOKS:
        getattr(trace, name).append(hook(name))
    return trace


@attrs.define
class ServerState:
    """What the server is doing: requests being answered now, and the most at once."""

    rng: random.Random
    in_flight: int = 0
    peak: int = 0
    barrier: int | None = None
    """When set, each request waits (up to 2 s) until this many are in flight."""


def answer(state: ServerState) -> Callable[[Connection, ReceivedRequest], Awaitable[Then]]:
    """The success reply after a random 1-20 ms, or when ``barrier`` requests are in."""

    async def behaviour(conn: Connection, request: ReceivedRequest) -> Then:
        state.in_flight += 1
        state.peak = max(state.peak, state.in_flight)
        try:
            if state.barrier is not None:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 2.0
                while state.in_flight < state.barrier and loop.time() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.002)
            elif await conn.client_left_within(state.rng.uniform(0.001, 0.02)):
                return "close"  # the client cancelled while we held the reply back
            await conn.write(http_response(200, success_body(request)))
            return "keep"
        finally:
            state.in_flight -= 1

    return behaviour


def start_call(client: StytchB2BClient, call: Call) -> asyncio.Task[Reply]:
    """Run the call in its own task, with ``CURRENT`` set for the trace hooks."""

    async def run() -> Reply:
        CURRENT.set(call)
        if call.endpoint == "send":
            return await client.otps.sms.send(**IDS)
        return await client.otps.sms.authenticate(**IDS, code="123456", session_token="tok")

    task = asyncio.create_task(run())  # run() sets CURRENT in the task's own context
    call.task = task
    if isinstance(call.cancel_at, float):
        asyncio.get_running_loop().call_later(call.cancel_at, call.cancel)
    return task


def plan(rng: random.Random, n: int) -> list[Call]:
    calls = []
    for _ in range(n):
        endpoint = rng.choice(("send", "authenticate"))
        roll = rng.random()
        cancel_at: str | float | None
        if roll < 0.125:
            cancel_at = None
        elif roll < 0.5:
            cancel_at = rng.choice(CANCEL_HOOKS)
        else:
            cancel_at = rng.uniform(0.0, 0.025)
        calls.append(Call(endpoint, cancel_at))
    return calls


def pool_counts(client: StytchB2BClient) -> tuple[int, int]:
    """(connections acquired, connections idle) in the client's own connector."""
    session = client._transport._session
    assert session is not None
    connector = session.connector
    assert isinstance(connector, aiohttp.TCPConnector)
    return len(connector._acquired), sum(len(c) for c in connector._conns.values())


def open_sockets() -> int:
    """Socket file descriptors this process holds."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile (the listing's own fd)
            count += fd.readlink().name.startswith("socket:")
    return count


@contextlib.contextmanager
def watched_loop() -> Iterator[list[str]]:
    """Record what the loop's exception handler and `warnings` see; yields the list.

    The caller asserts it empty after ``gc.collect()``: "Task exception was never
    retrieved", "Unclosed client session/connector", ResourceWarnings and the like.
    """
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(str(context)))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield seen
            gc.collect()
        seen.extend(str(w.message) for w in caught)
    finally:
        loop.set_exception_handler(None)


async def test_a_thousand_cancelled_calls_leave_the_client_whole(
    misbehaving_server: MisbehavingServer,
) -> None:
    rng = random.Random(SEED)  # noqa: S311 (reproducible, not secret)
    calls = plan(rng, CALLS)
    state = ServerState(random.Random(SEED + 1))  # noqa: S311
    server = misbehaving_server.then(*[answer(state)] * (2 * CALLS))
    outcomes: Counter[str] = Counter()
    with watched_loop() as reported:
        client = StytchB2BClient(
            PROJECT_ID,
            SECRET,
            base_url=server.base_url,
            timeout=TIMEOUT,
            max_connections=MAX_CONNECTIONS,
            trace_configs=[phase_tracer()],
        )
        try:
            for start in range(0, CALLS, WAVE):
                wave = [start_call(client, call) for call in calls[start : start + WAVE]]
                results = await asyncio.wait_for(asyncio.gather(*wave, return_exceptions=True), 10)
                for call, result in zip(calls[start : start + WAVE], results, strict=True):
                    if isinstance(result, asyncio.CancelledError):
                        assert call.cancelled_in is not None
                        outcomes[f"cancelled while {call.cancelled_in}"] += 1
                    else:
                        # A reply, and nothing else: no StytchError, no other exception.
                        assert isinstance(result, (SmsSendResponse, SmsAuthenticateResponse)), repr(
                            result
                        )
                        outcomes["replied"] += 1

            # Every call resolved, and every phase saw cancellations.
            assert sum(outcomes.values()) == CALLS
            for phase in PHASES:
                assert outcomes[f"cancelled while {phase}"] >= 20, outcomes
            assert outcomes["replied"] >= 100, outcomes

            # Nothing is held: no acquired connection; the server is answering nothing.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 2
            while state.in_flight and loop.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            assert state.in_flight == 0
            assert pool_counts(client)[0] == 0
            assert pool_counts(client)[1] <= MAX_CONNECTIONS

            # Full width: max_connections calls all in flight at the server at once.
            state.barrier, state.peak = MAX_CONNECTIONS, 0
            width = [start_call(client, Call("send", None)) for _ in range(MAX_CONNECTIONS)]
            replies = await asyncio.wait_for(asyncio.gather(*width), 5)
            assert state.peak == MAX_CONNECTIONS
            assert all(isinstance(reply, SmsSendResponse) for reply in replies)

            # And still usable for ordinary calls, both endpoints.
            state.barrier = None
            assert isinstance(await client.otps.sms.send(**IDS), SmsSendResponse)
            reply = await client.otps.sms.authenticate(**IDS, code="123456", session_token="t")
            assert isinstance(reply, SmsAuthenticateResponse)
            assert pool_counts(client)[0] == 0
        finally:
            await client.close()
        del client
        await server.wait_until_no_connection_is_open()
    assert server.open_connections == 0
    assert server.errors == []
    assert reported == []


async def test_calls_cancelled_while_connecting_leave_no_socket() -> None:
    """A listener with a full backlog: connect() hangs until the call is cancelled."""
    rng = random.Random(SEED + 2)  # noqa: S311
    with socket.socket() as listener, socket.socket() as parked:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        parked.connect(listener.getsockname())  # fills the accept queue; never accepted
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        before = open_sockets()
        with watched_loop() as reported:
            client = StytchB2BClient(
                PROJECT_ID,
                SECRET,
                base_url=base_url,
                timeout=TIMEOUT,
                max_connections=4,
                trace_configs=[phase_tracer()],
            )
            try:
                calls = [
                    Call(rng.choice(("send", "authenticate")), rng.uniform(0.001, 0.03))
                    for _ in range(40)
                ]
                tasks = [start_call(client, call) for call in calls]
                results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
                assert all(isinstance(r, asyncio.CancelledError) for r in results), results
                phases = Counter(call.cancelled_in for call in calls)
                assert set(phases) <= {"pool", "connecting"}
                assert phases["connecting"] >= 4  # every pool slot was connecting
                assert pool_counts(client) == (0, 0)
            finally:
                await client.close()
            del client
        await asyncio.sleep(0)
        assert open_sockets() == before
        assert reported == []
