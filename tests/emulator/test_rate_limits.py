"""The per-number send limit (top-of-hour windows), and how the SDK treats each 429."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from stytch_b2b_otp import RateLimitError, RetryPolicy, StytchB2BClient
from stytch_b2b_otp.emulator import Clock, Emulator, EmulatorConfig
from tests.emulator.conftest import (
    PHONE,
    SECOND_PHONE,
    Emulators,
    MfaFlow,
    expect_error,
    new_flow,
)

# A Retry-After of 1 s would be waited out (twice) by the default policy: not in these tests.
NO_WAITING = RetryPolicy(max_retry_after=0)
HALF_A_MINUTE_TO_ELEVEN = datetime(2026, 3, 2, 10, 59, 30, tzinfo=timezone.utc)


async def _send_times(client: StytchB2BClient, flow: MfaFlow, times: int) -> None:
    for _ in range(times):
        await client.otps.sms.send(**flow.ids, mfa_phone_number=PHONE)


async def test_the_eleventh_send_to_a_number_in_an_hour_is_refused_until_the_next_hour(
    emulators: Emulators,
) -> None:
    emu = await emulators.start(clock=Clock(start=HALF_A_MINUTE_TO_ELEVEN))
    client = await emulators.client(emu)
    impatient = await emulators.client(emu, retry=NO_WAITING)
    flow = new_flow(emu)
    await _send_times(client, flow, 10)
    call = client.otps.sms.send(**flow.ids, mfa_phone_number=PHONE)
    error = await expect_error(RateLimitError, "too_many_requests", call)
    assert error.status_code == 429
    # Retry-After counts to the top of the hour: 30 s, more than max_retry_after (10 s),
    # so the SDK hands the error back instead of sleeping.
    assert error.retry_after == 30
    assert emu.calls("send") == 11
    assert len(emu.sent_messages) == 10

    emu.advance_time(29)
    error = await expect_error(
        RateLimitError, "too_many_requests", impatient.otps.sms.send(**flow.ids)
    )
    assert error.retry_after == 1
    emu.advance_time(1)  # 11:00:00, a new window
    await _send_times(client, flow, 10)
    assert len(emu.sent_messages) == 20


async def test_the_limit_is_per_number(emulators: Emulators) -> None:
    emu = await emulators.start(config=EmulatorConfig(sends_per_phone_per_hour=2))
    client = await emulators.client(emu)
    flow = new_flow(emu)
    colleague = new_flow(emu, slug="globex", email="bob@globex.test")
    await _send_times(client, flow, 2)
    await expect_error(RateLimitError, "too_many_requests", client.otps.sms.send(**flow.ids))
    await client.otps.sms.send(**colleague.ids, mfa_phone_number=SECOND_PHONE)
    assert [m.phone_number for m in emu.sent_messages] == [PHONE, PHONE, SECOND_PHONE]


async def test_the_window_is_the_clock_hour_not_a_rolling_hour(emulators: Emulators) -> None:
    emu = await emulators.start(
        config=EmulatorConfig(sends_per_phone_per_hour=1),
        clock=Clock(start=HALF_A_MINUTE_TO_ELEVEN),
    )
    client = await emulators.client(emu)
    flow = new_flow(emu)
    await _send_times(client, flow, 1)
    emu.advance_time(31)  # 11:00:01: only 31 s later, but a new window
    await _send_times(client, flow, 1)
    emu.advance_time(3598)  # 11:59:59: an hour after the first send, same window
    impatient = await emulators.client(emu, retry=NO_WAITING)
    error = await expect_error(
        RateLimitError, "too_many_requests", impatient.otps.sms.send(**flow.ids)
    )
    assert error.retry_after == 1


@pytest.mark.parametrize(("limit", "sends"), [(3, 3), (None, 15)])
async def test_the_limit_is_configurable_and_none_turns_it_off(
    emulators: Emulators, limit: int | None, sends: int
) -> None:
    emu = await emulators.start(config=EmulatorConfig(sends_per_phone_per_hour=limit))
    client = await emulators.client(emu)
    flow = new_flow(emu)
    await _send_times(client, flow, sends)
    assert len(emu.sent_messages) == sends
    if limit is not None:
        await expect_error(RateLimitError, "too_many_requests", client.otps.sms.send(**flow.ids))


async def test_the_sdk_waits_out_a_short_retry_after_and_sends_once(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("send", status=429, retry_after=0, times=1)
    reply = await sdk.otps.sms.send(**flow.ids, mfa_phone_number=PHONE)
    assert reply.member_id == flow.member.member_id
    assert emu.calls("send") == 2
    assert len(emu.sent_messages) == 1


async def test_a_locked_member_is_not_retried_either(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.inject_fault("authenticate", error_type="user_lock_limit_reached", retry_after=3600)
    call = sdk.otps.sms.authenticate(**flow.ids, code="123456", intermediate_session_token=flow.ist)
    error = await expect_error(RateLimitError, "user_lock_limit_reached", call)
    assert error.retry_after == 3600
    assert emu.calls("authenticate") == 1
