"""Cancelling or leaving a batch cancels its requests in flight; the client stays usable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import aclosing

import pytest

from stytch_b2b_otp import SendOutcome, StytchB2BClient
from tests.bulk.conftest import Counted, Recorder, drain, member_id, request_for, wait_until

CONCURRENCY = 4
SLOW = 30.0  # the server never answers these in the test's time: cancelled, not awaited
GRACE = 0.2

Scenario = Callable[[StytchB2BClient, Counted], Awaitable[None]]


async def cancel_send_many(client: StytchB2BClient, counted: Counted) -> None:
    task = asyncio.create_task(client.otps.sms.send_many(counted.sync(), concurrency=CONCURRENCY))
    await wait_until(lambda: counted.pulled >= CONCURRENCY + 1)
    await asyncio.sleep(0.02)  # every worker has its request at the server
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def cancel_the_consumer(client: StytchB2BClient, counted: Counted) -> None:
    async def consume() -> None:
        async for _ in client.otps.sms.send_stream(counted.asynchronous(), concurrency=CONCURRENCY):
            pass

    task = asyncio.create_task(consume())
    await wait_until(lambda: counted.pulled >= CONCURRENCY + 1)
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def break_out_of_aclosing(client: StytchB2BClient, counted: Counted) -> None:
    stream = client.otps.sms.send_stream(counted.sync(), concurrency=CONCURRENCY)
    async with aclosing(stream):
        async for outcome in stream:
            assert outcome.index == 0
            await asyncio.sleep(0.02)
            break


async def break_out_of_a_plain_loop(client: StytchB2BClient, counted: Counted) -> None:
    # Without aclosing, the generator is closed when it is collected: at once in CPython.
    async for outcome in client.otps.sms.send_stream(counted.sync(), concurrency=CONCURRENCY):
        assert outcome.index == 0
        await asyncio.sleep(0.02)
        break


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(cancel_send_many, id="cancel-the-task-awaiting-send_many"),
        pytest.param(cancel_the_consumer, id="cancel-the-task-iterating-send_stream"),
        pytest.param(break_out_of_aclosing, id="break-inside-aclosing"),
        pytest.param(break_out_of_a_plain_loop, id="break-out-of-async-for"),
    ],
)
async def test_leaving_a_batch_cancels_its_requests_in_flight(
    client: StytchB2BClient, recorder: Recorder, scenario: Scenario
) -> None:
    # Item 0 is answered at once (something for a consumer to break on); the rest hang.
    recorder.delay = SLOW
    recorder.delays = {member_id(0): 0.0}
    counted = Counted(None)
    loop = asyncio.get_running_loop()

    await scenario(client, counted)
    left_at = loop.time()

    # Promptly: the server sees every request go away, and no new one come.
    server = recorder.server
    assert server.max_in_flight == CONCURRENCY
    await wait_until(lambda: server.in_flight == 0, timeout=1.0)
    assert loop.time() - left_at < 0.5
    sent, pulled = len(recorder.arrivals), counted.pulled
    await asyncio.sleep(GRACE)
    assert len(recorder.arrivals) == sent
    assert counted.pulled == pulled
    assert bulk_tasks() == []  # no worker left behind

    # The client is usable: a send (and a small batch) go through.
    recorder.delay = 0.0
    response = await client.otps.sms.send(
        organization_id=request_for(1).organization_id, member_id=member_id(1)
    )
    assert response.member_id == member_id(1)
    outcomes = await client.otps.sms.send_many([request_for(7), request_for(8)])
    assert [outcome.ok for outcome in outcomes] == [True, True]


def bulk_tasks() -> list[asyncio.Task[object]]:
    """The engine's tasks (its workers, and the one waiting for them) still running."""
    return [
        task
        for task in asyncio.all_tasks()
        if "_stream.<locals>" in getattr(task.get_coro(), "__qualname__", "")
    ]


# Leaving while every buffer is full: the workers are blocked handing over outcomes that
# nobody will take. The consumer stops after its first outcome and dawdles first.


async def dawdle_then_break_inside_aclosing(client: StytchB2BClient, counted: Counted) -> None:
    stream = client.otps.sms.send_stream(counted.sync(), concurrency=CONCURRENCY)
    async with aclosing(stream):
        async for _ in stream:
            await asyncio.sleep(0.1)
            break


async def dawdle_then_break_out_of_a_plain_loop(client: StytchB2BClient, counted: Counted) -> None:
    async for _ in client.otps.sms.send_stream(counted.asynchronous(), concurrency=CONCURRENCY):
        await asyncio.sleep(0.1)
        break


async def dawdle_then_fail(client: StytchB2BClient, counted: Counted) -> None:
    async def fail(_: list[SendOutcome]) -> None:
        await asyncio.sleep(0.1)
        raise LookupError("the consumer failed")

    stream = client.otps.sms.send_stream(counted.sync(), concurrency=CONCURRENCY)
    with pytest.raises(LookupError):
        await drain(stream, each=fail)


async def cancel_the_consumer_while_it_dawdles(client: StytchB2BClient, counted: Counted) -> None:
    async def consume() -> None:
        async with aclosing(client.otps.sms.send_stream(counted.sync())) as stream:
            async for _ in stream:
                await asyncio.sleep(SLOW)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(dawdle_then_break_inside_aclosing, id="break-inside-aclosing"),
        pytest.param(dawdle_then_break_out_of_a_plain_loop, id="break-out-of-async-for"),
        pytest.param(dawdle_then_fail, id="raise-inside-aclosing"),
        pytest.param(cancel_the_consumer_while_it_dawdles, id="cancel-the-consumer"),
    ],
)
async def test_leaving_a_batch_whose_buffers_are_full_returns_at_once(
    client: StytchB2BClient, recorder: Recorder, scenario: Scenario
) -> None:
    counted = Counted(None)
    loop = asyncio.get_running_loop()

    started = loop.time()
    await asyncio.wait_for(scenario(client, counted), timeout=2)  # it used to hang here
    await wait_until(lambda: bulk_tasks() == [], timeout=1)  # a plain loop: closed when collected
    assert loop.time() - started < 0.5

    pulled, sent = counted.pulled, len(recorder.arrivals)
    assert pulled <= 1 + 2 * 32  # the default concurrency, for the last scenario
    await asyncio.sleep(GRACE)
    assert (counted.pulled, len(recorder.arrivals)) == (pulled, sent)
    outcomes = await client.otps.sms.send_many([request_for(7)])
    assert outcomes[0].ok
