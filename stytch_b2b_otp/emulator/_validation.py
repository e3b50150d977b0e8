"""Request bodies checked the way Stytch checks them, into typed parameters.

Every failure is an `EmulatorError` whose message names the field. An empty string
counts as absent, as in Stytch's Go SDK (``omitempty``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from stytch_b2b_otp.emulator._catalogue import EmulatorError
from stytch_b2b_otp.emulator._config import EmulatorConfig
from stytch_b2b_otp.emulator._phones import E164

__all__ = ["AuthenticateParams", "SendParams", "parse_authenticate", "parse_send"]

_CODE = re.compile(r"[0-9]{6}")
_SESSION_ARGUMENTS = ("intermediate_session_token", "session_token", "session_jwt")
_RESERVED = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
_STYTCH_PREFIX = "https://stytch.com/"
_MAX_CLAIMS_BYTES = 4096
_MIN_MINUTES, _MAX_MINUTES = 5, 527_040


@attrs.frozen(kw_only=True)
class SessionArgument:
    """Which of the three session arguments a request carried, and its value."""

    kind: str
    value: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class SendParams:
    """A valid send body."""

    organization_id: str
    member_id: str
    mfa_phone_number: str | None
    locale: str | None
    session: SessionArgument | None


@attrs.frozen(kw_only=True)
class AuthenticateParams:
    """A valid authenticate body."""

    organization_id: str
    member_id: str
    code: str = attrs.field(repr=False)
    session: SessionArgument
    session_duration_minutes: int | None
    session_custom_claims: dict[str, Any] | None = attrs.field(repr=False)
    set_mfa_enrollment: str | None
    set_default_mfa: bool


def _object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise EmulatorError("bad_request", "The request body must be a JSON object.")
    return body


def _string(body: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        if required:
            raise EmulatorError("bad_request", f"{field} is required.")
        return None
    if not isinstance(value, str):
        raise EmulatorError("bad_request", f"{field} must be a string.")
    return value


def _required(body: dict[str, Any], field: str) -> str:
    value = _string(body, field, required=True)
    assert value is not None  # noqa: S101 (required=True never returns None)
    return value


def _session_argument(body: dict[str, Any], *, required: bool) -> SessionArgument | None:
    given = [(kind, value) for kind in _SESSION_ARGUMENTS if (value := _string(body, kind))]
    if len(given) > 1:
        raise EmulatorError("too_many_session_arguments")
    if not given:
        if required:
            raise EmulatorError("no_session_arguments")
        return None
    kind, value = given[0]
    return SessionArgument(kind=kind, value=value)


def parse_send(body: object, config: EmulatorConfig) -> SendParams:
    """The send body's parameters.

    Raises:
        EmulatorError: the first problem found, naming its field.
    """
    body = _object(body)
    organization_id = _required(body, "organization_id")
    member_id = _required(body, "member_id")
    phone = _string(body, "mfa_phone_number")
    if phone is not None and not E164.fullmatch(phone):
        raise EmulatorError("invalid_phone_number")
    locale = _string(body, "locale")
    if locale is not None and locale not in config.supported_locales:
        raise EmulatorError("invalid_locale")
    return SendParams(
        organization_id=organization_id,
        member_id=member_id,
        mfa_phone_number=phone,
        locale=locale,
        session=_session_argument(body, required=False),
    )


def parse_authenticate(body: object, config: EmulatorConfig) -> AuthenticateParams:
    """The authenticate body's parameters.

    Raises:
        EmulatorError: the first problem found, naming its field.
    """
    body = _object(body)
    organization_id = _required(body, "organization_id")
    member_id = _required(body, "member_id")
    code = _required(body, "code")
    if not _CODE.fullmatch(code):
        raise EmulatorError("invalid_code")
    session = _session_argument(body, required=True)
    assert session is not None  # noqa: S101 (required=True never returns None)
    enrollment = _string(body, "set_mfa_enrollment")
    if enrollment not in (None, "enroll", "unenroll"):
        raise EmulatorError("bad_request", "set_mfa_enrollment must be enroll or unenroll.")
    set_default_mfa = body.get("set_default_mfa")
    if set_default_mfa is not None and not isinstance(set_default_mfa, bool):
        raise EmulatorError("bad_request", "set_default_mfa must be a boolean.")
    _string(body, "telemetry_id")
    return AuthenticateParams(
        organization_id=organization_id,
        member_id=member_id,
        code=code,
        session=session,
        session_duration_minutes=_minutes(body.get("session_duration_minutes")),
        session_custom_claims=_claims(body.get("session_custom_claims"), config),
        set_mfa_enrollment=enrollment,
        set_default_mfa=bool(set_default_mfa),
    )


def _minutes(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise EmulatorError("bad_request", "session_duration_minutes must be an integer.")
    if not _MIN_MINUTES <= value <= _MAX_MINUTES:
        raise EmulatorError("invalid_session_duration_minutes")
    return value


def _claims(value: object, config: EmulatorConfig) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise EmulatorError("bad_request", "session_custom_claims must be a JSON object.")
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > _MAX_CLAIMS_BYTES:
        raise EmulatorError("custom_claims_too_large")
    reserved = [key for key in value if key in _RESERVED or key.startswith(_STYTCH_PREFIX)]
    if reserved and config.reserved_claims == "ignore":
        return {key: claim for key, claim in value.items() if key not in reserved}
    if any(key.startswith(_STYTCH_PREFIX) for key in reserved):
        raise EmulatorError("stytch_claims_in_custom_claims")
    if reserved:
        raise EmulatorError("reserved_claims_in_custom_claims")
    return value
