"""Bounds: the input is read lazily, and requests in flight fit the client's pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, aclosing
from typing import Any

import aiohttp
import pytest

from stytch_b2b_otp import SmsSendRequest
from stytch_b2b_otp.emulator import Emulator
from tests.bulk.conftest import Clients, Counted, Recorder, requests_for

CONCURRENCY = 8
TAKEN = 60  # outcomes the slow consumer takes before it stops

Source = Callable[[Counted], Iterable[SmsSendRequest] | AsyncIterable[SmsSendRequest]]


@pytest.mark.parametrize(
    ("limit", "source"),
    [
        pytest.param(100_000, Counted.sync, id="generator-of-100000"),
        pytest.param(100_000, Counted.asynchronous, id="async-generator-of-100000"),
        pytest.param(None, Counted.sync, id="endless-generator"),
        pytest.param(None, Counted.asynchronous, id="endless-async-generator"),
    ],
)
async def test_the_input_is_read_at_most_twice_concurrency_ahead_of_the_outcomes(
    recorder: Recorder, clients: Clients, limit: int | None, source: Source
) -> None:
    client = await clients.to(recorder.server.base_url)
    counted = Counted(limit)
    tasks_before = len(asyncio.all_tasks())
    ahead: list[int] = []
    tasks: list[int] = []
    indexes: set[int] = set()
    yielded = 0
    stream = client.otps.sms.send_stream(source(counted), concurrency=CONCURRENCY)
    async with aclosing(stream):
        async for outcome in stream:
            assert outcome.ok
            indexes.add(outcome.index)
            yielded += 1
            ahead.append(counted.pulled - yielded)
            if yielded == TAKEN:
                break
            # A slow consumer: meanwhile the workers fill every buffer they have.
            await asyncio.sleep(0.003)
            ahead.append(counted.pulled - yielded)
            tasks.append(len(asyncio.all_tasks()))
    pulled_at_stop = counted.pulled

    assert len(indexes) == yielded  # each outcome once
    # The bound holds at every step, and was reached (the workers did read ahead).
    assert max(ahead) <= 2 * CONCURRENCY
    assert max(ahead) >= CONCURRENCY
    # Breaking out stops the reading at once: nothing more is pulled, or sent, later.
    assert pulled_at_stop <= TAKEN + 2 * CONCURRENCY
    sent = len(recorder.arrivals)
    assert sent <= pulled_at_stop
    await asyncio.sleep(0.05)
    assert counted.pulled == pulled_at_stop
    assert len(recorder.arrivals) == sent
    # No task per item: a few per worker (the server's handlers are in this loop too).
    assert max(tasks) - tasks_before <= 4 * CONCURRENCY


async def test_a_list_of_100000_gets_no_task_per_item(recorder: Recorder, clients: Clients) -> None:
    client = await clients.to(recorder.server.base_url)
    requests = requests_for(1) * 100_000  # one object, many times: cheap to build
    tasks_before = len(asyncio.all_tasks())
    tasks: list[int] = []
    stream = client.otps.sms.send_stream(requests, concurrency=CONCURRENCY)
    async with aclosing(stream):
        async for outcome in stream:
            tasks.append(len(asyncio.all_tasks()))
            if outcome.index >= TAKEN:
                break
            await asyncio.sleep(0.003)
    assert max(tasks) - tasks_before <= 4 * CONCURRENCY
    assert len(recorder.arrivals) <= len(tasks) + 2 * CONCURRENCY


async def test_send_many_reads_a_generator_to_its_end(recorder: Recorder, clients: Clients) -> None:
    client = await clients.to(recorder.server.base_url)
    counted = Counted(500)
    outcomes = await client.otps.sms.send_many(counted.asynchronous(), concurrency=CONCURRENCY)
    assert [o.index for o in outcomes] == list(range(500))
    assert counted.pulled == 500
    assert sorted(recorder.indexes()) == list(range(500))


def owned(max_connections: int) -> Callable[[], dict[str, Any]]:
    return lambda: {"max_connections": max_connections}


def borrowed(limit: int, limit_per_host: int = 0) -> Callable[[], dict[str, Any]]:
    def options() -> dict[str, Any]:
        connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit_per_host)
        return {"session": aiohttp.ClientSession(connector=connector)}

    return options


@pytest.mark.parametrize(
    ("pool", "concurrency", "expected_peak"),
    [
        pytest.param(owned(4), 32, 4, id="owned-pool-of-4"),
        pytest.param(owned(100), 6, 6, id="owned-pool-larger-than-concurrency"),
        pytest.param(borrowed(limit=3), 32, 3, id="borrowed-limit-3"),
        pytest.param(borrowed(limit=0, limit_per_host=5), 32, 5, id="borrowed-per-host-5"),
        pytest.param(borrowed(limit=0), 7, 7, id="borrowed-unlimited"),
    ],
)
async def test_requests_in_flight_fit_the_clients_pool(
    emu: Emulator,
    stack: AsyncExitStack,
    clients: Clients,
    pool: Callable[[], dict[str, Any]],
    concurrency: int,
    expected_peak: int,
) -> None:
    org = emu.create_organization("Acme", slug="acme")
    requests = [
        SmsSendRequest(
            organization_id=org.organization_id,
            member_id=emu.create_member(org.organization_id, email_address=f"{i}@a.test").member_id,
            mfa_phone_number=f"+1202555{i:04d}",
        )
        for i in range(24)
    ]
    emu.inject_fault("send", delay=0.03, times=None)
    options = pool()
    if "session" in options:
        await stack.enter_async_context(options["session"])
    # A worker waiting in the pool for more than 10 ms would time out ("never sent"),
    # be retried twice, and fail: workers beyond the pool's size must not exist.
    timeout = aiohttp.ClientTimeout(total=5, connect=0.01)
    client = await clients.to_emulator(emu, timeout=timeout, **options)

    outcomes = await client.otps.sms.send_many(requests, concurrency=concurrency)

    assert [o.error for o in outcomes] == [None] * len(requests)
    assert emu.calls("send") == len(requests)
    assert emu.peak_in_flight("send") == expected_peak


async def test_the_source_is_never_advanced_by_two_workers_at_once(
    recorder: Recorder, clients: Clients
) -> None:
    client = await clients.to(recorder.server.base_url)
    busy = 0
    overlapped = False

    async def feed() -> AsyncIterator[SmsSendRequest]:
        nonlocal busy, overlapped
        for request in requests_for(40):
            busy += 1
            overlapped = overlapped or busy > 1
            await asyncio.sleep(0.001)  # an async source that takes a while per item
            busy -= 1
            yield request

    outcomes = await client.otps.sms.send_many(feed(), concurrency=CONCURRENCY)
    assert [o.index for o in outcomes] == list(range(40))
    assert not overlapped
