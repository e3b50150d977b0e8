"""The two request payloads, validated on construction so bad input never reaches I/O.

Each validator raises `RequestValidationError` naming the field and saying what is
wrong, never echoing the value (it may be a code or a token).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from json.encoder import encode_basestring as _encode_string
from typing import Any, ClassVar, Literal

import attrs

from stytch_b2b_otp import _json
from stytch_b2b_otp._exceptions import RequestValidationError
from stytch_b2b_otp._redact import mask_phone, secret_repr

__all__ = [
    "MAX_CUSTOM_CLAIMS_BYTES",
    "MAX_SESSION_DURATION_MINUTES",
    "MIN_SESSION_DURATION_MINUTES",
    "RESERVED_CLAIMS",
    "SmsAuthenticateRequest",
    "SmsSendRequest",
]

MIN_SESSION_DURATION_MINUTES = 5
MAX_SESSION_DURATION_MINUTES = 527_040  # 366 days
MAX_CUSTOM_CLAIMS_BYTES = 4096
RESERVED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
STYTCH_CLAIM_PREFIX = "https://stytch.com/"

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_CODE = re.compile(r"[0-9]{6}")
_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
# ASCII control characters never belong in an id or a token (ids are otherwise opaque:
# they travel only inside the JSON body); a lone surrogate cannot even be encoded.
_UNSENDABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SESSION_ARGUMENTS = ("intermediate_session_token", "session_token", "session_jwt")


def _fail(attribute: attrs.Attribute[Any], reason: str) -> RequestValidationError:
    return RequestValidationError(attribute.name, reason)


def _check_sendable(attribute: attrs.Attribute[Any], value: str) -> None:
    """One search for what can never be sent: a control character or a lone surrogate."""
    found = _UNSENDABLE.search(value)
    if found is None:
        return
    if found.group() >= "\ud800":
        raise _fail(attribute, "must be valid Unicode text (it has a lone surrogate)")
    raise _fail(attribute, "must not contain control characters")


def _identifier(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise _fail(attribute, "must be a string")
    stripped = value.strip()
    if not stripped:
        raise _fail(attribute, "must not be empty")
    _check_sendable(attribute, value)
    if stripped != value:
        raise _fail(attribute, "must not have whitespace around it")


def _optional_token(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise _fail(attribute, "must be a string or None")
    if not value or value != value.strip():
        raise _fail(attribute, "must be a non-empty string without whitespace around it")
    _check_sendable(attribute, value)


def _phone(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _E164.fullmatch(value):
        raise _fail(
            attribute, "must be E.164: '+' then 7 to 15 digits, no leading 0 (e.g. +14155550123)"
        )


def _locale(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _LOCALE.fullmatch(value):
        raise _fail(attribute, "must be a language tag such as 'en', 'pt-br' or 'de-DE'")


def _code(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise _fail(attribute, "must be exactly 6 ASCII digits, as a string")


def _duration(_: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(attribute, "must be an int (minutes)")
    if not MIN_SESSION_DURATION_MINUTES <= value <= MAX_SESSION_DURATION_MINUTES:
        raise _fail(
            attribute,
            f"must be between {MIN_SESSION_DURATION_MINUTES} and "
            f"{MAX_SESSION_DURATION_MINUTES} minutes (366 days)",
        )


def _claims(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise _fail(attribute, "must be a mapping of claim names to JSON values")
    for key in value:
        if not isinstance(key, str):
            raise _fail(attribute, "claim names must be strings")
        if key in RESERVED_CLAIMS or key.startswith(STYTCH_CLAIM_PREFIX):
            shown = key if len(key) <= 64 else key[:61] + "..."
            raise _fail(
                attribute,
                f"{shown!r} is reserved (iss, sub, aud, exp, nbf, iat, jti and "
                f"{STYTCH_CLAIM_PREFIX}* are set by Stytch)",
            )
    if not _only_string_keys(value):
        # json.dumps would quietly turn 1, True or None keys into "1", "true", "null".
        raise _fail(attribute, "keys of nested objects must be strings too")
    try:
        encoded = _json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        raise _fail(attribute, "must be JSON-serialisable (no NaN, sets or objects)") from None
    if len(encoded) > MAX_CUSTOM_CLAIMS_BYTES:
        raise _fail(attribute, f"serialises to {len(encoded)} bytes; Stytch allows at most 4 KiB")


def _only_string_keys(value: object) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Mapping):
            if not all(isinstance(key, str) for key in item):
                return False
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return True


def _enrollment(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and value not in ("enroll", "unenroll"):
        raise _fail(attribute, "must be 'enroll', 'unenroll' or None")


def _optional_bool(_: object, attribute: attrs.Attribute[bool | None], value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise _fail(attribute, "must be a bool or None")


def _copy_claims(value: Any) -> Any:
    """A private deep copy of the claims (tuples become lists, as in JSON).

    So a caller mutating its own dicts or lists cannot change a checked request.
    """
    if not isinstance(value, Mapping):
        return value
    try:
        return _json_tree_copy(value)
    except RecursionError:
        raise RequestValidationError(
            "session_custom_claims", "is nested too deeply (or contains itself)"
        ) from None


_SCALARS = (str, int, float, bool, type(None))


def _json_tree_copy(value: Any) -> Any:
    if type(value) in _SCALARS:  # the usual leaves, without the slower ABC checks
        return value
    if type(value) is dict or isinstance(value, Mapping):
        return {key: _json_tree_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_tree_copy(item) for item in value]
    return value


def _session_arguments_given(request: object) -> list[str]:
    return [name for name in _SESSION_ARGUMENTS if getattr(request, name) is not None]


class _WireBody:
    """The JSON body: every field that was given, none that was not (never ``null``)."""

    __slots__ = ()
    _wire_fields: ClassVar[tuple[str, ...]]
    _secret_fields: ClassVar[tuple[str, ...]]

    def _secrets(self) -> tuple[str, ...]:
        """The code and tokens this request carries, to redact if a reply echoes them."""
        return tuple(
            value for name in self._secret_fields if (value := getattr(self, name)) is not None
        )

    def _body(self) -> bytes:
        # What _json.dumps(fields) gives, built directly: field names are plain ASCII,
        # and a string value is encoded by the function json.dumps itself uses for
        # strings with ensure_ascii=False. Other values (claims, flags, minutes) go
        # through _json.dumps. About twice as fast as encoding the dict.
        members = []
        for name in self._wire_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if type(value) is str:
                members.append(f'"{name}":{_encode_string(value)}')
            else:
                members.append(f'"{name}":{_json.dumps(value).decode()}')
        return ("{" + ",".join(members) + "}").encode()


@attrs.frozen(kw_only=True)
class SmsSendRequest(_WireBody):
    """The body of ``POST /v1/b2b/otps/sms/send``.

    Args:
        organization_id: The organization's id (its slug or external id also work).
        member_id: The member's id (or external id).
        mfa_phone_number: E.164 number to text; required when the member has no
            phone yet (it is then linked to the member), otherwise must match it.
        locale: Language of the SMS, e.g. ``"en"``, ``"es"``, ``"pt-br"``.
        intermediate_session_token: From primary authentication (at most one of
            the three session arguments).
        session_token: An existing member session (step-up).
        session_jwt: An existing member session's JWT (step-up).

    Raises:
        RequestValidationError: An argument is invalid; the error names it.
    """

    organization_id: str = attrs.field(validator=_identifier)
    member_id: str = attrs.field(validator=_identifier)
    mfa_phone_number: str | None = attrs.field(default=None, validator=_phone, repr=mask_phone)
    locale: str | None = attrs.field(default=None, validator=_locale)
    intermediate_session_token: str | None = attrs.field(
        default=None, validator=_optional_token, repr=secret_repr
    )
    session_token: str | None = attrs.field(
        default=None, validator=_optional_token, repr=secret_repr
    )
    session_jwt: str | None = attrs.field(default=None, validator=_optional_token, repr=secret_repr)

    def __attrs_post_init__(self) -> None:
        given = _session_arguments_given(self)
        if len(given) > 1:
            raise RequestValidationError(
                given[1], f"pass at most one of {', '.join(_SESSION_ARGUMENTS)}"
            )


@attrs.frozen(kw_only=True)
class SmsAuthenticateRequest(_WireBody):
    """The body of ``POST /v1/b2b/otps/sms/authenticate``.

    Args:
        organization_id: The organization's id (its slug or external id also work).
        member_id: The member's id (or external id).
        code: The 6-digit code the member received.
        intermediate_session_token: From primary authentication; consumed on
            success. Exactly one of the three session arguments is required.
        session_token: An existing member session to step up.
        session_jwt: An existing member session's JWT to step up.
        set_mfa_enrollment: ``"enroll"`` or ``"unenroll"`` the member in MFA
            (ignored by Stytch when the organization requires MFA for all).
        set_default_mfa: Make SMS the member's default MFA method.
        session_duration_minutes: Session lifetime, 5 to 527040 minutes (Stytch's
            default is 60).
        session_custom_claims: Claims to add to the session; a ``None`` value
            deletes that claim. At most 4 KiB serialised, no reserved names.
        telemetry_id: A device-fingerprinting telemetry id.

    Raises:
        RequestValidationError: An argument is invalid; the error names it.
    """

    organization_id: str = attrs.field(validator=_identifier)
    member_id: str = attrs.field(validator=_identifier)
    code: str = attrs.field(validator=_code, repr=secret_repr)
    intermediate_session_token: str | None = attrs.field(
        default=None, validator=_optional_token, repr=secret_repr
    )
    session_token: str | None = attrs.field(
        default=None, validator=_optional_token, repr=secret_repr
    )
    session_jwt: str | None = attrs.field(default=None, validator=_optional_token, repr=secret_repr)
    set_mfa_enrollment: Literal["enroll", "unenroll"] | None = attrs.field(
        default=None, validator=_enrollment
    )
    set_default_mfa: bool | None = attrs.field(default=None, validator=_optional_bool)
    session_duration_minutes: int | None = attrs.field(default=None, validator=_duration)
    session_custom_claims: Mapping[str, Any] | None = attrs.field(
        default=None, converter=_copy_claims, validator=_claims
    )
    telemetry_id: str | None = attrs.field(default=None, validator=_optional_token)

    def __attrs_post_init__(self) -> None:
        given = _session_arguments_given(self)
        if not given:
            raise RequestValidationError(
                "intermediate_session_token",
                "pass exactly one of intermediate_session_token, session_token or session_jwt",
            )
        if len(given) > 1:
            raise RequestValidationError(
                given[1], f"pass exactly one of {', '.join(_SESSION_ARGUMENTS)}, not several"
            )


for _request_class in (SmsSendRequest, SmsAuthenticateRequest):
    _request_class._wire_fields = tuple(field.name for field in attrs.fields(_request_class))
    _request_class._secret_fields = tuple(
        field.name for field in attrs.fields(_request_class) if field.repr is secret_repr
    )
del _request_class
