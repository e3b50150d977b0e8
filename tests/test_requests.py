"""The request payloads: validation on construction, the JSON body, and their repr."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import attrs
import pytest

from stytch_b2b_otp import RequestValidationError, SmsAuthenticateRequest, SmsSendRequest

IDS = {"organization_id": "organization-test-1", "member_id": "member-test-1"}
AUTH = {**IDS, "code": "012345", "intermediate_session_token": "ist-secret-value"}


def send(**overrides: Any) -> SmsSendRequest:
    return SmsSendRequest(**{**IDS, **overrides})


def authenticate(**overrides: Any) -> SmsAuthenticateRequest:
    return SmsAuthenticateRequest(**{**AUTH, **overrides})


def _nested(depth: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return outer


NESTED_TOO_DEEP = _nested(100_000)

# (factory, overrides, the field the error must name)
INVALID = [
    (send, {"organization_id": ""}, "organization_id"),
    (send, {"organization_id": "   "}, "organization_id"),
    (send, {"organization_id": None}, "organization_id"),
    (send, {"organization_id": 42}, "organization_id"),
    (send, {"member_id": ""}, "member_id"),
    (send, {"member_id": "member\r\nX-Injected: 1"}, "member_id"),
    (send, {"member_id": " member-test-1"}, "member_id"),
    (send, {"organization_id": "organization-test-1\t"}, "organization_id"),
    # A lone surrogate cannot be encoded as UTF-8: refused here, not at send time.
    (send, {"organization_id": "organization-test-\udc80"}, "organization_id"),
    (send, {"session_token": "session-token-\ud800"}, "session_token"),
    (authenticate, {"telemetry_id": "telemetry-\udfff"}, "telemetry_id"),
    (send, {"mfa_phone_number": "2025550162"}, "mfa_phone_number"),
    (send, {"mfa_phone_number": "+0123456789"}, "mfa_phone_number"),
    (send, {"mfa_phone_number": "+123456"}, "mfa_phone_number"),
    (send, {"mfa_phone_number": "+1234567890123456"}, "mfa_phone_number"),
    (send, {"mfa_phone_number": "+1 202 555 0162"}, "mfa_phone_number"),
    (send, {"mfa_phone_number": "+1٢٠٢5550162"}, "mfa_phone_number"),  # noqa: RUF001 (Arabic-Indic digits)
    (send, {"locale": ""}, "locale"),
    (send, {"locale": "en US"}, "locale"),
    (send, {"locale": 3}, "locale"),
    (send, {"session_token": ""}, "session_token"),
    (send, {"session_jwt": " jwt"}, "session_jwt"),
    (send, {"intermediate_session_token": "a", "session_token": "b"}, "session_token"),
    (authenticate, {"code": "12345"}, "code"),
    (authenticate, {"code": "1234567"}, "code"),
    (authenticate, {"code": "12345a"}, "code"),
    (authenticate, {"code": 123456}, "code"),
    (authenticate, {"code": "١٢٣٤٥٦"}, "code"),
    (authenticate, {"code": "123456\n"}, "code"),
    (authenticate, {"intermediate_session_token": None}, "intermediate_session_token"),
    (authenticate, {"session_jwt": "jwt"}, "session_jwt"),
    (authenticate, {"session_duration_minutes": 4}, "session_duration_minutes"),
    (authenticate, {"session_duration_minutes": 527_041}, "session_duration_minutes"),
    (authenticate, {"session_duration_minutes": True}, "session_duration_minutes"),
    (authenticate, {"session_duration_minutes": 60.0}, "session_duration_minutes"),
    (authenticate, {"session_custom_claims": ["a"]}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {1: "a"}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"a": {True: 1}}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"a": [{None: 1}]}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"a": {1: "x", "1": "y"}}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"sub": "x"}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"jti": "x"}}, "session_custom_claims"),
    (
        authenticate,
        {"session_custom_claims": {"https://stytch.com/session": {}}},
        "session_custom_claims",
    ),
    (authenticate, {"session_custom_claims": {"when": object()}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"n": float("nan")}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"s": "\udc80"}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"deep": NESTED_TOO_DEEP}}, "session_custom_claims"),
    (authenticate, {"session_custom_claims": {"big": "x" * 4090}}, "session_custom_claims"),
    (authenticate, {"set_mfa_enrollment": "ENROLL"}, "set_mfa_enrollment"),
    (authenticate, {"set_default_mfa": "true"}, "set_default_mfa"),
    (authenticate, {"telemetry_id": ""}, "telemetry_id"),
]


@pytest.mark.parametrize(("factory", "overrides", "field"), INVALID)
def test_invalid_input_raises_naming_the_field(
    factory: Any, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        factory(**overrides)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(("factory", "overrides", "field"), INVALID)
def test_validation_errors_never_echo_the_value(
    factory: Any, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        factory(**overrides)
    for value in overrides.values():
        if isinstance(value, str) and len(value) > 3 and value != field:
            assert value not in str(caught.value)


def test_validation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="code"):
        authenticate(code="x")


VALID = [
    (send, {}),
    (send, {"mfa_phone_number": "+12025550162", "locale": "pt-br"}),
    (send, {"mfa_phone_number": "+4915112345678", "locale": "de-DE"}),
    (send, {"locale": "zh-Hans"}),
    (send, {"intermediate_session_token": "ist"}),
    (send, {"session_jwt": "a.b.c"}),
    (authenticate, {"code": "000000"}),
    (authenticate, {"intermediate_session_token": None, "session_token": "tok"}),
    (authenticate, {"session_duration_minutes": 5}),
    (authenticate, {"session_duration_minutes": 527_040}),
    (authenticate, {"session_custom_claims": {"plan": "pro", "deleted": None}}),
    (authenticate, {"session_custom_claims": {"big": "x" * 4000}}),
    (authenticate, {"set_mfa_enrollment": "unenroll", "set_default_mfa": False}),
]


@pytest.mark.parametrize(("factory", "overrides"), VALID)
def test_valid_input_is_accepted(factory: Any, overrides: dict[str, Any]) -> None:
    request = factory(**overrides)
    for name, value in overrides.items():
        assert getattr(request, name) == value


def test_send_body_omits_unset_fields() -> None:
    assert json.loads(send()._body()) == IDS


def test_send_body_carries_every_given_field() -> None:
    request = send(mfa_phone_number="+12025550162", locale="es", session_jwt="a.b.c")
    assert json.loads(request._body()) == {
        **IDS,
        "mfa_phone_number": "+12025550162",
        "locale": "es",
        "session_jwt": "a.b.c",
    }


def test_authenticate_body_keeps_false_and_null_claims() -> None:
    request = authenticate(
        set_default_mfa=False,
        session_duration_minutes=60,
        session_custom_claims={"keep": 1, "delete_me": None},
    )
    body = json.loads(request._body())
    assert body == {
        **AUTH,
        "set_default_mfa": False,
        "session_duration_minutes": 60,
        "session_custom_claims": {"keep": 1, "delete_me": None},
    }
    assert "set_mfa_enrollment" not in body
    assert "telemetry_id" not in body


def test_body_is_compact_utf8() -> None:
    body = authenticate(session_custom_claims={"name": "Zoë"})._body()
    assert "Zoë".encode() in body
    assert b": " not in body


def test_custom_claims_are_copied_so_later_mutation_cannot_change_the_request() -> None:
    claims: dict[str, Any] = {"plan": "pro", "org": {"tier": 1, "tags": ["a"]}}
    request = authenticate(session_custom_claims=claims)
    body = request._body()
    claims["plan"] = "free"
    claims["sub"] = "someone-else"
    claims["org"]["tier"] = float("nan")  # nested values are copied too
    claims["org"]["tags"].append({1: "x"})
    assert request.session_custom_claims == {"plan": "pro", "org": {"tier": 1, "tags": ["a"]}}
    assert request._body() == body


def test_custom_claims_read_as_json_does() -> None:
    claims = {"pair": (1, 2), "view": MappingProxyType({"a": 1})}
    request = authenticate(session_custom_claims=claims)
    assert request.session_custom_claims == {"pair": [1, 2], "view": {"a": 1}}
    assert json.loads(request._body())["session_custom_claims"] == {
        "pair": [1, 2],
        "view": {"a": 1},
    }


def test_a_reserved_claim_name_is_quoted_short() -> None:
    with pytest.raises(RequestValidationError) as caught:
        authenticate(session_custom_claims={"https://stytch.com/" + "x" * 10_000: 1})
    assert len(str(caught.value)) < 200


def test_requests_are_frozen_and_keyword_only() -> None:
    request = send()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request.member_id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        SmsSendRequest("organization-test-1", "member-test-1")  # type: ignore[call-arg]


def test_repr_hides_code_and_tokens_and_masks_the_phone() -> None:
    request = authenticate(session_custom_claims={"a": 1})
    text = repr(request)
    assert "012345" not in text
    assert "ist-secret-value" not in text
    assert "intermediate_session_token='<redacted>'" in text
    assert "session_token=None" in text
    phone = repr(send(mfa_phone_number="+12025550162", session_token="tok-secret"))
    assert "2025550162" not in phone
    assert "'+*********62'" in phone
    assert "tok-secret" not in phone
