"""Pacing: a smooth rate shared by the batch, and one pause for the whole batch on a 429."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time

import pytest

from stytch_b2b_otp import RateLimitError, RetryPolicy
from tests.bulk.conftest import Clients, Planned, Recorder, member_id, requests_for

pytestmark = pytest.mark.slow  # load tests: see the tests session in noxfile.py

FAST_RETRY_AFTER_1 = RetryPolicy(initial_delay=0.001, max_delay=0.002, max_retry_after=1.5)


def busiest_window(times: list[float], window: float = 0.1) -> int:
    """The most arrivals in any ``window`` seconds."""
    times = sorted(times)
    return max(bisect.bisect_left(times, start + window) - i for i, start in enumerate(times))


@pytest.mark.parametrize(
    ("rate", "count", "concurrency"),
    [
        pytest.param(50, 150, 8, id="50-per-second-for-3s"),
        pytest.param(200, 200, 32, id="200-per-second-for-1s"),
    ],
)
async def test_the_rate_limit_spaces_requests_evenly_across_the_batch(
    recorder: Recorder, clients: Clients, rate: float, count: int, concurrency: int
) -> None:
    # A fresh client: setting up its pool on the first request stalls the loop a little.
    client = await clients.to(recorder.server.base_url)

    outcomes = await client.otps.sms.send_many(
        requests_for(count), concurrency=concurrency, rate_limit=rate
    )

    assert all(outcome.ok for outcome in outcomes)
    times = sorted(arrival.at for arrival in recorder.arrivals)
    assert len(times) == count
    observed = (count - 1) / (times[-1] - times[0])
    assert rate * 0.9 <= observed <= rate * 1.1, observed
    # No burst: any 100 ms holds what the rate allows in 100 ms, plus one or 10 %
    # (timer and server jitter). A catch-up burst, or a bucket's, is well above that.
    assert busiest_window(times) <= rate * 0.1 + max(1, rate * 0.01)


async def test_a_busy_loop_does_not_turn_into_a_burst_afterwards(
    recorder: Recorder, clients: Clients
) -> None:
    client = await clients.to(recorder.server.base_url)
    rate = 50

    def progress(done: int, total: int | None) -> None:
        if done == 10:
            time.sleep(0.15)  # a consumer doing blocking work: 7 slots go by meanwhile

    outcomes = await client.otps.sms.send_many(
        requests_for(40), concurrency=8, rate_limit=rate, progress=progress
    )

    assert all(outcome.ok for outcome in outcomes)
    times = [arrival.at for arrival in recorder.arrivals]
    # The slots missed are given up, not made up for all at once.
    assert busiest_window(times) <= rate * 0.1 + 1
    assert min(b - a for a, b in itertools.pairwise(sorted(times))) > 0.25 / rate
    assert (len(times) - 1) / (max(times) - min(times)) <= rate * 1.1


async def test_a_429_pauses_the_whole_batch_for_its_retry_after(
    recorder: Recorder, clients: Clients
) -> None:
    client = await clients.to(recorder.server.base_url, retry=FAST_RETRY_AFTER_1)
    recorder.delay = 0.01  # four workers keep about 400 requests a second going
    limited = 12
    recorder.plan(limited, Planned(status=429, headers={"Retry-After": "1"}))

    outcomes = await client.otps.sms.send_many(requests_for(40), concurrency=4)

    # The rate-limited item was retried (two attempts) and succeeded; nothing else failed.
    assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes if o.error]
    assert recorder.indexes().count(limited) == 2
    assert len(recorder.arrivals) == 41
    refused_at = next(a.at for a in recorder.answers if a.status == 429)
    arrivals = [arrival.at - refused_at for arrival in recorder.arrivals]
    # What was already on its way when the 429 went out arrives within a few ms; then
    # nothing for a second; then the batch (the retried item included) goes on.
    assert not [t for t in arrivals if 0.05 < t < 0.95]
    retried_at = [a.at - refused_at for a in recorder.arrivals if a.member_id == member_id(limited)]
    assert 0.95 <= retried_at[1] <= 1.2
    assert min(t for t in arrivals if t > 0.05) <= 1.2  # the pause is not longer than asked


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Retry-After": "2"}, id="retry-after-beyond-max_retry_after"),
        pytest.param({}, id="no-retry-after"),
    ],
)
async def test_a_429_the_policy_does_not_wait_out_fails_only_that_item(
    recorder: Recorder, clients: Clients, headers: dict[str, str]
) -> None:
    client = await clients.to(recorder.server.base_url, retry=FAST_RETRY_AFTER_1)
    recorder.delay = 0.01
    limited = 12
    recorder.plan(limited, Planned(status=429, headers=headers))
    loop = asyncio.get_running_loop()
    started = loop.time()

    outcomes = await client.otps.sms.send_many(requests_for(40), concurrency=4)

    failed = [outcome for outcome in outcomes if not outcome.ok]
    assert [outcome.index for outcome in failed] == [limited]
    error = failed[0].error
    assert isinstance(error, RateLimitError)
    assert error.retry_after == (2.0 if headers else None)
    assert recorder.indexes().count(limited) == 1  # not retried
    # The batch did not pause: no gap at the server, done in a fraction of a second.
    times = [arrival.at for arrival in recorder.arrivals]
    assert max(b - a for a, b in itertools.pairwise(times)) < 0.1
    assert loop.time() - started < 0.6
