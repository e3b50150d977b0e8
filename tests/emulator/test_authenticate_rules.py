"""``POST /v1/b2b/otps/sms/authenticate`` through the SDK: code lifetime, replacement, single
use, the member lock, and what a success changes on the member."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import pytest

from stytch_b2b_otp import (
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    StytchB2BClient,
)
from stytch_b2b_otp.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import (
    PHONE,
    SECOND_PHONE,
    START,
    Emulators,
    MfaFlow,
    MfaPolicy,
    expect_error,
    new_flow,
    wrong_code,
)


async def _fail(client: StytchB2BClient, flow: MfaFlow, times: int, *, avoid: str) -> None:
    bad = wrong_code(avoid)
    for _ in range(times):
        call = client.otps.sms.authenticate(
            **flow.ids, code=bad, intermediate_session_token=flow.ist
        )
        await expect_error(NotFoundError, "otp_code_not_found", call)


@pytest.mark.parametrize(("elapsed", "valid"), [(0, True), (119, True), (121, False)])
async def test_a_code_is_valid_for_two_minutes(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow, elapsed: int, valid: bool
) -> None:
    code = await flow.send(sdk)
    emu.advance_time(elapsed)
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    if valid:
        reply = await call
        assert reply.member.mfa_phone_number_verified is True
        return
    error = await expect_error(AuthenticationError, "unable_to_auth_otp_code", call)
    assert error.status_code == 401
    assert emu.get_member(flow.member.member_id).mfa_phone_number_verified is False
    # The intermediate session survives a failure: a fresh code completes MFA with it.
    fresh = await flow.send(sdk)
    await sdk.otps.sms.authenticate(**flow.ids, code=fresh, intermediate_session_token=flow.ist)


async def test_the_code_lifetime_is_configurable(emulators: Emulators) -> None:
    emu = await emulators.start(config=EmulatorConfig(code_ttl_seconds=30))
    client = await emulators.client(emu)
    flow = new_flow(emu)
    code = await flow.send(client)
    emu.advance_time(31)
    call = client.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    await expect_error(AuthenticationError, "unable_to_auth_otp_code", call)


async def test_a_new_send_invalidates_the_previous_code(
    sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    old = await flow.send(sdk)
    new = await flow.send(sdk)
    while new == old:  # one chance in a million: the same six digits twice
        new = await flow.send(sdk)
    call = sdk.otps.sms.authenticate(**flow.ids, code=old, intermediate_session_token=flow.ist)
    await expect_error(AuthenticationError, "unable_to_auth_otp_code", call)
    reply = await sdk.otps.sms.authenticate(
        **flow.ids, code=new, intermediate_session_token=flow.ist
    )
    assert reply.member_id == flow.member.member_id


async def test_a_code_works_once(sdk: StytchB2BClient, flow: MfaFlow) -> None:
    code = await flow.send(sdk)
    first = await sdk.otps.sms.authenticate(
        **flow.ids, code=code, intermediate_session_token=flow.ist
    )
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, session_token=first.session_token)
    await expect_error(AuthenticationError, "unable_to_auth_otp_code", call)


async def test_a_wrong_code_is_not_found_and_leaves_the_right_one_valid(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    call = sdk.otps.sms.authenticate(
        **flow.ids, code=wrong_code(code), intermediate_session_token=flow.ist
    )
    error = await expect_error(NotFoundError, "otp_code_not_found", call)
    assert error.status_code == 404
    assert emu.get_member(flow.member.member_id).mfa_phone_number_verified is False
    await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)


async def test_another_members_code_does_not_work(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    colleague = new_flow(emu, slug="globex", email="bob@globex.test")
    mine = await flow.send(sdk)
    theirs = await colleague.send(sdk, mfa_phone_number=SECOND_PHONE)
    if theirs == mine:
        pytest.skip("both members drew the same code")  # pragma: no cover
    call = sdk.otps.sms.authenticate(**flow.ids, code=theirs, intermediate_session_token=flow.ist)
    await expect_error(NotFoundError, "otp_code_not_found", call)


async def test_ten_failures_lock_the_member_for_an_hour(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    await _fail(sdk, flow, 10, avoid=code)
    locked = emu.get_member(flow.member.member_id)
    assert locked.is_locked is True
    assert locked.lock_created_at == START
    assert locked.lock_expires_at == START + timedelta(hours=1)

    # Even the right code is refused now, and the SDK does not wait out an hour.
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    error = await expect_error(RateLimitError, "user_lock_limit_reached", call)
    assert error.status_code == 429
    assert error.retry_after == 3600
    assert emu.calls("authenticate") == 11

    emu.advance_time(500)  # within the IST's 10 minutes
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    error = await expect_error(RateLimitError, "user_lock_limit_reached", call)
    assert error.retry_after == 3100

    emu.advance_time(3100)
    assert emu.get_member(flow.member.member_id).is_locked is False
    later = flow.refreshed()  # the old IST and code expired during the hour
    fresh = await later.send(sdk)
    reply = await sdk.otps.sms.authenticate(
        **later.ids, code=fresh, intermediate_session_token=later.ist
    )
    assert reply.member.is_locked is False
    assert reply.member.lock_expires_at is None


async def test_a_success_resets_the_failure_count(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    await _fail(sdk, flow, 9, avoid=code)
    await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    again = flow.refreshed()
    code = await again.send(sdk, mfa_phone_number=None)
    await _fail(sdk, again, 9, avoid=code)
    assert emu.get_member(flow.member.member_id).is_locked is False
    await sdk.otps.sms.authenticate(**again.ids, code=code, intermediate_session_token=again.ist)


async def test_the_lock_threshold_and_duration_are_configurable(emulators: Emulators) -> None:
    emu = await emulators.start(config=EmulatorConfig(lock_threshold=3, lock_seconds=60))
    client = await emulators.client(emu)
    flow = new_flow(emu)
    code = await flow.send(client)
    await _fail(client, flow, 3, avoid=code)
    call = client.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    error = await expect_error(RateLimitError, "user_lock_limit_reached", call)
    assert error.retry_after == 60
    assert emu.get_member(flow.member.member_id).lock_expires_at == START + timedelta(seconds=60)

    emu.advance_time(60)
    fresh = await flow.send(client)
    await client.otps.sms.authenticate(**flow.ids, code=fresh, intermediate_session_token=flow.ist)


async def test_expired_and_used_codes_count_toward_the_lock(emulators: Emulators) -> None:
    emu = await emulators.start(config=EmulatorConfig(lock_threshold=2))
    client = await emulators.client(emu)
    flow = new_flow(emu)
    stale = await flow.send(client)
    emu.advance_time(121)
    for _ in range(2):
        call = client.otps.sms.authenticate(
            **flow.ids, code=stale, intermediate_session_token=flow.ist
        )
        await expect_error(AuthenticationError, "unable_to_auth_otp_code", call)
    assert emu.get_member(flow.member.member_id).is_locked is True


@pytest.mark.parametrize(
    ("policy", "enrolled_before", "set_mfa_enrollment", "enrolled_after"),
    [
        ("REQUIRED_FOR_ALL", False, None, True),
        ("REQUIRED_FOR_ALL", True, "unenroll", True),  # ignored under REQUIRED_FOR_ALL
        ("OPTIONAL", False, "enroll", True),
        ("OPTIONAL", True, "unenroll", False),
        ("OPTIONAL", False, None, False),
        ("OPTIONAL", True, None, True),
    ],
)
async def test_mfa_enrollment_follows_the_policy_and_set_mfa_enrollment(
    emu: Emulator,
    sdk: StytchB2BClient,
    policy: MfaPolicy,
    enrolled_before: bool,
    set_mfa_enrollment: Literal["enroll", "unenroll"] | None,
    enrolled_after: bool,
) -> None:
    flow = new_flow(emu, mfa_policy=policy, mfa_enrolled=enrolled_before)
    code = await flow.send(sdk)
    reply = await sdk.otps.sms.authenticate(
        **flow.ids,
        code=code,
        intermediate_session_token=flow.ist,
        set_mfa_enrollment=set_mfa_enrollment,
    )
    assert reply.member.mfa_enrolled is enrolled_after
    assert emu.get_member(flow.member.member_id).mfa_enrolled is enrolled_after


async def test_a_success_verifies_the_phone_and_makes_sms_the_default_method(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    before = emu.get_member(flow.member.member_id)
    assert (before.mfa_phone_number_verified, before.default_mfa_method) == (False, "")
    code = await flow.send(sdk)
    reply = await sdk.otps.sms.authenticate(
        **flow.ids, code=code, intermediate_session_token=flow.ist
    )
    for member in (reply.member, emu.get_member(flow.member.member_id)):
        assert member.mfa_phone_number == PHONE
        assert member.mfa_phone_number_verified is True
        assert member.default_mfa_method == "sms_otp"


async def test_an_expired_lock_starts_the_count_afresh(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    await _fail(sdk, flow, 10, avoid=code)
    emu.advance_time(3600)
    later = flow.refreshed()
    fresh = await later.send(sdk)
    await _fail(sdk, later, 1, avoid=fresh)  # one miss after the lock: a 404, not a new lock
    assert emu.get_member(flow.member.member_id).is_locked is False
    await _fail(sdk, later, 8, avoid=fresh)
    assert emu.get_member(flow.member.member_id).is_locked is False
