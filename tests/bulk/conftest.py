"""Fixtures for bulk sending: a recording Stytch on 127.0.0.1, an emulator without the
per-phone limit, counted inputs, and a check that no task error went unseen."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, aclosing
from typing import Any

import attrs
import pytest
from aiohttp import web

from stytch_b2b_otp import SendOutcome, StytchB2BClient
from stytch_b2b_otp._requests import SmsSendRequest
from stytch_b2b_otp.emulator import Emulator, EmulatorConfig
from tests.conftest import PROJECT_ID, SECRET, load_fixture
from tests.emulator.conftest import FAST, Emulators
from tests.emulator.conftest import _reused_signing_keys as _reused_signing_keys  # autouse
from tests.servers import FakeStytch

ORGANIZATION_ID = "organization-test-1"
UNLIMITED = EmulatorConfig(sends_per_phone_per_hour=None)
"""The emulator's rules, minus the 10 sends per phone per hour (a batch texts many)."""


def member_id(index: int) -> str:
    """The member of input position ``index`` in batches sent to `Recorder`."""
    return f"member-test-{index:06d}"


def index_of(member: str) -> int:
    """The input position of a `member_id`."""
    return int(member.rsplit("-", 1)[1])


def request_for(index: int) -> SmsSendRequest:
    """The request at input position ``index`` (its member id says which it is)."""
    return SmsSendRequest(organization_id=ORGANIZATION_ID, member_id=member_id(index))


def requests_for(count: int) -> list[SmsSendRequest]:
    """Requests for positions ``0 .. count - 1``."""
    return [request_for(index) for index in range(count)]


async def drain(
    stream: AsyncGenerator[SendOutcome, None],
    seen: list[SendOutcome] | None = None,
    *,
    each: Callable[[list[SendOutcome]], Awaitable[object]] | None = None,
) -> list[SendOutcome]:
    """Iterate ``stream`` to its end (closing it in any case), collecting into ``seen``
    and awaiting ``each(seen)`` after every outcome: a consumer that takes its time."""
    seen = [] if seen is None else seen
    async with aclosing(stream):
        async for outcome in stream:
            seen.append(outcome)
            if each is not None:
                await each(seen)
    return seen


