"""Bulk sending: many sends through one client, bounded, paced and in order.

Workers pull requests from the input only when they have room, so an input of any
length (or an endless async stream) is consumed lazily: at most ``2 * concurrency``
requests are pulled ahead of the outcomes handed out. Every input yields exactly one
`SendOutcome`; one item's failure never stops the batch.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Sized,
)
from typing import TYPE_CHECKING, TypeAlias

import attrs

from stytch_b2b_otp._constants import SMS_SEND_PATH
from stytch_b2b_otp._exceptions import ClientClosedError, RateLimitError, StytchError
from stytch_b2b_otp._requests import SmsSendRequest
from stytch_b2b_otp._responses import SmsSendResponse

if TYPE_CHECKING:
    from stytch_b2b_otp._client import StytchB2BClient

__all__ = ["Pacer", "ProgressCallback", "SendOutcome", "SendRequests", "stream_sends"]

SendRequests: TypeAlias = Iterable[SmsSendRequest] | AsyncIterable[SmsSendRequest]
ProgressCallback: TypeAlias = Callable[[int, int | None], None]
"""Called with (outcomes so far, total inputs or ``None`` when the input has no length)."""


@attrs.frozen(kw_only=True)
class SendOutcome:
    """What became of one request of a bulk send.

    Attributes:
        index: The request's position in the input (0-based).
        request: The request itself.
        response: Stytch's reply, when the send succeeded.
        error: Why it failed (a `StytchError`), when it did.
    """

    index: int
    request: SmsSendRequest
    response: SmsSendResponse | None = None
    error: StytchError | None = None

    @property
    def ok(self) -> bool:
        """Whether the code was sent."""
        return self.error is None


class Pacer:
    """Paces every attempt of a batch: a smooth rate, and batch-wide pauses on 429.

    The rate is a schedule, not a bucket: attempts are spaced ``1 / rate`` seconds
    apart, so there is never a burst. One attempt at a time waits for the next slot,
    so slots missed while the event loop was busy (a blocking consumer, a GC pause)
    are given up, not made up for all at once. A 429 that the retry policy waits out
    pauses every worker for that long, instead of each one running into the limit
    again.
    """

    def __init__(self, rate_limit: float | None) -> None:
        self._interval = 1.0 / rate_limit if rate_limit else 0.0
        self._next_slot = -math.inf
        self._resume_at = 0.0
        self._turn = asyncio.Lock()  # held by the one attempt waiting for the next slot

    async def wait(self) -> None:
        """Wait for this attempt's turn."""
        loop = asyncio.get_running_loop()
        async with self._turn:
            while True:
                now = loop.time()
                if self._resume_at > now:  # the batch is paused after a 429
                    await asyncio.sleep(self._resume_at - now)
                elif self._next_slot > now:
                    await asyncio.sleep(self._next_slot - now)
                else:
                    break
            # Woken up to half a slot late (timer jitter), the schedule holds, so the rate
            # does not sag; later than that (the loop was busy), it starts again from now.
            self._next_slot = max(self._next_slot, now - self._interval / 2) + self._interval

    def rate_limited(self, error: RateLimitError, delay: float | None) -> None:
        """Pause the batch after a 429 the policy retries in ``delay`` seconds."""
        if delay is not None:
            loop = asyncio.get_running_loop()
            self._resume_at = max(self._resume_at, loop.time() + delay)


