"""The B2B ``Member`` object and the objects nested in it."""

from datetime import datetime
from typing import Any

import attrs

from stytch_b2b_otp._fields import empty_str, empty_tuple, lenient
from stytch_b2b_otp._redact import mask_phone
from stytch_b2b_otp._scim import SCIMAttributes

__all__ = [
    "Member",
    "MemberRole",
    "MemberRoleSource",
    "OAuthRegistration",
    "RetiredEmail",
    "SCIMRegistration",
    "SSORegistration",
]


@attrs.frozen(kw_only=True)
class SSORegistration:
    """A link between the member and an SSO connection."""

    connection_id: str
    external_id: str
    registration_id: str
    sso_attributes: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class OAuthRegistration:
    """A link between the member and an OAuth provider account."""

    provider_type: str
    provider_subject: str
    member_oauth_registration_id: str
    profile_picture_url: str | None = None
    locale: str | None = None


@attrs.frozen(kw_only=True)
class RetiredEmail:
    """An email address the member used before."""

    email_id: str
    email_address: str


@attrs.frozen(kw_only=True)
class MemberRoleSource:
    """Why the member has a role.

    Attributes:
        type: ``direct_assignment``, ``email_assignment``, ``sso_connection``,
            ``sso_connection_group`` or ``scim_connection_group`` (Stytch may add more).
        details: The email domain, connection id or group behind the assignment.
    """

    type: str
    details: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class MemberRole:
    """A role the member holds (``stytch_member``, ``stytch_admin`` or a custom one)."""

    role_id: str
    sources: tuple[MemberRoleSource, ...] = empty_tuple()


@attrs.frozen(kw_only=True)
class SCIMRegistration:
    """A link between the member and a SCIM connection."""

    connection_id: str
    registration_id: str
    external_id: str | None = None
    scim_attributes: SCIMAttributes | None = None


@attrs.frozen(kw_only=True)
class Member:
    """A member of an organization, as Stytch returns it.

    Attributes:
        status: ``pending``, ``invited``, ``active`` or ``deleted`` (Stytch may add
            more; kept as the string Stytch sent).
        mfa_phone_number: E.164, or ``""`` when the member has none.
        default_mfa_method: ``sms_otp``, ``totp``, or ``""`` when unset.
        is_locked: Locked after too many failed authentications, until
            ``lock_expires_at``.
    """

    organization_id: str
    member_id: str
    email_address: str
    status: str
    name: str = empty_str()
    sso_registrations: tuple[SSORegistration, ...] = empty_tuple()
    is_breakglass: bool
    member_password_id: str = empty_str()
    oauth_registrations: tuple[OAuthRegistration, ...] = empty_tuple()
    email_address_verified: bool
    mfa_phone_number_verified: bool
    is_admin: bool
    totp_registration_id: str = empty_str()
    retired_email_addresses: tuple[RetiredEmail, ...] = empty_tuple()
    is_locked: bool
    mfa_enrolled: bool
    mfa_phone_number: str = empty_str(repr=mask_phone)
    default_mfa_method: str = empty_str()
    roles: tuple[MemberRole, ...] = empty_tuple()
    trusted_metadata: dict[str, Any] | None = None
    untrusted_metadata: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    scim_registration: SCIMRegistration | None = lenient()
    external_id: str | None = None
    lock_created_at: datetime | None = None
    lock_expires_at: datetime | None = None
