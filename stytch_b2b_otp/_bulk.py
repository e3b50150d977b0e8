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
    apart, so there is never a burst. A 429 that the retry policy waits out pauses
    every worker for that long, instead of each one running into the limit again.
    """

    def __init__(self, rate_limit: float | None) -> None:
        self._interval = 1.0 / rate_limit if rate_limit else 0.0
        self._next_slot = 0.0
        self._resume_at = 0.0

    async def wait(self) -> None:
        """Wait for this attempt's turn."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._resume_at > now:  # the batch is paused after a 429
                await asyncio.sleep(self._resume_at - now)
                continue
            if not self._interval:
                return
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._resume_at <= loop.time():
                return

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
        self._index = 0
        self.pulled = 0

    async def next(self) -> tuple[int, SmsSendRequest] | None:
        async with self._lock:
            try:
                if self._async is not None:
                    request = await anext(self._async)
                else:
                    assert self._sync is not None  # noqa: S101 (one of the two is set)
                    request = next(self._sync)
            except (StopIteration, StopAsyncIteration):
                return None
            index, self._index = self._index, self._index + 1
            self.pulled += 1
        if not isinstance(request, SmsSendRequest):
            raise TypeError(
                f"requests[{index}] is a {type(request).__name__}, not an SmsSendRequest"
            )
        return index, request


_DONE = object()


async def stream_sends(
    client: StytchB2BClient,
    requests: SendRequests,
    *,
    concurrency: int,
    rate_limit: float | None,
    progress: ProgressCallback | None,
) -> AsyncGenerator[SendOutcome, None]:
    """The engine behind ``send_stream`` and ``send_many`` (see their docs)."""
    _check(concurrency, rate_limit, progress)
    if client.closed:
        raise ClientClosedError("the client is closed")
    total = len(requests) if isinstance(requests, Sized) else None
    source = _Source(requests)
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

    async def finish() -> None:
        try:
            await asyncio.gather(*workers)
        except BaseException as exc:  # noqa: BLE001 (handed to the consumer, re-raised there)
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