async def wait_until(condition: Callable[[], bool], *, timeout: float = 2.0) -> None:
    """Poll ``condition`` every few milliseconds until it holds; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {timeout}s")
        await asyncio.sleep(0.002)


# A server that records when each request arrived -------------------------------------


@attrs.frozen
class Arrival:
    """One request as the server saw it: when (the test loop's clock) and for whom."""

    at: float
    member_id: str


@attrs.frozen
class Answer:
    """One reply as the server sent it."""

    at: float
    member_id: str
    status: int


@attrs.frozen
class Planned:
    """A reply planned for a member's next attempt."""

    status: int = 200
    headers: dict[str, str] = attrs.Factory(dict)
    delay: float = 0.0


def error_body(status: int, error_type: str) -> bytes:
    """Stytch's error body."""
    return json.dumps(
        {
            "status_code": status,
            "request_id": "request-id-test-bulk",
            "error_type": error_type,
            "error_message": "Injected by the test.",
            "error_url": f"https://stytch.com/docs/api/errors/{status}",
        }
    ).encode()


class Recorder:
    """A `FakeStytch` handler that records every arrival and reply with its time.

    It answers each send with Stytch's reply for the member asked for, after
    ``delay`` (or ``delays[member]``) seconds, unless a reply is `plan`\\ ned for
    that member's next attempt.
    """

    def __init__(self, server: FakeStytch) -> None:
        self.server = server
        self.arrivals: list[Arrival] = []
        self.answers: list[Answer] = []
        self.delay = 0.0
        self.delays: dict[str, float] = {}
        self._plans: defaultdict[str, deque[Planned]] = defaultdict(deque)
        self._template = load_fixture("send_response.json")

    def plan(self, index: int, *replies: Planned) -> None:
        """Answer the next attempts for input position ``index`` with ``replies``."""
        self._plans[member_id(index)].extend(replies)

    def indexes(self) -> list[int]:
        """The input positions of the requests received, in arrival order."""
        return [index_of(arrival.member_id) for arrival in self.arrivals]

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        member: str = json.loads(await request.read())["member_id"]
        self.arrivals.append(Arrival(loop.time(), member))
        plans = self._plans.get(member)
        planned = plans.popleft() if plans else Planned(delay=self.delays.get(member, self.delay))
        if planned.delay:
            await asyncio.sleep(planned.delay)
        self.answers.append(Answer(loop.time(), member, planned.status))
        if planned.status != 200:
            body = error_body(planned.status, "too_many_requests")
        else:
            reply = dict(self._template, member_id=member)
            reply["member"] = dict(reply["member"], member_id=member)
            body = json.dumps(reply).encode()
        return web.Response(
            status=planned.status,
            body=body,
            headers=planned.headers,
            content_type="application/json",
        )


# Inputs that count how far they were read ---------------------------------------------


class Counted:
    """Requests for positions 0, 1, 2... (``limit`` of them, or endless), counting pulls."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.pulled = 0

    def _positions(self) -> Iterator[int]:
        return itertools.count() if self.limit is None else iter(range(self.limit))

    def sync(self) -> Iterator[SmsSendRequest]:
        """A generator: no length, read one item at a time."""
        for index in self._positions():
            self.pulled += 1
            yield request_for(index)

    async def asynchronous(self) -> AsyncIterator[SmsSendRequest]:
        """An async generator that lets the loop run between items, as a real feed does."""
        for index in self._positions():
            await asyncio.sleep(0)
            self.pulled += 1
            yield request_for(index)


# Fixtures -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
async def _no_unseen_task_errors() -> AsyncIterator[None]:
    """Fail the test if the loop reported anything: "Task exception was never retrieved",
    "Task was destroyed but it is pending", an exception in a callback."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    # Objects older than the test are set aside, so that the collection below (a task
    # reports an unretrieved exception when collected) looks at the test's only: fast.
    gc.freeze()
    try:
        yield
        gc.collect()
        await asyncio.sleep(0)
    finally:
        gc.unfreeze()
        loop.set_exception_handler(previous)
    assert not reported, [context.get("message") for context in reported]


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    """Closes, at the end of the test, whatever the test entered into it."""
    async with AsyncExitStack() as stack:
        yield stack


@pytest.fixture
async def recorder(stack: AsyncExitStack) -> Recorder:
    """A `FakeStytch` on 127.0.0.1 answering through a `Recorder`."""
    server = await stack.enter_async_context(FakeStytch())
    recorder = Recorder(server)
    server.handler = recorder
    return recorder


class Clients:
    """Makes clients and closes them when the test ends."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self._stack = stack

    async def to(self, base_url: str, **options: Any) -> StytchB2BClient:
        """A client for ``base_url`` (fast retries unless ``retry=`` is given)."""
        options.setdefault("retry", FAST)
        client = StytchB2BClient(PROJECT_ID, SECRET, base_url=base_url, **options)
        return await self._stack.enter_async_context(client)

    async def to_emulator(self, emulator: Emulator, **options: Any) -> StytchB2BClient:
        """A client bound to ``emulator``."""
        options.setdefault("retry", FAST)
        return await self._stack.enter_async_context(emulator.client(**options))


@pytest.fixture
def clients(stack: AsyncExitStack) -> Clients:
    return Clients(stack)


@pytest.fixture
async def client(clients: Clients, recorder: Recorder) -> StytchB2BClient:
    """A client for the `recorder` server."""
    return await clients.to(recorder.server.base_url)


@pytest.fixture
async def emu(stack: AsyncExitStack) -> Emulator:
    """An emulator without the per-phone limit, its clock frozen."""
    return await Emulators(stack).start(config=UNLIMITED)
