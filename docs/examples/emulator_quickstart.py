"""An MFA step against the emulator: seed, send, read the outbox, authenticate, verify."""

import asyncio

import jwt

from stytch_b2b_otp.emulator import Emulator


async def main() -> None:
    async with Emulator() as emu:
        org = emu.create_organization(name="Acme", mfa_policy="REQUIRED_FOR_ALL")
        member = emu.create_member(org.organization_id, email_address="ada@acme.test")
        org_id, member_id = org.organization_id, member.member_id
        # What a primary login (an email magic link) leaves when MFA is owed.
        ist = emu.create_intermediate_session(org_id, member_id)

        async with emu.client() as client:
            await client.otps.sms.send(
                organization_id=org_id,
                member_id=member_id,
                mfa_phone_number="+12025550162",
                intermediate_session_token=ist,
            )
            code = emu.last_code(member.member_id)  # the SMS went to the outbox
            auth = await client.otps.sms.authenticate(
                organization_id=org_id,
                member_id=member_id,
                code=code,
                intermediate_session_token=ist,
            )

        assert auth.member.mfa_enrolled  # REQUIRED_FOR_ALL enrolls on success
        session = auth.member_session
        assert session is not None
        factors = [(f.type, f.delivery_method) for f in session.authentication_factors]
        assert factors == [("magic_link", "email"), ("otp", "sms")]

        # The session JWT verifies with the keys the emulator serves, as Stytch's do.
        jwks = jwt.PyJWKClient(emu.jwks_url)
        key = await asyncio.to_thread(jwks.get_signing_key_from_jwt, auth.session_jwt)
        claims = jwt.decode(
            auth.session_jwt, key.key, algorithms=["RS256"], audience=emu.project_id
        )
        assert claims["sub"] == member.member_id
        print("MFA complete:", session.member_session_id)


if __name__ == "__main__":
    asyncio.run(main())