class _Source:
    """The input, pulled one request at a time by whichever worker is free."""

    def __init__(self, requests: SendRequests) -> None:
        self._sync: Iterator[SmsSendRequest] | None = None
        self._async: AsyncIterator[SmsSendRequest] | None = None
        if isinstance(requests, AsyncIterable):
            self._async = aiter(requests)
        elif isinstance(requests, Iterable):
            self._sync = iter(requests)
        else:
            raise TypeError("requests must be an iterable or async iterable of SmsSendRequest")
        self._lock = asyncio.Lock()  # an async iterator must not be advanced concurrently
        self._stopped = False
        self._index = 0
        self.pulled = 0

    async def next(self) -> tuple[int, SmsSendRequest] | None:
        async with self._lock:
            if self._stopped:  # exhausted, or failed: no worker reads past that point
                return None
            request: object  # whatever the caller's iterable holds, checked below
            try:
                if self._async is not None:
                    request = await anext(self._async)
                else:
                    assert self._sync is not None  # noqa: S101 (one of the two is set)
                    request = next(self._sync)
            except (StopIteration, StopAsyncIteration):
                self._stopped = True
                return None
            except BaseException:
                self._stopped = True
                raise
            index, self._index = self._index, self._index + 1
            self.pulled += 1
            if not isinstance(request, SmsSendRequest):
                self._stopped = True  # the batch stops here: nothing after it is sent
                raise TypeError(
                    f"requests[{index}] is a {type(request).__name__}, not an SmsSendRequest"
                )
        return index, request


_DONE = object()


def stream_sends(
    client: StytchB2BClient,
    requests: SendRequests,
    *,
    concurrency: int,
    rate_limit: float | None,
    progress: ProgressCallback | None,
) -> AsyncGenerator[SendOutcome, None]:
    """The engine behind ``send_stream`` and ``send_many`` (see their docs).

    The arguments are checked here, when called, not when the stream is first iterated.
    """
    _check(concurrency, rate_limit, progress)
    if client.closed:
        raise ClientClosedError("the client is closed")
    total = len(requests) if isinstance(requests, Sized) else None
    source = _Source(requests)
    return _stream(client, source, total, concurrency, rate_limit, progress)


async def _stream(
    client: StytchB2BClient,
    source: _Source,
    total: int | None,
    concurrency: int,
    rate_limit: float | None,
    progress: ProgressCallback | None,
) -> AsyncGenerator[SendOutcome, None]:
    if client.closed:  # closed since the stream was made
        raise ClientClosedError("the client is closed")
    pool = client._transport.pool_size
    workers_count = min(concurrency, pool) if pool else concurrency
    outcomes: asyncio.Queue[object] = asyncio.Queue(maxsize=workers_count)
    pacer = Pacer(rate_limit)

    async def work() -> None:
        while (item := await source.next()) is not None:
            index, request = item
            try:
                response = await client._call(SMS_SEND_PATH, request, SmsSendResponse, pacer=pacer)
            except ClientClosedError:
                raise  # a programmer error, not an outcome
            except StytchError as error:
                outcome = SendOutcome(index=index, request=request, error=error)
            else:
                outcome = SendOutcome(index=index, request=request, response=response)
            await outcomes.put(outcome)

    workers = [asyncio.ensure_future(work()) for _ in range(workers_count)]
    closing = False

    async def finish() -> None:
        try:
            await asyncio.gather(*workers)
        except BaseException as exc:  # noqa: BLE001 (handed to the consumer, re-raised there)
            if not closing:  # once the consumer has gone, nobody would take it off a full queue
                await outcomes.put(exc)
        else:
            await outcomes.put(_DONE)

    finisher = asyncio.ensure_future(finish())
    done = 0
    try:
        while (item := await outcomes.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, SendOutcome)  # noqa: S101 (the queue holds nothing else)
            done += 1
            if progress is not None:
                progress(done, total)
            yield item
    finally:
        closing = True
        for task in (*workers, finisher):
            task.cancel()
        await asyncio.gather(*workers, finisher, return_exceptions=True)


def _check(concurrency: int, rate_limit: float | None, progress: object) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError("concurrency must be a positive integer")
    if rate_limit is not None and (
        isinstance(rate_limit, bool)
        or not isinstance(rate_limit, (int, float))
        or not 0 < rate_limit < math.inf
    ):
        raise ValueError("rate_limit must be a positive number of requests per second or None")
    if progress is not None and not callable(progress):
        raise TypeError("progress must be a callable(done, total) or None")
