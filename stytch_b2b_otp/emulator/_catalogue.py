"""The emulator's error catalogue: every ``error_type`` it returns, with status and message.

One table, so a status learnt from the real API is corrected in one place. Each entry
says how sure we are (``reference/stytch-b2b-sms-otp.md`` has the sources):

- ``documented``: Stytch's documentation or API examples give this type and status;
- ``reported``: seen in Stytch's own UI code, mocks or in third-party integrations;
- ``inferred``: the type exists in Stytch's error list, but which endpoint returns it,
  for what, and with which status is our inference.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

import attrs

__all__ = ["ERROR_CATALOGUE", "EmulatorError", "ErrorSpec", "Evidence", "error_url"]

Evidence = Literal["documented", "reported", "inferred"]


@attrs.frozen
class ErrorSpec:
    """What the emulator answers for one ``error_type``."""

    status: int
    message: str
    evidence: Evidence
    when: str
    """The rule that raises it, in a few words (shown in the docs' catalogue table)."""


_OTP_EXPIRED = (
    "The passcode could not be authenticated because it was either already used or "
    "expired. Send another passcode to this user."
)
_ENTRIES: dict[str, ErrorSpec] = {
    # Documented: type and status from Stytch's docs and API examples.
    "unauthorized_credentials": ErrorSpec(
        401, "Unauthorized credentials.", "documented", "wrong or missing Basic credentials"
    ),
    "bad_request": ErrorSpec(
        400,
        "The submitted request is invalid.",
        "documented",
        "body is not a JSON object, a field is missing or has the wrong type",
    ),
    "action_available_only_for_active_members": ErrorSpec(
        400,
        "You may not attach an MFA factor to a member that is not active.",
        "documented",
        "the member's status is not active",
    ),
    "invalid_phone_number_country_code": ErrorSpec(
        400,
        "The phone number's country code is invalid, unsupported, or disabled.",
        "documented",
        "the number's country is not in the allowlist (status inferred)",
    ),
    "session_not_found": ErrorSpec(
        404,
        "Session could not be found.",
        "documented",
        "session_token or session_jwt of an unknown or expired session",
    ),
    "too_many_requests": ErrorSpec(
        429,
        "Too many requests have been made.",
        "documented",
        "the phone number's hourly send limit is used up",
    ),
    "user_lock_limit_reached": ErrorSpec(
        429,
        "The user has been locked out due to too many failed authentication attempts. "
        "Please try again later.",
        "documented",
        "authenticate for a locked member",
    ),
    "internal_server_error": ErrorSpec(
        500,
        "Oops, something seems to have gone wrong, please reach out to support@stytch.com "
        "to let us know what went wrong.",
        "documented",
        "injected faults only",
    ),
    # Reported: Stytch's own UI strings and mocks, third-party integrations.
    "otp_code_not_found": ErrorSpec(
        404,
        "The passcode provided was incorrect and could not be authenticated.",
        "reported",
        "the code does not match the member's active code",
    ),
    "unable_to_auth_otp_code": ErrorSpec(
        401, _OTP_EXPIRED, "reported", "the code expired, was used, or was replaced"
    ),
    "intermediate_session_not_found": ErrorSpec(
        404,
        "Intermediate session could not be found.",
        "reported",
        "intermediate_session_token unknown, expired or consumed",
    ),
    "duplicate_member_phone_number": ErrorSpec(
        400,
        "A member with the specified phone number already exists for this organization.",
        "reported",
        "mfa_phone_number belongs to another member of the organization",
    ),
    "invalid_phone_number": ErrorSpec(
        400,
        "Phone number format is invalid. Ensure the phone number is in the E.164 format.",
        "reported",
        "mfa_phone_number is not E.164 (status inferred)",
    ),
    "invalid_code": ErrorSpec(
        400, "Code format is invalid.", "reported", "code is not 6 digits (status inferred)"
    ),
    "invalid_session_duration_minutes": ErrorSpec(
        400,
        "session_duration_minutes is invalid, should be between 5 to 527040 minutes.",
        "reported",
        "session_duration_minutes outside 5..527040 (status inferred)",
    ),
    # Inferred: the type exists in Stytch's list; trigger and status are ours.
    "organization_not_found": ErrorSpec(
        404,
        "Organization could not be found.",
        "inferred",
        "no organization with that id, slug or external id",
    ),
    "member_not_found": ErrorSpec(
        404,
        "Member could not be found.",
        "inferred",
        "no member with that id or external id in the organization",
    ),
    "member_phone_number_not_found": ErrorSpec(
        404,
        "The member has no phone number; pass mfa_phone_number to add one.",
        "inferred",
        "send to a member with no phone number and no mfa_phone_number",
    ),
    "duplicate_member_phone_number_for_member": ErrorSpec(
        400,
        "The member already has a different phone number; it must be deleted before "
        "another one can be used.",
        "inferred",
        "mfa_phone_number differs from the member's number",
    ),
    "invalid_locale": ErrorSpec(
        400, "The locale is not supported.", "inferred", "locale not in the supported set"
    ),
    "no_session_arguments": ErrorSpec(
        400,
        "One of intermediate_session_token, session_token or session_jwt must be provided.",
        "inferred",
        "authenticate without a session argument",
    ),
    "too_many_session_arguments": ErrorSpec(
        400,
        "Only one of intermediate_session_token, session_token or session_jwt may be provided.",
        "inferred",
        "more than one session argument",
    ),
    "invalid_intermediate_session_token_for_organization": ErrorSpec(
        400,
        "The intermediate session token does not belong to this organization.",
        "inferred",
        "intermediate session of another organization",
    ),
    "member_session_member_id_mismatch": ErrorSpec(
        400,
        "The session does not belong to this member.",
        "inferred",
        "session or intermediate session of another member or organization",
    ),
    "unable_to_parse_session_jwt": ErrorSpec(
        401,
        "The session JWT could not be parsed or its signature is invalid.",
        "inferred",
        "session_jwt not signed by this emulator",
    ),
    "insufficient_factors": ErrorSpec(
        401,
        "The member already has an active MFA factor: pass a session or intermediate "
        "session that carries it.",
        "inferred",
        "send to an MFA-verified member without a session argument",
    ),
    "custom_claims_too_large": ErrorSpec(
        400,
        "session_custom_claims must not exceed 4 KB.",
        "inferred",
        "session_custom_claims over 4096 bytes as JSON",
    ),
    "reserved_claims_in_custom_claims": ErrorSpec(
        400,
        "session_custom_claims may not set a reserved JWT claim.",
        "inferred",
        "a claim named iss, sub, aud, exp, nbf, iat or jti",
    ),
    "stytch_claims_in_custom_claims": ErrorSpec(
        400,
        "session_custom_claims may not set a claim starting with https://stytch.com/.",
        "inferred",
        "a claim under https://stytch.com/",
    ),
    "operation_restricted_by_organization_mfa_methods": ErrorSpec(
        403,
        "The organization's MFA methods do not allow SMS one-time passcodes.",
        "inferred",
        "mfa_methods RESTRICTED without sms_otp (break-glass members exempt)",
    ),
    "route_not_found": ErrorSpec(
        404, "The requested route could not be found.", "inferred", "unknown path"
    ),
    "method_not_allowed": ErrorSpec(
        405, "The method is not allowed for this route.", "inferred", "e.g. GET on send"
    ),
    "server_unavailable": ErrorSpec(
        503,
        "The server is temporarily unavailable, please try again.",
        "inferred",
        "injected faults only",
    ),
}

ERROR_CATALOGUE: Mapping[str, ErrorSpec] = MappingProxyType(_ENTRIES)
"""error_type -> status, message, evidence and trigger, for every error the emulator sends."""

_DEFAULT_TYPE_FOR_STATUS = {
    400: "bad_request",
    401: "unauthorized_credentials",
    404: "route_not_found",
    429: "too_many_requests",
    500: "internal_server_error",
    503: "server_unavailable",
}


def error_url(status: int) -> str:
    """The ``error_url`` Stytch puts in an error body for ``status``."""
    return f"https://stytch.com/docs/api/errors/{status}"


def default_error_type(status: int) -> str:
    """The catalogue's error_type for a bare status (injected faults)."""
    return _DEFAULT_TYPE_FOR_STATUS.get(
        status, "internal_server_error" if status >= 500 else "bad_request"
    )


class EmulatorError(Exception):
    """A rule said no: becomes Stytch's error body with the catalogue's status.

    Args:
        error_type: A key of `ERROR_CATALOGUE`.
        detail: Replaces the catalogue message (e.g. to name the bad field).
        retry_after: Seconds for a ``Retry-After`` header.
    """

    def __init__(
        self, error_type: str, detail: str | None = None, *, retry_after: int | None = None
    ) -> None:
        spec = ERROR_CATALOGUE[error_type]
        self.error_type = error_type
        self.status = spec.status
        self.message = detail or spec.message
        self.retry_after = retry_after
        super().__init__(f"{error_type}: {self.message}")
