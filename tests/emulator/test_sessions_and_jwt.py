"""Intermediate sessions, the member session a success issues, its RS256 JWT, and step-up on
an existing session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal, TypedDict

import aiohttp
import jwt
import pytest

from stytch_b2b_otp import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    StytchB2BClient,
)
from stytch_b2b_otp.emulator import Clock, Emulator
from stytch_b2b_otp.emulator._render import timestamp
from tests.emulator.conftest import (
    PHONE,
    START,
    Emulators,
    MfaFlow,
    assert_error_body,
    expect_error,
    new_flow,
    raw_request,
)

SESSION = "https://stytch.com/session"
ORGANIZATION = "https://stytch.com/organization"


class StepUp(TypedDict, total=False):
    """One of the two step-up arguments, for ``**``."""

    session_token: str
    session_jwt: str


def _pick(argument: str, token: str, session_jwt: str) -> StepUp:
    return {"session_token": token} if argument == "session_token" else {"session_jwt": session_jwt}


def _unverified_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def _signing_key(emu: Emulator) -> jwt.PyJWK:
    """The emulator's public key, fetched as a relying party would: over HTTP, no secret."""
    async with aiohttp.ClientSession() as session, session.get(emu.jwks_url) as reply:
        assert reply.status == 200
        body = await reply.json()
    assert body["status_code"] == 200
    assert body["request_id"].startswith("request-id-test-")
    [key] = body["keys"]
    assert {k: key[k] for k in ("kty", "alg", "use", "key_ops", "x5c", "x5tS256")} == {
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "key_ops": ["verify"],
        "x5c": [],
        "x5tS256": "",
    }
    assert key["kid"].startswith("jwk-test-")
    return jwt.PyJWK(key)


def _verify(emu: Emulator, token: str, key: jwt.PyJWK) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,  # PyJWT before 2.9 takes the key object, not the PyJWK
        algorithms=["RS256"],
        audience=emu.project_id,
        issuer=f"stytch.com/{emu.project_id}",
        options={"require": ["aud", "iss", "exp", "iat", "nbf", "sub"]},
    )
    return claims


@pytest.mark.parametrize(("elapsed", "alive"), [(599, True), (601, False)])
async def test_an_intermediate_session_lives_ten_minutes(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow, elapsed: int, alive: bool
) -> None:
    emu.advance_time(elapsed - 60)
    code = await flow.send(sdk) if alive else None
    emu.advance_time(60)  # the code itself is only a minute old
    if alive:
        assert code is not None
        await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
        return
    call = sdk.otps.sms.send(
        **flow.ids, mfa_phone_number=PHONE, intermediate_session_token=flow.ist
    )
    error = await expect_error(NotFoundError, "intermediate_session_not_found", call)
    assert error.status_code == 404
    assert emu.sent_messages == []


async def test_a_successful_authenticate_consumes_the_intermediate_session(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    for call in (
        sdk.otps.sms.send(**flow.ids, intermediate_session_token=flow.ist),
        sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist),
    ):
        await expect_error(NotFoundError, "intermediate_session_not_found", call)
    assert len(emu.sent_messages) == 1


@pytest.mark.parametrize(
    ("primary_factor", "delivery_method"),
    [("magic_link", "email"), ("email_otp", "email"), ("password", "knowledge")],
)
async def test_the_new_session_carries_the_primary_factor_and_the_sms_factor(
    emu: Emulator,
    sdk: StytchB2BClient,
    flow: MfaFlow,
    primary_factor: Literal["magic_link", "email_otp", "password"],
    delivery_method: str,
) -> None:
    ist = emu.create_intermediate_session(
        flow.org.organization_id,
        flow.member.member_id,
        primary_factor=primary_factor,
    )
    code = await flow.send(sdk, intermediate_session_token=ist)
    reply = await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=ist)
    primary, sms = reply.raw["member_session"]["authentication_factors"]
    assert (primary["type"], primary["delivery_method"]) == (primary_factor, delivery_method)
    assert primary["email_factor"]["email_address"] == "ada@acme.test"
    assert primary["email_factor"]["email_id"].startswith("email-test-")
    assert (sms["type"], sms["delivery_method"]) == ("otp", "sms")
    assert sms["phone_number_factor"]["phone_number"] == PHONE
    assert sms["phone_number_factor"]["phone_id"].startswith("phone-number-test-")
    assert sms["last_authenticated_at"] == timestamp(START)
    assert reply.member_session is not None
    assert [f.type for f in reply.member_session.authentication_factors] == [
        primary_factor,
        "otp",
    ]


