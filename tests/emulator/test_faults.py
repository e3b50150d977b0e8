"""Injected faults, seen through the SDK: error replies, Retry-After, delays, dropped
connections, broken bodies, work done before the reply was lost."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from stytch_b2b_otp import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    StytchB2BClient,
)
from stytch_b2b_otp.emulator import Emulator
from tests.emulator.conftest import (
    PHONE,
    SEND_PATH,
    Emulators,
    MfaFlow,
    expect_error,
    raw_request,
)


async def test_a_503_is_raised_not_retried_by_default(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", status=503)
    error = await expect_error(InternalServerError, "server_unavailable", flow.send(sdk))
    assert error.status_code == 503
    assert error.request_id is not None
    assert error.request_id.startswith("request-id-test-")
    assert emu.calls("send") == 1
    assert emu.sent_messages == []


async def test_a_503_is_retried_when_the_policy_allows_server_errors(
    emulators: Emulators, emu: Emulator, flow: MfaFlow
) -> None:
    policy = RetryPolicy(retry_server_errors=True, initial_delay=0.001, max_delay=0.002)
    client = await emulators.client(emu, retry=policy)
    emu.inject_fault("send", status=503)
    await flow.send(client)
    assert emu.calls("send") == 2
    assert len(emu.sent_messages) == 1


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [
        (400, BadRequestError, "bad_request"),
        (401, AuthenticationError, "unauthorized_credentials"),
        (404, NotFoundError, "route_not_found"),
        (429, RateLimitError, "too_many_requests"),  # no Retry-After: raised at once
        (500, InternalServerError, "internal_server_error"),
        (502, InternalServerError, "internal_server_error"),
        (503, InternalServerError, "server_unavailable"),
    ],
)
async def test_a_bare_status_gets_the_catalogues_error_type(
    emu: Emulator,
    sdk: StytchB2BClient,
    flow: MfaFlow,
    status: int,
    error_class: type[APIStatusError],
    error_type: str,
) -> None:
    emu.inject_fault("authenticate", status=status)
    call = sdk.otps.sms.authenticate(**flow.ids, code="123456", intermediate_session_token=flow.ist)
    error = await expect_error(error_class, error_type, call)
    assert error.status_code == status
    assert error.error_url == f"https://stytch.com/docs/api/errors/{status}"
    assert emu.calls("authenticate") == 1


async def test_an_error_type_alone_takes_the_catalogues_status(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", error_type="duplicate_member_phone_number")
    error = await expect_error(BadRequestError, "duplicate_member_phone_number", flow.send(sdk))
    assert error.status_code == 400
    assert error.error_message == (
        "A member with the specified phone number already exists for this organization."
    )


async def test_an_error_type_outside_the_catalogue_needs_and_gets_its_status(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", status=402, error_type="billing_not_verified")
    error = await expect_error(APIStatusError, "billing_not_verified", flow.send(sdk))
    assert error.status_code == 402
    assert error.error_message == "Injected fault: billing_not_verified."


@pytest.mark.parametrize(("retry_after", "header"), [(120, "120"), (1.5, "1.5")])
async def test_retry_after_in_seconds_reaches_the_header_and_the_sdk(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow, retry_after: float, header: str
) -> None:
    emu.inject_fault("send", status=429, retry_after=retry_after, times=None)
    reply = await raw_request(emu, SEND_PATH, {**flow.ids, "mfa_phone_number": PHONE})
    assert reply.status == 429
    assert reply.headers["Retry-After"] == header
    if retry_after > 10:  # longer than max_retry_after: raised, not waited out
        error = await expect_error(RateLimitError, "too_many_requests", flow.send(sdk))
        assert error.retry_after == retry_after
        assert emu.calls("send") == 2


async def test_retry_after_as_an_http_date(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    in_a_minute = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=60), usegmt=True)
    emu.inject_fault("send", status=429, retry_after=in_a_minute)
    error = await expect_error(RateLimitError, "too_many_requests", flow.send(sdk))
    assert error.retry_after is not None
    assert 55 <= error.retry_after <= 60
    assert emu.calls("send") == 1


async def test_a_retry_after_date_in_the_past_is_retried_at_once(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", status=429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    await flow.send(sdk)
    assert emu.calls("send") == 2
    assert len(emu.sent_messages) == 1


async def test_a_delay_alone_slows_the_reply_down(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", delay=0.15)
    started = time.perf_counter()
    await flow.send(sdk)
    assert time.perf_counter() - started >= 0.15
    assert len(emu.sent_messages) == 1


async def test_a_delay_longer_than_the_client_timeout_is_a_timeout_and_the_work_still_happens(
    emulators: Emulators, emu: Emulator, flow: MfaFlow
) -> None:
    client = await emulators.client(emu, timeout=0.05)
    emu.inject_fault("send", delay=0.2)
    with pytest.raises(APITimeoutError) as caught:
        await flow.send(client)
    assert caught.value.request_sent is True
    assert emu.calls("send") == 1  # a timeout after sending is never retried
    # The emulator was only slow: the SMS goes out once the delay is over.
    for _ in range(50):
        if emu.sent_messages:
            break
        await asyncio.sleep(0.01)
    assert [m.phone_number for m in emu.sent_messages] == [PHONE]


@pytest.mark.parametrize("after_processing", [False, True])
async def test_a_dropped_connection_is_a_connection_error(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow, after_processing: bool
) -> None:
    emu.inject_fault("send", drop=True, after_processing=after_processing)
    with pytest.raises(APIConnectionError) as caught:
        await flow.send(sdk)
    assert type(caught.value) is APIConnectionError
    assert caught.value.request_sent is True
    assert emu.calls("send") == 1
    assert len(emu.sent_messages) == (1 if after_processing else 0)


async def test_a_malformed_body_is_an_invalid_response(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", malformed=True)
    with pytest.raises(InvalidResponseError) as caught:
        await flow.send(sdk)
    assert caught.value.status_code == 200
    assert emu.sent_messages == []


async def test_after_processing_the_sms_is_sent_although_the_client_got_an_error(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", status=500, after_processing=True)
    await expect_error(InternalServerError, "internal_server_error", flow.send(sdk))
    assert [m.member_id for m in emu.sent_messages] == [flow.member.member_id]
    assert emu.get_member(flow.member.member_id).mfa_phone_number == PHONE


async def test_after_processing_an_authenticate_spends_the_code_and_the_ist(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    emu.inject_fault("authenticate", malformed=True, after_processing=True)
    with pytest.raises(InvalidResponseError):
        await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    assert emu.get_member(flow.member.member_id).mfa_phone_number_verified is True
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    await expect_error(NotFoundError, "intermediate_session_not_found", call)


async def test_times_counts_the_calls_a_fault_applies_to(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", status=500, times=2)
    for _ in range(2):
        await expect_error(InternalServerError, "internal_server_error", flow.send(sdk))
    await flow.send(sdk)
    assert emu.calls("send") == 3
    assert len(emu.sent_messages) == 1


async def test_times_none_lasts_until_the_faults_are_cleared(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", status=500, times=None)
    for _ in range(3):
        await expect_error(InternalServerError, "internal_server_error", flow.send(sdk))
    emu.clear_faults()
    await flow.send(sdk)
    assert len(emu.sent_messages) == 1


async def test_faults_apply_to_their_endpoint_in_the_order_planned(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("authenticate", status=500)
    emu.inject_fault("send", status=500)
    emu.inject_fault("send", status=503)
    await expect_error(InternalServerError, "internal_server_error", flow.send(sdk))
    await expect_error(InternalServerError, "server_unavailable", flow.send(sdk))
    code = await flow.send(sdk)
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    await expect_error(InternalServerError, "internal_server_error", call)
    await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)


@pytest.mark.parametrize(
    ("endpoint", "fault", "message"),
    [
        ("resend", {"status": 500}, "endpoint"),
        ("send", {"status": 200}, "status must be an HTTP error status"),
        ("send", {"status": 600}, "status must be an HTTP error status"),
        ("send", {"status": "500"}, "status must be an HTTP error status"),
        ("send", {"error_type": "made_up"}, "not in the catalogue"),
        ("send", {"status": 500, "times": 0}, "times must be a positive integer"),
        ("send", {"status": 500, "times": -1}, "times must be a positive integer"),
        ("send", {"status": 500, "times": 1.5}, "times must be a positive integer"),
        ("send", {"delay": -1}, "delay must be a number of seconds"),
        ("send", {"delay": "1"}, "delay must be a number of seconds"),
        ("send", {"drop": True, "malformed": True}, "choose one of"),
        ("send", {"status": 500, "drop": True}, "choose one of"),
        ("send", {"error_type": "bad_request", "malformed": True}, "choose one of"),
        ("send", {}, "a fault needs"),
        ("send", {"retry_after": 5}, "a fault needs"),
        ("send", {"status": 429, "retry_after": -1}, "retry_after must be"),
        ("send", {"status": 429, "retry_after": True}, "retry_after must be"),
        ("send", {"status": 429, "retry_after": float("inf")}, "retry_after must be"),
        ("send", {"status": 429, "retry_after": "1\r\nX-Evil: 1"}, "retry_after must be"),
        ("send", {"status": 429, "retry_after": ""}, "retry_after must be"),
    ],
)
def test_an_impossible_fault_is_a_value_error(
    emu: Emulator, endpoint: Any, fault: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        emu.inject_fault(endpoint, **fault)
