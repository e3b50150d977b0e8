"""The B2B ``Organization`` object and the objects nested in it.

Policy fields (``mfa_policy``, ``mfa_methods``, ``sso_jit_provisioning``...) are kept
as the strings Stytch sent, so a policy value Stytch adds later never breaks a reply.
"""

from datetime import datetime
from typing import Any

import attrs

from stytch_b2b_otp._fields import empty_str, empty_tuple, lenient

__all__ = [
    "ActiveSCIMConnection",
    "ActiveSSOConnection",
    "CustomRole",
    "CustomRolePermission",
    "EmailImplicitRoleAssignment",
    "Organization",
]


@attrs.frozen(kw_only=True)
class ActiveSSOConnection:
    """An SSO connection members of the organization can log in with."""

    connection_id: str
    display_name: str = empty_str()
    identity_provider: str = empty_str()


@attrs.frozen(kw_only=True)
class EmailImplicitRoleAssignment:
    """Members with an email address at ``domain`` get ``role_id``."""

    domain: str
    role_id: str


@attrs.frozen(kw_only=True)
class CustomRolePermission:
    """The actions a custom role may take on one resource."""

    resource_id: str
    actions: tuple[str, ...] = empty_tuple()


@attrs.frozen(kw_only=True)
class CustomRole:
    """A role defined by the organization."""

    role_id: str
    description: str = empty_str()
    permissions: tuple[CustomRolePermission, ...] = empty_tuple()


@attrs.frozen(kw_only=True)
class ActiveSCIMConnection:
    """The organization's SCIM connection."""

    connection_id: str
    display_name: str = empty_str()
    bearer_token_last_four: str = empty_str()
    bearer_token_expires_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Organization:
    """An organization (tenant), as Stytch returns it.

    Attributes:
        mfa_policy: ``REQUIRED_FOR_ALL`` or ``OPTIONAL``.
        mfa_methods: ``ALL_ALLOWED`` or ``RESTRICTED`` (then see
            ``allowed_mfa_methods``: ``sms_otp``, ``totp``).
    """

    organization_id: str
    organization_name: str
    organization_logo_url: str = empty_str()
    organization_slug: str
    sso_jit_provisioning: str = empty_str()
    sso_jit_provisioning_allowed_connections: tuple[str, ...] = empty_tuple()
    sso_active_connections: tuple[ActiveSSOConnection, ...] = empty_tuple()
    email_allowed_domains: tuple[str, ...] = empty_tuple()
    email_jit_provisioning: str = empty_str()
    email_invites: str = empty_str()
    auth_methods: str
    allowed_auth_methods: tuple[str, ...] = empty_tuple()
    mfa_policy: str
    rbac_email_implicit_role_assignments: tuple[EmailImplicitRoleAssignment, ...] = empty_tuple()
    mfa_methods: str
    allowed_mfa_methods: tuple[str, ...] = empty_tuple()
    oauth_tenant_jit_provisioning: str = empty_str()
    claimed_email_domains: tuple[str, ...] = empty_tuple()
    first_party_connected_apps_allowed_type: str = empty_str()
    allowed_first_party_connected_apps: tuple[str, ...] = empty_tuple()
    third_party_connected_apps_allowed_type: str = empty_str()
    allowed_third_party_connected_apps: tuple[str, ...] = empty_tuple()
    custom_roles: tuple[CustomRole, ...] = empty_tuple()
    trusted_metadata: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    organization_external_id: str | None = None
    sso_default_connection_id: str | None = None
    scim_active_connection: ActiveSCIMConnection | None = lenient()
    allowed_oauth_tenants: dict[str, Any] | None = None
