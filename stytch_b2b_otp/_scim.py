"""SCIM attributes of a member provisioned by an identity provider.

These mirror whatever the identity provider supplied, so every field here reads an
absent or ``null`` value as empty rather than failing the whole reply.
"""

import attrs

from stytch_b2b_otp._fields import empty_bool, empty_str, empty_tuple

__all__ = [
    "SCIMAddress",
    "SCIMAttributes",
    "SCIMEnterpriseExtension",
    "SCIMGroup",
    "SCIMManager",
    "SCIMMultiValue",
    "SCIMName",
]


@attrs.frozen(kw_only=True)
class SCIMGroup:
    """A group the identity provider put the member in."""

    value: str = empty_str()
    display: str = empty_str()


@attrs.frozen(kw_only=True)
class SCIMMultiValue:
    """One entry of a SCIM multi-valued attribute (emails, phone numbers, IMs...)."""

    value: str = empty_str()
    type: str = empty_str()
    primary: bool = empty_bool()


@attrs.frozen(kw_only=True)
class SCIMAddress:
    """A postal address."""

    formatted: str = empty_str()
    street_address: str = empty_str()
    locality: str = empty_str()
    region: str = empty_str()
    postal_code: str = empty_str()
    country: str = empty_str()
    type: str = empty_str()
    primary: bool = empty_bool()


@attrs.frozen(kw_only=True)
class SCIMName:
    """The member's name, in parts."""

    formatted: str = empty_str()
    family_name: str = empty_str()
    given_name: str = empty_str()
    middle_name: str = empty_str()
    honorific_prefix: str = empty_str()
    honorific_suffix: str = empty_str()


@attrs.frozen(kw_only=True)
class SCIMManager:
    """The member's manager, from the enterprise extension."""

    value: str = empty_str()
    ref: str = empty_str()
    display_name: str = empty_str()


@attrs.frozen(kw_only=True)
class SCIMEnterpriseExtension:
    """SCIM's enterprise user extension."""

    employee_number: str = empty_str()
    cost_center: str = empty_str()
    division: str = empty_str()
    department: str = empty_str()
    organization: str = empty_str()
    manager: SCIMManager | None = None


@attrs.frozen(kw_only=True)
class SCIMAttributes:
    """The SCIM user resource the identity provider sent for this member."""

    user_name: str = empty_str()
    id: str = empty_str()
    external_id: str = empty_str()
    active: bool = empty_bool()
    groups: tuple[SCIMGroup, ...] = empty_tuple()
    display_name: str = empty_str()
    nick_name: str = empty_str()
    profile_url: str = empty_str()
    user_type: str = empty_str()
    title: str = empty_str()
    preferred_language: str = empty_str()
    locale: str = empty_str()
    timezone: str = empty_str()
    emails: tuple[SCIMMultiValue, ...] = empty_tuple()
    phone_numbers: tuple[SCIMMultiValue, ...] = empty_tuple()
    addresses: tuple[SCIMAddress, ...] = empty_tuple()
    ims: tuple[SCIMMultiValue, ...] = empty_tuple()
    photos: tuple[SCIMMultiValue, ...] = empty_tuple()
    entitlements: tuple[SCIMMultiValue, ...] = empty_tuple()
    roles: tuple[SCIMMultiValue, ...] = empty_tuple()
    x509certificates: tuple[SCIMMultiValue, ...] = empty_tuple()
    name: SCIMName | None = None
    enterprise_extension: SCIMEnterpriseExtension | None = None
