"""The progress callback: once per outcome, with the count so far and the total when known."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from contextlib import aclosing

import pytest

from stytch_b2b_otp import SmsSendRequest, StytchB2BClient
from tests.bulk.conftest import Counted, Planned, Recorder, requests_for

COUNT = 12
FAILING = 5

Requests = Iterable[SmsSendRequest] | AsyncIterable[SmsSendRequest]


class NoLength:
    """Iterable more than once, but without ``len``."""

    def __iter__(self) -> Iterator[SmsSendRequest]:
        return iter(requests_for(COUNT))


INPUTS: list[object] = [
    pytest.param(lambda: requests_for(COUNT), COUNT, id="list"),
    pytest.param(lambda: tuple(requests_for(COUNT)), COUNT, id="tuple"),
    pytest.param(lambda: deque(requests_for(COUNT)), COUNT, id="deque"),
    pytest.param(lambda: Counted(COUNT).sync(), None, id="generator"),
    pytest.param(lambda: Counted(COUNT).asynchronous(), None, id="async-generator"),
    pytest.param(NoLength, None, id="iterable-without-len"),
]


@pytest.mark.parametrize(("make", "total"), INPUTS)
async def test_send_stream_reports_progress_once_per_outcome_before_yielding_it(
    client: StytchB2BClient, recorder: Recorder, make: Callable[[], Requests], total: int | None
) -> None:
    recorder.plan(FAILING, Planned(status=400))  # a failure counts as done, too
    calls: list[tuple[int, int | None]] = []
    yielded = 0
    stream = client.otps.sms.send_stream(
        make(), concurrency=4, progress=lambda done, total: calls.append((done, total))
    )
    async with aclosing(stream):
        async for _ in stream:
            yielded += 1
            assert len(calls) == yielded  # called for this outcome, before it was handed out
    assert calls == [(done, total) for done in range(1, COUNT + 1)]


@pytest.mark.parametrize(("make", "total"), INPUTS)
async def test_send_many_reports_progress_once_per_outcome(
    client: StytchB2BClient, recorder: Recorder, make: Callable[[], Requests], total: int | None
) -> None:
    recorder.plan(FAILING, Planned(status=400))
    calls: list[tuple[int, int | None]] = []

    outcomes = await client.otps.sms.send_many(
        make(), concurrency=4, progress=lambda done, total: calls.append((done, total))
    )

    assert [outcome.ok for outcome in outcomes].count(False) == 1
    assert calls == [(done, total) for done in range(1, COUNT + 1)]


async def test_a_progress_callback_that_raises_stops_the_batch(
    client: StytchB2BClient, recorder: Recorder
) -> None:
    def progress(done: int, total: int | None) -> None:
        if done == 3:
            raise OSError("the progress file is gone")

    counted = Counted(None)
    with pytest.raises(OSError, match="progress file"):
        await client.otps.sms.send_many(counted.sync(), concurrency=4, progress=progress)
    pulled, sent = counted.pulled, len(recorder.arrivals)
    assert pulled <= 3 + 2 * 4
    await asyncio.sleep(0.1)
    assert (counted.pulled, len(recorder.arrivals)) == (pulled, sent)
