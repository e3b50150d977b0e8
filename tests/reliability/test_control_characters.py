"""Credentials and ids with CR/LF or other control characters never reach a header.

Credentials are refused when the client is built (the message names the argument or
the environment variable, never the value); ids, codes and tokens are refused by the
request validators, before any I/O: a real server on 127.0.0.1 sees nothing.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from stytch_b2b_otp import (
    InvalidResponseError,
    NotFoundError,
    RequestValidationError,
    SmsAuthenticateRequest,
    SmsSendRequest,
    StytchB2BClient,
)
from tests.conftest import PROJECT_ID, SECRET
from tests.servers import SEND_BODY, FakeStytch

AUTH_PATH = "/v1/b2b/otps/sms/authenticate"
SEND_PATH = "/v1/b2b/otps/sms/send"

# Every C0 control, DEL, and the C1 controls and Unicode separators that split lines.
ASCII_CONTROLS = [chr(n) for n in range(0x20)] + ["\x7f"]
LINE_BREAKING = ["\x85", "\u2028", "\u2029"]  # NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR
CREDENTIAL_REJECTS = [*ASCII_CONTROLS, *LINE_BREAKING, "\x9b"]  # CSI (C1 escape)
INJECTIONS = ["\r\nX-Injected: 1", "\nAuthorization: Basic eA==", "\x00", "\r", "\x1b[2J"]

VALID_SEND: dict[str, Any] = {
    "organization_id": "organization-test-1",
    "member_id": "member-test-1",
    "mfa_phone_number": "+12025550162",
    "locale": "en",
    "intermediate_session_token": "ist-test-1",
}
VALID_AUTH: dict[str, Any] = {
    "organization_id": "organization-test-1",
    "member_id": "member-test-1",
    "code": "123456",
    "intermediate_session_token": "ist-test-1",
    "telemetry_id": "telemetry-test-1",
}
SEND_STRINGS = ["organization_id", "member_id", "mfa_phone_number", "locale"]
SESSION_ARGUMENTS = ["intermediate_session_token", "session_token", "session_jwt"]
AUTH_STRINGS = ["organization_id", "member_id", "code", "telemetry_id"]


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


# --- credentials -------------------------------------------------------------------


@pytest.mark.usefixtures("no_credentials_env")
@pytest.mark.parametrize("char", CREDENTIAL_REJECTS, ids=_codepoint)
@pytest.mark.parametrize("argument", ["project_id", "secret"])
@pytest.mark.parametrize("where", ["inside", "end"])
def test_credential_arguments_with_control_characters_are_refused(
    argument: str, char: str, where: str
) -> None:
    value = {"project_id": PROJECT_ID, "secret": SECRET}[argument]
    # A stray newline at the end (a secrets file), or something planted in the middle.
    bad = value[:10] + char + value[10:] if where == "inside" else value + char
    credentials: dict[str, Any] = {"project_id": PROJECT_ID, "secret": SECRET, argument: bad}
    with pytest.raises(ValueError, match=argument) as caught:
        StytchB2BClient(**credentials)
    message = str(caught.value)
    assert value not in message
    assert value[10:] not in message
    assert char not in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


@pytest.mark.parametrize("char", ["\r", "\n", "\x1b", "\x7f", "\x85", "\u2028"], ids=_codepoint)
@pytest.mark.parametrize(
    ("variable", "value"), [("STYTCH_PROJECT_ID", PROJECT_ID), ("STYTCH_SECRET", SECRET)]
)
def test_credential_variables_with_control_characters_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, char: str
) -> None:
    monkeypatch.setenv("STYTCH_PROJECT_ID", PROJECT_ID)
    monkeypatch.setenv("STYTCH_SECRET", SECRET)
    monkeypatch.setenv(variable, value[:8] + char + value[8:])
    with pytest.raises(ValueError, match=variable) as caught:
        StytchB2BClient()
    assert value[8:] not in str(caught.value)
    assert value[:8] + char not in str(caught.value)


@pytest.mark.usefixtures("no_credentials_env")
async def test_a_printable_non_ascii_secret_reaches_the_server_only_as_base64(
    fake_stytch: FakeStytch,
) -> None:
    """Not a control character: accepted, and the header stays ASCII base64."""
    secret = SECRET + "-é✓𝄞"
    async with StytchB2BClient(PROJECT_ID, secret, base_url=fake_stytch.base_url) as client:
        await client.otps.sms.send(**{k: VALID_SEND[k] for k in ("organization_id", "member_id")})
    (seen,) = fake_stytch.seen
    scheme, token = seen.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert token.isascii()
    assert base64.b64decode(token).decode() == f"{PROJECT_ID}:{secret}"


# --- ids, codes and tokens ---------------------------------------------------------


def _bad(value: str, char: str) -> str:
    return value[:4] + char + value[4:]


@pytest.mark.parametrize("char", [*ASCII_CONTROLS, *INJECTIONS], ids=repr)
def test_request_validators_refuse_control_characters_in_every_string_field(char: str) -> None:
    """Each string field, each control character: the error names the field only."""
    cases: list[tuple[type[Any], dict[str, Any], str]] = []
    for name in SEND_STRINGS + SESSION_ARGUMENTS:
        arguments = {k: v for k, v in VALID_SEND.items() if k not in SESSION_ARGUMENTS}
        arguments[name] = _bad(VALID_SEND.get(name) or "token-test-1", char)
        cases.append((SmsSendRequest, arguments, name))
    for name in AUTH_STRINGS + SESSION_ARGUMENTS:
        arguments = {k: v for k, v in VALID_AUTH.items() if k not in SESSION_ARGUMENTS}
        arguments.setdefault("intermediate_session_token", "ist-test-1")
        if name in SESSION_ARGUMENTS:
            del arguments["intermediate_session_token"]
        arguments[name] = _bad(VALID_AUTH.get(name) or "token-test-1", char)
        cases.append((SmsAuthenticateRequest, arguments, name))
    for cls, arguments, name in cases:
        with pytest.raises(RequestValidationError) as caught:
            cls(**arguments)
        assert caught.value.field == name, (cls.__name__, name)
        assert char not in str(caught.value)
        assert arguments[name] not in str(caught.value)


@pytest.mark.parametrize("char", ["\r\n", "\n", "\x00", "\x7f", "\t", "\x1b"], ids=repr)
async def test_control_characters_in_calls_never_reach_the_server(
    fake_stytch: FakeStytch, char: str
) -> None:
    """Through the client's own methods: RequestValidationError, and no request at all."""
    async with StytchB2BClient(PROJECT_ID, SECRET, base_url=fake_stytch.base_url) as client:
        send, authenticate = client.otps.sms.send, client.otps.sms.authenticate
        send_cases = [*SEND_STRINGS, *SESSION_ARGUMENTS]
        for name in send_cases:
            arguments = {k: v for k, v in VALID_SEND.items() if k not in SESSION_ARGUMENTS}
            arguments[name] = _bad(VALID_SEND.get(name) or "token-test-1", char)
            with pytest.raises(RequestValidationError, match=f"^{name}: "):
                await send(**arguments)
        for name in [*AUTH_STRINGS, *SESSION_ARGUMENTS]:
            arguments = {k: v for k, v in VALID_AUTH.items() if k not in SESSION_ARGUMENTS}
            if name not in SESSION_ARGUMENTS:
                arguments["intermediate_session_token"] = "ist-test-1"
            arguments[name] = _bad(VALID_AUTH.get(name) or "token-test-1", char)
            with pytest.raises(RequestValidationError, match=f"^{name}: "):
                await authenticate(**arguments)
        assert fake_stytch.seen == []
        # The same client still works: nothing half-sent is left in the pool.
        await send(organization_id="organization-test-1", member_id="member-test-1")
    assert [seen.path for seen in fake_stytch.seen] == [SEND_PATH]


