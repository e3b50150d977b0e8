"""The emulator's state: plain records the rules read and change. No HTTP here."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any, Literal

import attrs

from stytch_b2b_otp._redact import mask_phone, secret_repr

__all__ = [
    "CodeRecord",
    "IntermediateSession",
    "MemberRecord",
    "OrganizationRecord",
    "SentMessage",
    "SessionRecord",
    "new_id",
    "new_token",
]

Factor = dict[str, Any]


def new_id(kind: str, environment: str) -> str:
    """An id shaped like Stytch's: ``member-test-<uuid4>``."""
    return f"{kind}-{environment}-{uuid.uuid4()}"


def new_token() -> str:
    """A 44-character URL-safe secret, like Stytch's session tokens."""
    return secrets.token_urlsafe(33)


@attrs.define(kw_only=True)
class OrganizationRecord:
    """An organization and the settings the SMS OTP rules read."""

    organization_id: str
    name: str
    slug: str
    external_id: str | None
    mfa_policy: str
    mfa_methods: str
    allowed_mfa_methods: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


@attrs.define(kw_only=True)
class MemberRecord:
    """A member, with its phone, MFA state and lock."""

    member_id: str
    organization_id: str
    email_address: str
    email_id: str
    name: str
    status: str
    external_id: str | None
    roles: tuple[str, ...]
    is_breakglass: bool = False
    mfa_phone_number: str = attrs.field(default="", repr=mask_phone)
    phone_id: str = ""
    mfa_phone_number_verified: bool = False
    mfa_enrolled: bool = False
    default_mfa_method: str = ""
    totp_registration_id: str = ""
    trusted_metadata: dict[str, Any] = attrs.Factory(dict)
    untrusted_metadata: dict[str, Any] = attrs.Factory(dict)
    created_at: datetime
    updated_at: datetime
    failed_attempts: int = 0
    lock_created_at: datetime | None = None
    lock_expires_at: datetime | None = None


@attrs.define(kw_only=True)
class CodeRecord:
    """A code sent to a member; only the latest one can be ``active``."""

    code: str = attrs.field(repr=secret_repr)
    phone_number: str = attrs.field(repr=mask_phone)
    expires_at: datetime
    state: Literal["active", "used", "replaced"] = "active"


@attrs.define(kw_only=True)
class IntermediateSession:
    """The factors of a finished primary authentication, waiting for MFA."""

    token: str = attrs.field(repr=secret_repr)
    organization_id: str
    member_id: str
    factors: list[Factor]
    expires_at: datetime


@attrs.define(kw_only=True)
class SessionRecord:
    """A member session."""

    member_session_id: str
    token: str = attrs.field(repr=secret_repr)
    organization_id: str
    member_id: str
    started_at: datetime
    last_accessed_at: datetime
    expires_at: datetime
    factors: list[Factor]
    custom_claims: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen(kw_only=True)
class SentMessage:
    """One SMS the emulator "sent": it went to this outbox instead of a phone.

    The code is left out of ``repr`` so an outbox printed in a failing test's output
    does not show live codes; read ``message.code``.
    """

    phone_number: str = attrs.field(repr=mask_phone)
    code: str = attrs.field(repr=secret_repr)
    member_id: str
    organization_id: str
    locale: str
    text: str = attrs.field(repr=False)
    sent_at: datetime
