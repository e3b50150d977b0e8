"""Records as the JSON objects Stytch sends: the same keys, in the same shapes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from stytch_b2b_otp.emulator._records import (
    Factor,
    MemberRecord,
    OrganizationRecord,
    SessionRecord,
)

__all__ = [
    "email_factor",
    "member_json",
    "organization_json",
    "session_json",
    "sms_factor",
    "timestamp",
]


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with ``Z`` and whole seconds, as Stytch writes them."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _optional_timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def member_json(member: MemberRecord, now: datetime) -> dict[str, Any]:
    """A Member object; ``is_locked`` is computed against ``now``."""
    locked = member.lock_expires_at is not None and member.lock_expires_at > now
    return {
        "organization_id": member.organization_id,
        "member_id": member.member_id,
        "email_address": member.email_address,
        "status": member.status,
        "name": member.name,
        "sso_registrations": [],
        "is_breakglass": member.is_breakglass,
        "member_password_id": "",
        "oauth_registrations": [],
        "email_address_verified": member.status == "active",
        "mfa_phone_number_verified": member.mfa_phone_number_verified,
        "is_admin": "stytch_admin" in member.roles,
        "totp_registration_id": member.totp_registration_id,
        "retired_email_addresses": [],
        "is_locked": locked,
        "mfa_enrolled": member.mfa_enrolled,
        "mfa_phone_number": member.mfa_phone_number,
        "default_mfa_method": member.default_mfa_method,
        "roles": [
            {"role_id": role, "sources": [{"type": "direct_assignment", "details": {}}]}
            for role in member.roles
        ],
        "trusted_metadata": member.trusted_metadata,
        "untrusted_metadata": member.untrusted_metadata,
        "created_at": timestamp(member.created_at),
        "updated_at": timestamp(member.updated_at),
        "scim_registration": None,
        "external_id": member.external_id or "",
        "lock_created_at": _optional_timestamp(member.lock_created_at if locked else None),
        "lock_expires_at": _optional_timestamp(member.lock_expires_at if locked else None),
    }


def organization_json(org: OrganizationRecord) -> dict[str, Any]:
    """An Organization object with Stytch's defaults for what the emulator does not model."""
    return {
        "organization_id": org.organization_id,
        "organization_name": org.name,
        "organization_logo_url": "",
        "organization_slug": org.slug,
        "sso_jit_provisioning": "ALL_ALLOWED",
        "sso_jit_provisioning_allowed_connections": [],
        "sso_active_connections": [],
        "email_allowed_domains": [],
        "email_jit_provisioning": "RESTRICTED",
        "email_invites": "ALL_ALLOWED",
        "auth_methods": "ALL_ALLOWED",
        "allowed_auth_methods": [],
        "mfa_policy": org.mfa_policy,
        "rbac_email_implicit_role_assignments": [],
        "mfa_methods": org.mfa_methods,
        "allowed_mfa_methods": list(org.allowed_mfa_methods),
        "oauth_tenant_jit_provisioning": "RESTRICTED",
        "claimed_email_domains": [],
        "first_party_connected_apps_allowed_type": "ALL_ALLOWED",
        "allowed_first_party_connected_apps": [],
        "third_party_connected_apps_allowed_type": "ALL_ALLOWED",
        "allowed_third_party_connected_apps": [],
        "custom_roles": [],
        "trusted_metadata": {},
        "created_at": timestamp(org.created_at),
        "updated_at": timestamp(org.updated_at),
        "organization_external_id": org.external_id or "",
        "sso_default_connection_id": None,
        "scim_active_connection": None,
        "allowed_oauth_tenants": {},
    }


def session_json(
    session: SessionRecord, org: OrganizationRecord, roles: tuple[str, ...]
) -> dict[str, Any]:
    """A MemberSession object."""
    return {
        "member_session_id": session.member_session_id,
        "member_id": session.member_id,
        "started_at": timestamp(session.started_at),
        "last_accessed_at": timestamp(session.last_accessed_at),
        "expires_at": timestamp(session.expires_at),
        "authentication_factors": session.factors,
        "organization_id": org.organization_id,
        "roles": list(roles),
        "organization_slug": org.slug,
        "custom_claims": session.custom_claims,
    }


def _factor(kind: str, delivery: str, now: datetime, detail: str, value: dict[str, str]) -> Factor:
    at = timestamp(now)
    return {
        "type": kind,
        "delivery_method": delivery,
        "last_authenticated_at": at,
        "created_at": at,
        "updated_at": at,
        detail: value,
    }


def email_factor(kind: str, member: MemberRecord, now: datetime) -> Factor:
    """A primary factor proven through the member's email (magic link, email OTP)."""
    value = {"email_id": member.email_id, "email_address": member.email_address}
    return _factor(kind, "email", now, "email_factor", value)


def sms_factor(member: MemberRecord, now: datetime) -> Factor:
    """The factor an SMS OTP authenticate adds: ``otp`` over ``sms``."""
    value = {"phone_id": member.phone_id, "phone_number": member.mfa_phone_number}
    return _factor("otp", "sms", now, "phone_number_factor", value)
