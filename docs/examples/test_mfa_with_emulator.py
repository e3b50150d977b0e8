"""Your own tests, using the fixtures the stytch-b2b-otp pytest plugin provides."""

import pytest

from stytch_b2b_otp import NotFoundError, StytchB2BClient
from stytch_b2b_otp.emulator import Emulator, EmulatorConfig

PHONE = "+12025550162"


@pytest.fixture
def stytch_emulator_config() -> EmulatorConfig:
    # Optional: change the emulator's rules for this module (or in a conftest.py).
    return EmulatorConfig(lock_threshold=3)


@pytest.fixture
async def code_sent(
    stytch_emulator: Emulator, stytch_client: StytchB2BClient
) -> tuple[str, str, str]:
    """A member of an MFA-required organization, who just logged in and was sent a code."""
    org = stytch_emulator.create_organization(name="Acme", mfa_policy="REQUIRED_FOR_ALL")
    member = stytch_emulator.create_member(org.organization_id, email_address="ada@acme.test")
    org_id, member_id = org.organization_id, member.member_id
    ist = stytch_emulator.create_intermediate_session(org_id, member_id)
    await stytch_client.otps.sms.send(
        organization_id=org_id,
        member_id=member_id,
        mfa_phone_number=PHONE,
        intermediate_session_token=ist,
    )
    return org_id, member_id, ist


async def test_member_completes_mfa(
    stytch_emulator: Emulator, stytch_client: StytchB2BClient, code_sent: tuple[str, str, str]
) -> None:
    org_id, member_id, ist = code_sent
    code = stytch_emulator.last_code(member_id)  # read from the emulator's outbox
    auth = await stytch_client.otps.sms.authenticate(
        organization_id=org_id, member_id=member_id, code=code, intermediate_session_token=ist
    )
    assert auth.member.mfa_phone_number_verified
    assert auth.member.mfa_enrolled


async def test_wrong_codes_lock_the_member(
    stytch_emulator: Emulator, stytch_client: StytchB2BClient, code_sent: tuple[str, str, str]
) -> None:
    org_id, member_id, ist = code_sent
    wrong = "000000" if stytch_emulator.last_code(member_id) != "000000" else "111111"
    for _ in range(3):
        with pytest.raises(NotFoundError):  # 404 otp_code_not_found
            await stytch_client.otps.sms.authenticate(
                organization_id=org_id,
                member_id=member_id,
                code=wrong,
                intermediate_session_token=ist,
            )
    assert stytch_emulator.get_member(member_id).is_locked


def test_sync_code_sees_the_same_emulator(stytch_emulator: Emulator) -> None:
    # The emulator runs in a background thread: sync tests and TestClient apps work too.
    assert stytch_emulator.base_url.startswith("http://127.0.0.1:")
