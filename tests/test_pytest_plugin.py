"""The pytest plugin, as a user's own test suite sees it (run through pytester)."""

from __future__ import annotations

from pathlib import Path

import pytest

DOCS_EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "test_mfa_with_emulator.py"

USER_TESTS = """
import pytest
from stytch_b2b_otp import NotFoundError
from stytch_b2b_otp.emulator import EmulatorConfig

PHONE = "+12025550162"


def seed(emu):
    org = emu.create_organization(name="Acme", mfa_policy="REQUIRED_FOR_ALL")
    member = emu.create_member(org.organization_id, email_address="ada@acme.test")
    ist = emu.create_intermediate_session(org.organization_id, member.member_id)
    return org.organization_id, member.member_id, ist


async def test_async_flow(stytch_emulator, stytch_client):
    org_id, member_id, ist = seed(stytch_emulator)
    await stytch_client.otps.sms.send(organization_id=org_id, member_id=member_id,
                                      mfa_phone_number=PHONE, intermediate_session_token=ist)
    code = stytch_emulator.last_code(member_id)
    auth = await stytch_client.otps.sms.authenticate(
        organization_id=org_id, member_id=member_id, code=code, intermediate_session_token=ist)
    assert auth.member.mfa_enrolled


async def test_state_is_fresh_for_each_test(stytch_emulator, stytch_client):
    assert stytch_emulator.sent_messages == []
    with pytest.raises(NotFoundError):
        await stytch_client.otps.sms.send(organization_id="nope", member_id="nope")


def test_sync_code_can_use_the_emulator(stytch_emulator):
    import json, urllib.request
    with urllib.request.urlopen(stytch_emulator.jwks_url) as reply:
        assert json.load(reply)["keys"][0]["alg"] == "RS256"


def test_env_fixture(stytch_emulator_env):
    import os
    assert os.environ["STYTCH_BASE_URL"] == stytch_emulator_env.base_url
    assert os.environ["STYTCH_SECRET"] == stytch_emulator_env.secret
"""

OVERRIDE = """
import pytest
from stytch_b2b_otp import BadRequestError
from stytch_b2b_otp.emulator import EmulatorConfig


@pytest.fixture
def stytch_emulator_config():
    return EmulatorConfig(allowed_countries={"GB"})


async def test_config_override(stytch_emulator, stytch_client):
    org = stytch_emulator.create_organization(name="Acme")
    member = stytch_emulator.create_member(org.organization_id, email_address="a@acme.test")
    ids = dict(organization_id=org.organization_id, member_id=member.member_id)
    with pytest.raises(BadRequestError) as caught:
        await stytch_client.otps.sms.send(**ids, mfa_phone_number="+12025550162")
    assert caught.value.error_type == "invalid_phone_number_country_code"
    await stytch_client.otps.sms.send(**ids, mfa_phone_number="+447700900123")
"""


def test_the_fixtures_serve_a_users_suite_and_the_documented_example(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_user=USER_TESTS, test_override=OVERRIDE, test_docs_example=DOCS_EXAMPLE.read_text()
    )
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*test_config_override PASSED*"])
