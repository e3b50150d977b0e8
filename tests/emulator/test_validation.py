"""Body checks, routing and Stytch's error body, over raw HTTP (the SDK refuses to send
these bodies, so they are posted with aiohttp and the emulator's credentials)."""

from __future__ import annotations

from typing import Any

import pytest

from stytch_b2b_otp import StytchB2BClient
from stytch_b2b_otp.emulator import ERROR_CATALOGUE, Emulator, EmulatorConfig
from tests.emulator.conftest import (
    AUTH_PATH,
    PHONE,
    SEND_PATH,
    Emulators,
    MfaFlow,
    assert_error_body,
    new_flow,
    raw_request,
)

DROP: Any = object()  # remove the key from the valid body


def _send_body(flow: MfaFlow, changes: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {**flow.ids, "mfa_phone_number": PHONE, **changes}
    return {key: value for key, value in body.items() if value is not DROP}


def _authenticate_body(flow: MfaFlow, changes: dict[str, Any]) -> dict[str, Any]:
    base = {**flow.ids, "code": "123456", "intermediate_session_token": flow.ist}
    body: dict[str, Any] = {**base, **changes}
    return {key: value for key, value in body.items() if value is not DROP}


async def test_a_valid_raw_send_is_accepted(emu: Emulator, flow: MfaFlow) -> None:
    reply = await raw_request(emu, SEND_PATH, _send_body(flow, {}))
    assert reply.status == 200
    assert reply.body["status_code"] == 200
    assert reply.body["member_id"] == flow.member.member_id
    assert len(emu.sent_messages) == 1


SEND_CASES = [
    ({"organization_id": DROP}, "bad_request", "organization_id is required."),
    ({"member_id": DROP}, "bad_request", "member_id is required."),
    ({"member_id": ""}, "bad_request", "member_id is required."),
    ({"organization_id": 42}, "bad_request", "organization_id must be a string."),
    ({"mfa_phone_number": 12025550162}, "bad_request", "mfa_phone_number must be a string."),
    ({"mfa_phone_number": "2025550162"}, "invalid_phone_number", None),
    ({"mfa_phone_number": "+1 202 555 0162"}, "invalid_phone_number", None),
    ({"mfa_phone_number": "+01202555016"}, "invalid_phone_number", None),
    ({"mfa_phone_number": "+1202"}, "invalid_phone_number", None),
    ({"locale": "klingon"}, "invalid_locale", None),
    ({"locale": "PT-BR"}, "invalid_locale", None),  # matched exactly, as the SDKs spell it
    ({"locale": ["en"]}, "bad_request", "locale must be a string."),
    ({"intermediate_session_token": 7}, "bad_request", "intermediate_session_token must be"),
    (
        {"intermediate_session_token": "a", "session_token": "b"},
        "too_many_session_arguments",
        None,
    ),
]


@pytest.mark.parametrize(("changes", "error_type", "message"), SEND_CASES)
async def test_send_bodies_are_checked_with_stytchs_error_types(
    emu: Emulator,
    flow: MfaFlow,
    changes: dict[str, Any],
    error_type: str,
    message: str | None,
) -> None:
    reply = await raw_request(emu, SEND_PATH, _send_body(flow, changes))
    assert_error_body(reply, 400, error_type)
    expected = message or ERROR_CATALOGUE[error_type].message
    assert reply.body["error_message"].startswith(expected)
    assert emu.sent_messages == []
    assert emu.get_member(flow.member.member_id).mfa_phone_number == ""


AUTHENTICATE_CASES = [
    ({"code": DROP}, "bad_request", "code is required."),
    ({"code": 123456}, "bad_request", "code must be a string."),
    ({"code": "12345"}, "invalid_code", None),
    ({"code": "1234567"}, "invalid_code", None),
    ({"code": "12a456"}, "invalid_code", None),
    ({"code": "\u0661\u0662\u0663\u0664\u0665\u0666"}, "invalid_code", None),  # Arabic digits
    ({"intermediate_session_token": DROP}, "no_session_arguments", None),
    ({"intermediate_session_token": ""}, "no_session_arguments", None),  # empty is absent
    ({"session_jwt": "a.b.c"}, "too_many_session_arguments", None),
    ({"session_duration_minutes": 4}, "invalid_session_duration_minutes", None),
    ({"session_duration_minutes": 527_041}, "invalid_session_duration_minutes", None),
    ({"session_duration_minutes": "60"}, "bad_request", "session_duration_minutes must be"),
    ({"session_duration_minutes": True}, "bad_request", "session_duration_minutes must be"),
    ({"session_duration_minutes": 60.5}, "bad_request", "session_duration_minutes must be"),
    ({"session_custom_claims": "x"}, "bad_request", "session_custom_claims must be"),
    ({"session_custom_claims": {"k": "x" * 4096}}, "custom_claims_too_large", None),
    ({"session_custom_claims": {"sub": "someone"}}, "reserved_claims_in_custom_claims", None),
    ({"session_custom_claims": {"jti": "1"}}, "reserved_claims_in_custom_claims", None),
    (
        {"session_custom_claims": {"https://stytch.com/session": {}}},
        "stytch_claims_in_custom_claims",
        None,
    ),
    ({"set_mfa_enrollment": "maybe"}, "bad_request", "set_mfa_enrollment must be"),
    ({"set_default_mfa": "yes"}, "bad_request", "set_default_mfa must be a boolean."),
    ({"telemetry_id": 5}, "bad_request", "telemetry_id must be a string."),
]


@pytest.mark.parametrize(("changes", "error_type", "message"), AUTHENTICATE_CASES)
async def test_authenticate_bodies_are_checked_with_stytchs_error_types(
    emu: Emulator,
    sdk: StytchB2BClient,
    flow: MfaFlow,
    changes: dict[str, Any],
    error_type: str,
    message: str | None,
) -> None:
    code = await flow.send(sdk)
    reply = await raw_request(emu, AUTH_PATH, _authenticate_body(flow, {"code": code, **changes}))
    assert_error_body(reply, 400, error_type)
    expected = message or ERROR_CATALOGUE[error_type].message
    assert reply.body["error_message"].startswith(expected)
    # Refused before the rules ran: the code is still good, and unspent.
    await sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)