def test_an_unknown_primary_factor_is_refused(emu: Emulator, flow: MfaFlow) -> None:
    with pytest.raises(ValueError, match="primary_factor"):
        emu.create_intermediate_session(
            flow.org.organization_id,
            flow.member.member_id,
            primary_factor="sso",  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(("minutes", "lasts"), [(None, 60), (5, 5), (720, 720)])
async def test_the_member_session_lasts_an_hour_or_session_duration_minutes(
    sdk: StytchB2BClient, flow: MfaFlow, minutes: int | None, lasts: int
) -> None:
    code = await flow.send(sdk)
    reply = await sdk.otps.sms.authenticate(
        **flow.ids, code=code, intermediate_session_token=flow.ist, session_duration_minutes=minutes
    )
    session = reply.member_session
    assert session is not None
    assert session.member_session_id.startswith("member-session-test-")
    assert session.started_at == session.last_accessed_at == START
    assert session.expires_at == START + timedelta(minutes=lasts)
    assert session.roles == ("stytch_member",)
    assert session.organization_slug == "acme"
    assert len(reply.session_token) == 44
    assert reply.session_token != flow.ist


async def test_the_session_jwt_is_rs256_with_stytchs_claims_and_verifies_against_the_jwks(
    emulators: Emulators,
) -> None:
    emu = await emulators.start(clock=Clock())  # the wall clock, so PyJWT's time checks pass
    client = await emulators.client(emu)
    flow = new_flow(emu)
    code = await flow.send(client)
    reply = await client.otps.sms.authenticate(
        **flow.ids,
        code=code,
        intermediate_session_token=flow.ist,
        session_custom_claims={"plan": "pro", "seats": 3},
    )
    key = await _signing_key(emu)
    assert jwt.get_unverified_header(reply.session_jwt) == {
        "alg": "RS256",
        "kid": key.key_id,
        "typ": "JWT",
    }
    claims = _verify(emu, reply.session_jwt, key)
    session = reply.raw["member_session"]
    assert claims["exp"] - claims["iat"] == 300
    assert claims["nbf"] == claims["iat"]
    assert claims["iss"] == f"stytch.com/{emu.project_id}"
    assert claims["aud"] == [emu.project_id]
    assert claims["sub"] == flow.member.member_id
    assert claims[SESSION] == {
        "id": session["member_session_id"],
        "started_at": session["started_at"],
        "last_accessed_at": session["last_accessed_at"],
        "expires_at": session["expires_at"],
        "attributes": {"user_agent": "", "ip_address": ""},
        "authentication_factors": session["authentication_factors"],
        "roles": ["stytch_member"],
    }
    assert claims[ORGANIZATION] == {"organization_id": flow.org.organization_id, "slug": "acme"}
    assert (claims["plan"], claims["seats"]) == ("pro", 3)
    assert session["custom_claims"] == {"plan": "pro", "seats": 3}


async def test_a_jwt_from_another_emulator_does_not_verify(
    emulators: Emulators, emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    other = await emulators.start()
    stranger = new_flow(other)
    _, foreign_jwt = other.create_session(stranger.org.organization_id, stranger.member.member_id)
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(emu, foreign_jwt, await _signing_key(emu))
    # The emulator refuses it too, even when it names this emulator's member.
    call = sdk.otps.sms.authenticate(**flow.ids, code="123456", session_jwt=foreign_jwt)
    await expect_error(AuthenticationError, "unable_to_parse_session_jwt", call)


async def test_the_jwks_of_another_project_is_not_served(emu: Emulator) -> None:
    reply = await raw_request(
        emu, "/v1/b2b/sessions/jwks/project-test-someone-else", method="GET", authorization=None
    )
    assert_error_body(reply, 404, "route_not_found")


@pytest.mark.parametrize("argument", ["session_token", "session_jwt"])
@pytest.mark.parametrize("minutes", [None, 240])
async def test_step_up_adds_the_sms_factor_to_the_same_session(
    emu: Emulator, sdk: StytchB2BClient, argument: str, minutes: int | None
) -> None:
    flow = new_flow(emu, mfa_phone_number=PHONE, phone_verified=True)
    token, session_jwt = emu.create_session(
        flow.org.organization_id,
        flow.member.member_id,
        custom_claims={"team": "red", "tier": "gold"},
    )
    session_id = _unverified_claims(session_jwt)[SESSION]["id"]
    given = _pick(argument, token, session_jwt)
    emu.advance_time(60)
    code = await flow.send(sdk, mfa_phone_number=None, intermediate_session_token=None, **given)
    reply = await sdk.otps.sms.authenticate(
        **flow.ids,
        code=code,
        session_duration_minutes=minutes,
        session_custom_claims={"tier": None, "beta": True},
        **given,
    )
    session = reply.member_session
    assert session is not None
    assert reply.session_token == token
    assert session.member_session_id == session_id
    assert [(f.type, f.delivery_method) for f in session.authentication_factors] == [
        ("magic_link", "email"),
        ("otp", "sms"),
    ]
    now = START + timedelta(seconds=60)
    assert session.started_at == START
    assert session.last_accessed_at == now
    expected_end = (
        START + timedelta(minutes=60) if minutes is None else now + timedelta(minutes=minutes)
    )
    assert session.expires_at == expected_end
    assert session.custom_claims == {"team": "red", "beta": True}
    claims = _unverified_claims(reply.session_jwt)
    assert (claims["team"], claims["beta"], "tier" in claims) == ("red", True, False)
    assert claims[SESSION]["id"] == session_id

    # A second step-up refreshes the SMS factor rather than stacking another one.
    code = await flow.send(
        sdk, mfa_phone_number=None, intermediate_session_token=None, session_token=token
    )
    again = await sdk.otps.sms.authenticate(**flow.ids, code=code, session_token=token)
    assert again.member_session is not None
    assert len(again.member_session.authentication_factors) == 2


@pytest.mark.parametrize("argument", ["session_token", "session_jwt"])
async def test_an_expired_session_is_not_found(
    emu: Emulator, sdk: StytchB2BClient, argument: str
) -> None:
    flow = new_flow(emu, mfa_phone_number=PHONE, phone_verified=True)
    token, session_jwt = emu.create_session(
        flow.org.organization_id, flow.member.member_id, session_duration_minutes=5
    )
    given = _pick(argument, token, session_jwt)
    emu.advance_time(250)
    code = await flow.send(sdk, mfa_phone_number=None, intermediate_session_token=None, **given)
    emu.advance_time(51)  # the session ends at 300 s; the code is 51 s old
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, **given)
    error = await expect_error(NotFoundError, "session_not_found", call)
    assert error.status_code == 404
    assert emu.get_member(flow.member.member_id).default_mfa_method == ""


async def test_a_garbage_session_jwt_cannot_be_parsed(emu: Emulator, sdk: StytchB2BClient) -> None:
    flow = new_flow(emu, mfa_phone_number=PHONE, phone_verified=True)
    call = sdk.otps.sms.authenticate(**flow.ids, code="123456", session_jwt="not.a.jwt")
    error = await expect_error(AuthenticationError, "unable_to_parse_session_jwt", call)
    assert error.status_code == 401
    sending = sdk.otps.sms.send(**flow.ids, session_jwt="not.a.jwt")
    await expect_error(AuthenticationError, "unable_to_parse_session_jwt", sending)
    assert emu.sent_messages == []


@pytest.mark.parametrize("argument", ["session_token", "session_jwt"])
async def test_a_session_of_another_member_is_refused(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow, argument: str
) -> None:
    code = await flow.send(sdk)
    colleague = emu.create_member(flow.org.organization_id, email_address="bob@acme.test")
    token, session_jwt = emu.create_session(flow.org.organization_id, colleague.member_id)
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, **_pick(argument, token, session_jwt))
    error = await expect_error(BadRequestError, "member_session_member_id_mismatch", call)
    assert error.status_code == 400
    # The code was not spent on the refused call.
    await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
