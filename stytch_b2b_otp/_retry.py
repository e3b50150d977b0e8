"""When a failed call is tried again, as pure functions of (attempt, failure, headers).

Both endpoints change state: a send bills an SMS and invalidates the member's
previous code, an authenticate consumes the code and the intermediate session token.
So a call is retried only when it cannot have been processed:

- could not connect, or no pooled connection in time: retried with backoff (the
  request never left);
- TLS failure: not retried (a bad certificate does not heal);
- timeout or disconnect after sending: not retried (Stytch may have processed it);
- 429: retried after ``Retry-After`` when it is at most ``max_retry_after``; raised
  at once when it is longer or absent (Stytch's windows reset at the top of the hour,
  and a locked member, ``user_lock_limit_reached``, stays locked for an hour: an
  immediate retry only spends more of the limit);
- 5xx: retried only with ``retry_server_errors=True``;
- any other status: not retried.
"""

from __future__ import annotations

import enum
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime

import attrs

from stytch_b2b_otp import _constants

__all__ = ["Failure", "FailureKind", "RetryDecision", "RetryPolicy", "parse_retry_after"]

_SECONDS = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,20})?")


class FailureKind(enum.Enum):
    """What went wrong with one attempt."""

    CONNECT = "connect"
    """No connection could be opened; the request never left."""
    CONNECT_TIMEOUT = "connect_timeout"
    """Timed out waiting for a pooled connection or opening one; never left."""
    TLS = "tls"
    """The TLS handshake or certificate check failed."""
    TIMEOUT = "timeout"
    """Timed out after the request may have been sent."""
    DISCONNECT = "disconnect"
    """The connection broke after the request may have been sent."""
    STATUS = "status"
    """Stytch replied with an error status."""


@attrs.frozen
class Failure:
    """One failed attempt, as the retry policy sees it."""

    kind: FailureKind
    status: int | None = None


@attrs.frozen
class RetryDecision:
    """Whether to try again, after how long, and why (for logs)."""

    retry: bool
    delay: float
    reason: str


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"RetryPolicy.{attribute.name} must be a number >= 0")
    if math.isinf(value):
        raise ValueError(f"RetryPolicy.{attribute.name} must be finite")


def _retry_count(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("RetryPolicy.max_retries must be an int >= 0")


def _flag(instance: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"RetryPolicy.{attribute.name} must be a bool")


@attrs.frozen
class RetryPolicy:
    """How the client retries a failed call; the default is the safe choice.

    Only failures that cannot have been processed by Stytch are retried: a failure
    to connect, and a 429 that says, in ``Retry-After``, when to come back. 5xx
    replies are retried only when ``retry_server_errors`` is set, because Stytch may
    have acted before it failed. Timeouts and disconnects after the request was sent
    are never retried: a second send would text the member again and invalidate the
    first code.

    Args:
        max_retries: Retries after the first attempt; ``0`` disables retrying.
        initial_delay: Backoff before the first retry, in seconds; it doubles on
            each further retry.
        max_delay: Cap on the backoff, in seconds (``initial_delay`` included:
            ``RetryPolicy(max_delay=0.2)`` never waits more than 0.2 s).
        max_retry_after: The longest ``Retry-After`` (seconds) the client waits
            out; a longer one, or none, raises `RateLimitError` at once so the
            caller decides.
        retry_server_errors: Also retry 5xx replies.

    Raises:
        ValueError: A field is out of range (the message names it).
    """

    max_retries: int = attrs.field(default=_constants.DEFAULT_MAX_RETRIES, validator=_retry_count)
    initial_delay: float = attrs.field(
        default=_constants.DEFAULT_INITIAL_DELAY, validator=_non_negative
    )
    max_delay: float = attrs.field(default=_constants.DEFAULT_MAX_DELAY, validator=_non_negative)
    max_retry_after: float = attrs.field(
        default=_constants.DEFAULT_MAX_RETRY_AFTER, validator=_non_negative
    )
    retry_server_errors: bool = attrs.field(default=False, validator=_flag)

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """The delay before retrying after failed attempt number ``attempt`` (1-based).

        Exponential from ``initial_delay``, capped at ``max_delay``, with "equal
        jitter": a uniform pick from the upper half, so concurrent callers spread
        out but none retries immediately.
        """
        base = min(self.max_delay, self.initial_delay * 2.0 ** min(attempt - 1, 62))
        return base * (0.5 + 0.5 * rng())

    def decide(
        self,
        attempt: int,
        failure: Failure,
        headers: Mapping[str, str] | None = None,
        *,
        now: float | None = None,
        rng: Callable[[], float] = random.random,
    ) -> RetryDecision:
        """Decide whether to retry after failed attempt number ``attempt`` (1-based).

        Args:
            attempt: How many attempts have been made, the failed one included.
            failure: What went wrong.
            headers: The reply's headers, when there was a reply.
            now: The current Unix time, for ``Retry-After`` dates (default: now).
            rng: A source of uniform floats in [0, 1) for jitter.

        Returns:
            The decision, with the delay in seconds and the reason.
        """
        kind = failure.kind
        if kind in (FailureKind.CONNECT, FailureKind.CONNECT_TIMEOUT):
            return self._after_backoff(attempt, rng, "the request never left")
        if kind is FailureKind.TLS:
            return RetryDecision(False, 0.0, "TLS failures do not heal on retry")
        if kind is not FailureKind.STATUS or failure.status is None:
            return RetryDecision(False, 0.0, "the request may have been processed")
        status = failure.status
        if status == 429:
            retry_after = parse_retry_after(headers, now)
            if retry_after is None:
                return RetryDecision(False, 0.0, "rate limited, and no Retry-After to wait out")
            return self._after_retry_after(attempt, retry_after, rng, "rate limited")
        if 500 <= status < 600:
            if not self.retry_server_errors:
                return RetryDecision(False, 0.0, "server errors are not retried by default")
            retry_after = parse_retry_after(headers, now)
            return self._after_retry_after(attempt, retry_after, rng, f"server error {status}")
        return RetryDecision(False, 0.0, f"status {status} is not retryable")

    def _after_backoff(self, attempt: int, rng: Callable[[], float], why: str) -> RetryDecision:
        if attempt > self.max_retries:
            return RetryDecision(False, 0.0, f"{why}, but retries are exhausted")
        return RetryDecision(True, self.backoff(attempt, rng), why)

    def _after_retry_after(
        self, attempt: int, retry_after: float | None, rng: Callable[[], float], why: str
    ) -> RetryDecision:
        if retry_after is None:
            return self._after_backoff(attempt, rng, why)
        if retry_after > self.max_retry_after:
            return RetryDecision(
                False, 0.0, f"{why}; Retry-After {retry_after:g}s exceeds max_retry_after"
            )
        if attempt > self.max_retries:
            return RetryDecision(False, 0.0, f"{why}, but retries are exhausted")
        return RetryDecision(True, retry_after, f"{why}; honouring Retry-After")


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or ``None`` when absent or invalid.

    Accepts delay-seconds (``"2"``, and fractional ``"1.5"``) and HTTP-dates
    (``"Wed, 21 Oct 2026 07:28:00 GMT"``); a date in the past means ``0``.
    """
    if not headers:
        return None
    value = headers.get("Retry-After")
    if value is None:  # a plain mapping (a test's dict): names are case-insensitive
        value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 9110 dates are always GMT
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