@pytest.mark.parametrize("char", LINE_BREAKING, ids=_codepoint)
async def test_unicode_separators_in_ids_travel_only_inside_the_json_body(
    fake_stytch: FakeStytch, char: str
) -> None:
    """Pinned: ids are opaque to the SDK, so a non-ASCII separator is not refused, but it
    goes only into the JSON body, never into a header."""
    member_id = "member" + char + "X-Injected: 1"
    async with StytchB2BClient(PROJECT_ID, SECRET, base_url=fake_stytch.base_url) as client:
        await client.otps.sms.send(organization_id="organization-test-1", member_id=member_id)
    (seen,) = fake_stytch.seen
    assert json.loads(seen.body)["member_id"] == member_id
    assert "X-Injected" not in seen.headers
    assert all(char not in key + value for key, value in seen.headers.items())
    assert set(seen.headers) >= {"Authorization", "Content-Type", "User-Agent"}


def test_no_header_of_a_valid_client_carries_a_control_character() -> None:
    """The headers the client builds (before any I/O) are plain printable ASCII."""
    client = StytchB2BClient(PROJECT_ID, SECRET, base_url="http://127.0.0.1:1")
    headers = client._transport._headers
    assert set(headers) == {"Authorization", "Content-Type", "Accept", "User-Agent"}
    for key, value in headers.items():
        assert (key + value).isascii()
        assert (key + value).isprintable()


async def test_a_request_id_with_line_breaks_cannot_forge_log_lines_or_messages(
    fake_stytch: FakeStytch, caplog: pytest.LogCaptureFixture
) -> None:
    """The other direction: a hostile reply's ``request_id`` is not echoed raw."""
    forged = "request-id-test-1\r\nINFO stytch_b2b_otp forged\u2028line"
    success = {**json.loads(SEND_BODY), "request_id": forged}
    fake_stytch.reply(json_body=success)
    fake_stytch.reply(404, json_body={"error_type": "otp_code_not_found", "request_id": forged})
    fake_stytch.reply(json_body={"request_id": forged})  # a 200 missing every field
    caplog.set_level(logging.DEBUG, logger="stytch_b2b_otp")
    async with StytchB2BClient(PROJECT_ID, SECRET, base_url=fake_stytch.base_url) as client:
        send = client.otps.sms.send
        reply = await send(organization_id="organization-test-1", member_id="member-test-1")
        assert reply.request_id == forged  # the attribute keeps what Stytch sent
        with pytest.raises(NotFoundError) as not_found:
            await send(organization_id="organization-test-1", member_id="member-test-1")
        with pytest.raises(InvalidResponseError) as invalid:
            await send(organization_id="organization-test-1", member_id="member-test-1")
    for message in [str(not_found.value), str(invalid.value)]:
        assert "\n" not in message
        assert "\r" not in message
    attempts = [r for r in caplog.records if hasattr(r, "stytch_elapsed_ms")]
    assert len(attempts) == 3
    for record in attempts:  # the structured extra is cleaned too, for plain-text handlers
        shown = getattr(record, "stytch_request_id")  # noqa: B009 (an extra, unknown to mypy)
        assert shown == "request-id-test-1 INFO stytch_b2b_otp forged line"
    for record in caplog.records:
        assert len(record.getMessage().splitlines()) == 1
