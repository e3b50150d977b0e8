"""Quickstart: the two calls of an SMS MFA step, and the errors a user can cause."""

import asyncio

from stytch_b2b_otp import AuthenticationError, NotFoundError, StytchB2BClient
from stytch_b2b_otp.emulator import Emulator


async def send_code(
    client: StytchB2BClient, organization_id: str, member_id: str, ist: str, phone: str
) -> None:
    """Text the member a code. `ist` is the intermediate session token of their login."""
    await client.otps.sms.send(
        organization_id=organization_id,
        member_id=member_id,
        mfa_phone_number=phone,  # E.164; linked to the member on their first send
        intermediate_session_token=ist,
    )


async def check_code(
    client: StytchB2BClient, organization_id: str, member_id: str, ist: str, code: str
) -> str | None:
    """The member's new session token, or None when the code did not work.

    A locked member (RateLimitError) and failures on our side (bad credentials, a
    timeout) propagate: the caller answers those differently (see the Errors page).
    """
    try:
        reply = await client.otps.sms.authenticate(
            organization_id=organization_id,
            member_id=member_id,
            code=code,
            intermediate_session_token=ist,  # consumed when the code is right
        )
    except NotFoundError as error:
        if error.error_type != "otp_code_not_found":
            raise  # an unknown member or organization: a bug of ours
        return None  # a wrong code; the member may try again
    except AuthenticationError as error:
        if error.error_type != "unable_to_auth_otp_code":
            raise  # unauthorized_credentials: our configuration is wrong
        return None  # expired, used, or replaced by a newer code
    return reply.session_token


async def main() -> None:
    # The emulator stands in for Stytch here: no credentials, no phone, no network.
    async with Emulator() as emu:
        org = emu.create_organization(name="Acme", mfa_policy="REQUIRED_FOR_ALL")
        member = emu.create_member(org.organization_id, email_address="ada@acme.test")
        org_id, member_id = org.organization_id, member.member_id
        ist = emu.create_intermediate_session(org_id, member_id)  # as after a magic link

        # In production: `async with StytchB2BClient() as client:`, which reads
        # STYTCH_PROJECT_ID and STYTCH_SECRET. Make one client per application.
        async with emu.client() as client:
            await send_code(client, org_id, member_id, ist, "+12025550162")
            code = emu.last_code(member_id)  # what the member reads on their phone
            wrong = "000000" if code != "000000" else "111111"
            assert await check_code(client, org_id, member_id, ist, wrong) is None
            session_token = await check_code(client, org_id, member_id, ist, code)
        assert session_token is not None
        print("MFA complete; session token received")


if __name__ == "__main__":
    asyncio.run(main())
