"""``stytch-b2b-otp demo``: one SMS MFA step, end to end, against the built-in emulator.

No credentials, no phone, no network: an emulator starts on a free loopback port, gets
an organization and a member, and the SDK does what an application would.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

from stytch_b2b_otp._cli_output import describe_factor, mask, mask_code, say, when
from stytch_b2b_otp._exceptions import APIStatusError
from stytch_b2b_otp._redact import masked_phone

__all__ = ["run_demo"]

DEMO_PHONE = "+12025550162"


def _fetch_jwks(url: str) -> dict[str, Any]:
    # What a backend verifying session JWTs does: fetch the public keys over HTTP.
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 (loopback http URL)
        keys: dict[str, Any] = json.load(reply)
        return keys


async def run_demo() -> None:
    """Run the demo, printing each step."""
    import jwt

    from stytch_b2b_otp.emulator import Emulator

    say("stytch-b2b-otp demo: an SMS MFA step against the built-in Stytch emulator")
    say("(no credentials, no phone, no network; tokens and codes are masked)")
    say()
    async with Emulator() as emu:
        say(f"1. Emulator listening on {emu.base_url}")
        org = emu.create_organization(
            name="Acme Corp", slug="acme-corp", mfa_policy="REQUIRED_FOR_ALL"
        )
        member = emu.create_member(
            org.organization_id, email_address="ada@acme-corp.test", name="Ada Lovelace"
        )
        org_id, member_id = org.organization_id, member.member_id
        say(f"2. Organization {org.organization_name!r} ({org.organization_id})")
        say(f"   mfa_policy={org.mfa_policy}: every login needs a second factor")
        say(f"   Member {member.name} <{member.email_address}> ({member.member_id}), no phone yet")
        ist = emu.create_intermediate_session(org_id, member_id)
        say("3. Ada signs in with an email magic link; MFA is still owed, so she holds")
        say(f"   an intermediate session token {mask(ist)}, valid 10 minutes")
        async with emu.client() as client:
            sent = await client.otps.sms.send(
                organization_id=org_id,
                member_id=member_id,
                mfa_phone_number=DEMO_PHONE,
                intermediate_session_token=ist,
            )
            say(f"4. send -> 200, request_id {sent.request_id}")
            say(
                f"   phone {masked_phone(sent.member.mfa_phone_number)} linked to Ada "
                f"(verified: {sent.member.mfa_phone_number_verified})"
            )
            message = emu.sent_messages[-1]
            phone, code = masked_phone(message.phone_number), mask_code(message.code)
            say(f"5. Outbox: SMS to {phone}, code {code}")
            auth = await client.otps.sms.authenticate(
                organization_id=org_id,
                member_id=member_id,
                code=message.code,
                intermediate_session_token=ist,
            )
            session = auth.member_session
            assert session is not None  # noqa: S101 (the emulator always returns one)
            now = emu.clock.now()
            say(f"6. authenticate -> 200, request_id {auth.request_id}")
            say(
                f"   member: mfa_enrolled={auth.member.mfa_enrolled}, "
                f"phone verified={auth.member.mfa_phone_number_verified}, "
                f"default_mfa_method={auth.member.default_mfa_method}"
            )
            say(f"   session {session.member_session_id}")
            say(f"   expires {when(session.expires_at, now)}")
            factors = ", ".join(describe_factor(f) for f in session.authentication_factors)
            say(f"   factors: {factors}")
            say(
                f"   session_token {mask(auth.session_token)}, session_jwt {mask(auth.session_jwt)}"
            )
            jwks = await asyncio.to_thread(_fetch_jwks, emu.jwks_url)
            key = jwt.PyJWK(jwks["keys"][0])
            claims = jwt.decode(
                auth.session_jwt, key.key, algorithms=["RS256"], audience=emu.project_id
            )
            say(f"7. session_jwt verified (RS256) with the keys at {emu.jwks_url}")
            say(f"   sub={claims['sub']}, lifetime {claims['exp'] - claims['iat']} s")
            try:
                await client.otps.sms.authenticate(
                    organization_id=org_id,
                    member_id=member_id,
                    code=message.code,
                    session_token=auth.session_token,
                )
            except APIStatusError as error:
                status = f"{error.status_code} {error.error_type}"
                say(f"8. The same code again -> {status}: codes work once")
    say()
    say("Done. Use the emulator in your own tests: see `stytch-b2b-otp emulator --help`")
    say("and the pytest fixtures `stytch_emulator` and `stytch_client`.")
