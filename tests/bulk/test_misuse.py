"""Programmer errors raise at once instead of becoming outcomes."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest

from stytch_b2b_otp import (
    ClientClosedError,
    SendOutcome,
    SmsAuthenticateRequest,
    SmsSendRequest,
    StytchB2BClient,
)
from tests.bulk.conftest import (
    ORGANIZATION_ID,
    Counted,
    Recorder,
    drain,
    request_for,
    requests_for,
)

BAD_AT = 5

NOT_REQUESTS: list[Any] = [
    pytest.param("member-test-000005", id="str"),
    pytest.param({"organization_id": ORGANIZATION_ID, "member_id": "m"}, id="dict"),
    pytest.param(None, id="None"),
    pytest.param(
        SmsAuthenticateRequest(
            organization_id=ORGANIZATION_ID, member_id="m", code="123456", session_token="t"
        ),
        id="authenticate-request",
    ),
]


def with_bad_item(bad: object, count: int = 200) -> list[Any]:
    items: list[Any] = requests_for(count)
    items[BAD_AT] = bad
    return items


async def as_async(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


@pytest.mark.parametrize("bad", NOT_REQUESTS)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["list", "async-generator"])
async def test_an_item_that_is_not_a_send_request_raises_a_type_error_naming_it(
    client: StytchB2BClient, recorder: Recorder, bad: object, asynchronous: bool
) -> None:
    items = with_bad_item(bad)
    requests: Any = as_async(items) if asynchronous else items
    message = rf"requests\[{BAD_AT}\] is a {type(bad).__name__}, not an SmsSendRequest"
    with pytest.raises(TypeError, match=message):
        await client.otps.sms.send_many(requests, concurrency=2)
    # The batch stopped there: nothing after the bad item was sent.
    await asyncio.sleep(0.02)
    assert max(recorder.indexes(), default=0) < BAD_AT


async def test_a_bad_item_stops_a_slowly_consumed_stream_too(
    client: StytchB2BClient, recorder: Recorder
) -> None:
    seen: list[SendOutcome] = []
    stream = client.otps.sms.send_stream(with_bad_item(42), concurrency=4)
    with pytest.raises(TypeError, match=rf"requests\[{BAD_AT}\]"):
        await drain(stream, seen, each=lambda _: asyncio.sleep(0.01))
    assert sorted(outcome.index for outcome in seen) == list(range(len(seen)))
    assert len(seen) <= BAD_AT
    assert max(recorder.indexes()) < BAD_AT


async def test_a_closed_client_raises_before_anything_is_read_or_sent(
    client: StytchB2BClient, recorder: Recorder
) -> None:
    counted = Counted(10)
    made_before = client.otps.sms.send_stream(counted.sync())
    await client.close()
    with pytest.raises(ClientClosedError):
        await client.otps.sms.send_many(counted.sync())
    with pytest.raises(ClientClosedError):
        client.otps.sms.send_stream(counted.sync())
    with pytest.raises(ClientClosedError):
        await drain(made_before)  # made while the client was open, iterated after
    assert counted.pulled == 0
    assert recorder.arrivals == []


async def test_closing_the_client_during_a_batch_raises_client_closed(
    client: StytchB2BClient, recorder: Recorder
) -> None:
    recorder.delay = 0.05
    seen: list[SendOutcome] = []

    async def close_after_three(seen: list[SendOutcome]) -> None:
        if len(seen) == 3:
            await client.close()

    stream = client.otps.sms.send_stream(Counted(None).sync(), concurrency=4)
    with pytest.raises(ClientClosedError):
        await drain(stream, seen, each=close_after_three)
    assert len(seen) < 3 + 2 * 4  # what was already done, and nothing more
    sent = len(recorder.arrivals)
    await asyncio.sleep(0.1)
    assert len(recorder.arrivals) == sent


BAD_ARGUMENTS: list[Any] = [
    pytest.param({"concurrency": 0}, ValueError, "concurrency", id="concurrency-0"),
    pytest.param({"concurrency": -3}, ValueError, "concurrency", id="concurrency-negative"),
    pytest.param({"concurrency": 2.5}, ValueError, "concurrency", id="concurrency-float"),
    pytest.param({"concurrency": True}, ValueError, "concurrency", id="concurrency-bool"),
    pytest.param({"concurrency": "8"}, ValueError, "concurrency", id="concurrency-str"),
    pytest.param({"rate_limit": 0}, ValueError, "rate_limit", id="rate-0"),
    pytest.param({"rate_limit": -1.5}, ValueError, "rate_limit", id="rate-negative"),
    pytest.param({"rate_limit": math.inf}, ValueError, "rate_limit", id="rate-inf"),
    pytest.param({"rate_limit": math.nan}, ValueError, "rate_limit", id="rate-nan"),
    pytest.param({"rate_limit": True}, ValueError, "rate_limit", id="rate-bool"),
    pytest.param({"rate_limit": "10"}, ValueError, "rate_limit", id="rate-str"),
    pytest.param({"progress": 42}, TypeError, "progress", id="progress-not-callable"),
    pytest.param({"progress": "print"}, TypeError, "progress", id="progress-str"),
]


@pytest.mark.parametrize(("arguments", "error", "names"), BAD_ARGUMENTS)
async def test_bad_arguments_raise_at_once(
    client: StytchB2BClient,
    recorder: Recorder,
    arguments: dict[str, Any],
    error: type[Exception],
    names: str,
) -> None:
    counted = Counted(10)
    with pytest.raises(error, match=re.escape(names)):
        await client.otps.sms.send_many(counted.sync(), **arguments)
    # send_stream checks its arguments when called, not when first iterated.
    with pytest.raises(error, match=re.escape(names)):
        client.otps.sms.send_stream(counted.sync(), **arguments)
    assert counted.pulled == 0
    assert recorder.arrivals == []


@pytest.mark.parametrize(
    "requests",
    [
        pytest.param(None, id="None"),
        pytest.param(42, id="int"),
        pytest.param(request_for(0), id="one-request-not-a-list"),
    ],
)
async def test_requests_that_are_not_iterable_raise_a_type_error(
    client: StytchB2BClient, recorder: Recorder, requests: Any
) -> None:
    with pytest.raises(TypeError, match="iterable"):
        await client.otps.sms.send_many(requests)
    with pytest.raises(TypeError, match="iterable"):
        client.otps.sms.send_stream(requests)
    assert recorder.arrivals == []


async def test_an_empty_batch_sends_nothing(client: StytchB2BClient, recorder: Recorder) -> None:
    calls: list[tuple[int, int | None]] = []
    assert await client.otps.sms.send_many([], progress=lambda *a: calls.append(a)) == []
    assert await drain(client.otps.sms.send_stream(Counted(0).asynchronous())) == []
    assert calls == []
    assert recorder.arrivals == []


class FailsOnce:
    """An iterator that raises at one position, and would go on after it if asked."""

    def __init__(self, at: int, count: int) -> None:
        self._at = at
        self._positions = iter(range(count))

    def __iter__(self) -> FailsOnce:
        return self

    def __next__(self) -> SmsSendRequest:
        index = next(self._positions)
        if index == self._at:
            raise LookupError(f"row {index} is unreadable")
        return request_for(index)


async def test_an_input_that_fails_raises_its_error_and_the_batch_stops_there(
    client: StytchB2BClient, recorder: Recorder
) -> None:
    seen: list[SendOutcome] = []
    stream = client.otps.sms.send_stream(FailsOnce(BAD_AT, 100), concurrency=4)
    with pytest.raises(LookupError, match=f"row {BAD_AT}"):
        await drain(stream, seen, each=lambda _: asyncio.sleep(0.01))
    assert len(seen) <= BAD_AT
    assert max(recorder.indexes()) < BAD_AT
