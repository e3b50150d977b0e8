"""The two replies: ``SmsSendResponse`` and ``SmsAuthenticateResponse``."""

from datetime import datetime
from typing import Any

import attrs

from stytch_b2b_otp._fields import lenient
from stytch_b2b_otp._member import Member
from stytch_b2b_otp._organization import Organization
from stytch_b2b_otp._redact import secret_repr
from stytch_b2b_otp._session import MemberSession

__all__ = [
    "DeviceAttributeDetails",
    "DeviceInfo",
    "SmsAuthenticateResponse",
    "SmsSendResponse",
]


@attrs.frozen(kw_only=True)
class DeviceAttributeDetails:
    """Whether a device attribute was seen before, and when."""

    is_new: bool
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None


@attrs.frozen(kw_only=True)
class DeviceInfo:
    """Device fingerprinting results, when a ``telemetry_id`` was passed."""

    visitor_id: str
    visitor_id_details: DeviceAttributeDetails | None = None
    ip_address: str | None = None
    ip_address_details: DeviceAttributeDetails | None = None
    ip_geo_city: str | None = None
    ip_geo_region: str | None = None
    ip_geo_country: str | None = None
    ip_geo_country_details: DeviceAttributeDetails | None = None


@attrs.frozen(kw_only=True)
class _Reply:
    """A top-level reply: it keeps the decoded JSON it was read from as ``raw``."""

    raw: dict[str, Any] = attrs.field(repr=False, eq=False)

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The reply's JSON object, as the converter should read it."""
        return {**data, "raw": data}


@attrs.frozen(kw_only=True)
class SmsSendResponse(_Reply):
    """Stytch's reply to ``otps.sms.send``: the code is on its way.

    Attributes:
        request_id: Stytch's id for this request (quote it to Stytch's support).
        status_code: The status Stytch reported (200).
        member_id: The member texted.
        member: The member, with ``mfa_phone_number`` linked if it was new.
        organization: The member's organization.
        raw: The decoded JSON reply, for fields this SDK does not model yet.
    """

    request_id: str
    status_code: int
    member_id: str
    member: Member
    organization: Organization


@attrs.frozen(kw_only=True)
class SmsAuthenticateResponse(_Reply):
    """Stytch's reply to ``otps.sms.authenticate``: the code was right.

    ``session_token`` and ``session_jwt`` are secrets: they are left out of
    ``repr`` (and ``raw`` is not shown at all).

    Attributes:
        request_id: Stytch's id for this request.
        status_code: The status Stytch reported (200).
        member_id: The member authenticated.
        organization_id: The member's organization (taken from ``organization``
            when the reply does not carry it at the top level).
        member: The member, with MFA enrollment updated.
        organization: The member's organization.
        session_token: The member session's opaque token.
        session_jwt: The member session as a JWT (5-minute lifetime).
        member_session: The member session, with the SMS factor added.
        member_device: Device fingerprinting results, when requested.
        raw: The decoded JSON reply.
    """

    request_id: str
    status_code: int
    member_id: str
    organization_id: str
    member: Member
    organization: Organization
    session_token: str = attrs.field(repr=secret_repr)
    session_jwt: str = attrs.field(repr=secret_repr)
    member_session: MemberSession | None = None
    member_device: DeviceInfo | None = lenient()

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        prepared = {**data, "raw": data}
        if data.get("organization_id") is None:
            organization = data.get("organization")
            if isinstance(organization, dict) and "organization_id" in organization:
                prepared["organization_id"] = organization["organization_id"]
        return prepared