async def test_session_duration_minutes_bounds_are_inclusive(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    body = _authenticate_body(flow, {"code": code, "session_duration_minutes": 527_040})
    reply = await raw_request(emu, AUTH_PATH, body)
    assert reply.status == 200


async def test_reserved_claims_can_be_ignored_instead(emulators: Emulators) -> None:
    emu = await emulators.start(config=EmulatorConfig(reserved_claims="ignore"))
    client = await emulators.client(emu)
    flow = new_flow(emu)
    code = await flow.send(client)
    claims = {"sub": "someone-else", "https://stytch.com/organization": {}, "plan": "pro"}
    body = _authenticate_body(flow, {"code": code, "session_custom_claims": claims})
    reply = await raw_request(emu, AUTH_PATH, body)
    assert reply.status == 200
    assert reply.body["member_session"]["custom_claims"] == {"plan": "pro"}


@pytest.mark.parametrize("path", [SEND_PATH, AUTH_PATH])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "The request body is not valid JSON."),
        (b"\xff\xfe", "The request body is not valid JSON."),
        (b"[]", "The request body must be a JSON object."),
        (b'"text"', "The request body must be a JSON object."),
        (b"", "The request body must be a JSON object."),
        (b'{"organization_id": NaN}', "The request body is not valid JSON."),
        (b'{"session_custom_claims": {"n": Infinity}}', "The request body is not valid JSON."),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    emu: Emulator, path: str, data: bytes, message: str
) -> None:
    reply = await raw_request(emu, path, data=data)
    assert_error_body(reply, 400, "bad_request")
    assert reply.body["error_message"] == message
    assert emu.sent_messages == []


@pytest.mark.parametrize(
    ("method", "path", "status", "error_type"),
    [
        ("POST", "/v1/b2b/otps/sms/sned", 404, "route_not_found"),
        ("POST", "/v1/otps/sms/send", 404, "route_not_found"),
        ("GET", SEND_PATH, 405, "method_not_allowed"),
        ("PUT", AUTH_PATH, 405, "method_not_allowed"),
    ],
)
async def test_routing_failures_use_stytchs_error_body(
    emu: Emulator, method: str, path: str, status: int, error_type: str
) -> None:
    reply = await raw_request(emu, path, {}, method=method)
    assert_error_body(reply, status, error_type)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer secret-test-emulator", "Basic bm90LWV2ZW4tY2xvc2U=", "Basic !!!"],
    ids=["missing", "bearer", "wrong-pair", "not-base64"],
)
async def test_credentials_are_checked_before_anything_else(
    emu: Emulator, flow: MfaFlow, authorization: str | None
) -> None:
    for path in (SEND_PATH, AUTH_PATH, "/v1/nowhere"):
        reply = await raw_request(emu, path, {"not": "even valid"}, authorization=authorization)
        assert_error_body(reply, 401, "unauthorized_credentials")
    reply = await raw_request(emu, SEND_PATH, _send_body(flow, {}), authorization=authorization)
    assert_error_body(reply, 401, "unauthorized_credentials")
    assert emu.calls("send") == 0
    assert emu.sent_messages == []


async def test_a_body_over_the_size_limit_is_stytchs_bad_request(emu: Emulator) -> None:
    reply = await raw_request(emu, SEND_PATH, data=b'{"pad": "' + b"x" * (100 * 1024) + b'"}')
    assert_error_body(reply, 400, "bad_request")
    assert reply.body["error_message"] == "The request body is too large."


async def test_calls_count_requests_whose_body_is_not_json(emu: Emulator) -> None:
    await raw_request(emu, SEND_PATH, data=b"{not json")
    await raw_request(emu, AUTH_PATH, data=b"[]")
    assert (emu.calls("send"), emu.calls("authenticate")) == (1, 1)
