"""The retry decision: a pure function of (attempt, failure, headers), checked by table."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from stytch_b2b_otp import RetryPolicy
from stytch_b2b_otp._retry import Failure, FailureKind, parse_retry_after

NOW = 1_780_000_000.0
MID = lambda: 0.5  # noqa: E731 (a fixed "random" for jitter)

CONNECT = Failure(FailureKind.CONNECT)
CONNECT_TIMEOUT = Failure(FailureKind.CONNECT_TIMEOUT)
TLS = Failure(FailureKind.TLS)
TIMEOUT = Failure(FailureKind.TIMEOUT)
DISCONNECT = Failure(FailureKind.DISCONNECT)


def status(code: int) -> Failure:
    return Failure(FailureKind.STATUS, code)


def http_date(seconds_from_now: float) -> str:
    return format_datetime(
        datetime.fromtimestamp(NOW + seconds_from_now, timezone.utc), usegmt=True
    )


DEFAULT = RetryPolicy()
SERVER_ERRORS = RetryPolicy(retry_server_errors=True)

# (policy, attempt, failure, headers, retried?, delay or None when not retried)
DECISIONS: list[tuple[RetryPolicy, int, Failure, dict[str, str] | None, bool, float | None]] = [
    # The request never left: retried with backoff (0.5 s base, jitter at mid = 0.75x).
    (DEFAULT, 1, CONNECT, None, True, 0.375),
    (DEFAULT, 2, CONNECT, None, True, 0.75),
    (DEFAULT, 3, CONNECT, None, False, None),
    (DEFAULT, 1, CONNECT_TIMEOUT, None, True, 0.375),
    # TLS failures do not heal; after sending, the request may have been processed.
    (DEFAULT, 1, TLS, None, False, None),
    (DEFAULT, 1, TIMEOUT, None, False, None),
    (DEFAULT, 1, DISCONNECT, None, False, None),
    (SERVER_ERRORS, 1, TIMEOUT, None, False, None),
    # 429: Retry-After honoured up to max_retry_after, backoff when absent.
    (DEFAULT, 1, status(429), {"Retry-After": "2"}, True, 2.0),
    (DEFAULT, 1, status(429), {"Retry-After": "0"}, True, 0.0),
    (DEFAULT, 1, status(429), {"Retry-After": "1.5"}, True, 1.5),
    (DEFAULT, 1, status(429), {"Retry-After": "10"}, True, 10.0),
    (DEFAULT, 1, status(429), {"Retry-After": "11"}, False, None),
    (DEFAULT, 1, status(429), {"Retry-After": "86400"}, False, None),
    (DEFAULT, 1, status(429), {"Retry-After": http_date(3)}, True, 3.0),
    (DEFAULT, 1, status(429), {"Retry-After": http_date(-60)}, True, 0.0),
    (DEFAULT, 1, status(429), {"Retry-After": http_date(3600)}, False, None),
    (DEFAULT, 1, status(429), None, False, None),
    (DEFAULT, 1, status(429), {"Retry-After": "soon"}, False, None),
    (DEFAULT, 1, status(429), {"Retry-After": "٣"}, False, None),
    (DEFAULT, 3, status(429), {"Retry-After": "1"}, False, None),
    (RetryPolicy(max_retry_after=60), 1, status(429), {"Retry-After": "30"}, True, 30.0),
    # 5xx only on request.
    (DEFAULT, 1, status(500), None, False, None),
    (DEFAULT, 1, status(503), {"Retry-After": "1"}, False, None),
    (SERVER_ERRORS, 1, status(500), None, True, 0.375),
    (SERVER_ERRORS, 1, status(503), {"Retry-After": "1"}, True, 1.0),
    (SERVER_ERRORS, 1, status(503), {"Retry-After": "120"}, False, None),
    (SERVER_ERRORS, 3, status(502), None, False, None),
    # Other statuses: never.
    (SERVER_ERRORS, 1, status(400), None, False, None),
    (SERVER_ERRORS, 1, status(401), None, False, None),
    (SERVER_ERRORS, 1, status(404), {"Retry-After": "1"}, False, None),
    (SERVER_ERRORS, 1, status(409), None, False, None),
    (SERVER_ERRORS, 1, status(302), None, False, None),
    (SERVER_ERRORS, 1, status(600), None, False, None),  # not HTTP's 5xx
    # Retries disabled.
    (RetryPolicy(max_retries=0), 1, CONNECT, None, False, None),
    (RetryPolicy(max_retries=0), 1, status(429), {"Retry-After": "1"}, False, None),
]


@pytest.mark.parametrize(("policy", "attempt", "failure", "headers", "retried", "delay"), DECISIONS)
def test_retry_decision(
    policy: RetryPolicy,
    attempt: int,
    failure: Failure,
    headers: dict[str, str] | None,
    retried: bool,
    delay: float | None,
) -> None:
    decision = policy.decide(attempt, failure, headers, now=NOW, rng=MID)
    assert decision.retry is retried, decision.reason
    if delay is not None:
        assert decision.delay == pytest.approx(delay, abs=1e-6)
    assert decision.reason


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [(1, 0.25, 0.5), (2, 0.5, 1.0), (3, 1.0, 2.0), (5, 4.0, 8.0), (6, 4.0, 8.0), (60, 4.0, 8.0)],
)
def test_backoff_is_exponential_capped_and_jittered_within_bounds(
    attempt: int, low: float, high: float
) -> None:
    assert DEFAULT.backoff(attempt, rng=lambda: 0.0) == pytest.approx(low)
    assert DEFAULT.backoff(attempt, rng=lambda: 0.999999) == pytest.approx(high, rel=1e-5)


def test_max_delay_caps_the_first_delay_too() -> None:
    policy = RetryPolicy(max_delay=0.2)  # below the default initial_delay of 0.5 s
    assert policy.backoff(1, rng=lambda: 0.999999) == pytest.approx(0.2, rel=1e-5)


def test_jitter_spreads_concurrent_retries() -> None:
    delays = {DEFAULT.backoff(1) for _ in range(50)}
    assert len(delays) > 40
    assert all(0.25 <= delay <= 0.5 for delay in delays)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (None, None),
        ({}, None),
        ({"Retry-After": "5"}, 5.0),
        ({"Retry-After": " 5 "}, 5.0),
        ({"Retry-After": "0.25"}, 0.25),
        ({"Retry-After": "10.0000001"}, 10.0000001),
        ({"retry-after": "5"}, 5.0),  # a plain dict: header names are case-insensitive
        ({"RETRY-AFTER": "5"}, 5.0),
        ({"Retry-After": "-1"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "1e3"}, None),
        ({"Retry-After": "٣"}, None),
        ({"Retry-After": ""}, None),
        ({"Retry-After": http_date(30)}, 30.0),
        ({"Retry-After": http_date(-30)}, 0.0),
        ({"Retry-After": "Wed, 99 Foo 2026 25:61:00 GMT"}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    result = parse_retry_after(headers, now=NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"initial_delay": -0.1}, "initial_delay"),
        ({"initial_delay": float("nan")}, "initial_delay"),
        ({"max_delay": float("inf")}, "max_delay"),
        ({"max_retry_after": "10"}, "max_retry_after"),
        ({"retry_server_errors": 1}, "retry_server_errors"),
    ],
)
def test_policy_rejects_bad_values_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**kwargs)


def test_policy_defaults_match_the_documented_contract() -> None:
    assert RetryPolicy() == RetryPolicy(2, 0.5, 8.0, 10.0, False)
