"""The two replies: ``SmsSendResponse`` and ``SmsAuthenticateResponse``."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

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
    "Undecoded",
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


class Undecoded:
    """A reply body whose JSON is decoded only if ``raw`` is read.

    The msgspec fast path builds the models straight from the bytes and never
    needs the dict; most callers never look at ``raw``. ``loads`` is the decoder
    that already accepted the body (msgspec's), so reading ``raw`` cannot fail.
    """

    __slots__ = ("body", "loads")

    def __init__(self, body: bytes, loads: Callable[[bytes], Any]) -> None:
        self.body = body
        self.loads = loads

    def __reduce__(self) -> "tuple[type[Undecoded], tuple[bytes, Callable[[bytes], Any]]]":
        return Undecoded, (self.body, self.loads)


@attrs.frozen(kw_only=True)
class _Reply:
    """A top-level reply: it keeps the JSON it was read from, as ``raw``."""

    # The decoded JSON, or (fast path) the body, decoded on first use of ``raw``.
    # A reply built in code (a test double) may leave it out: it is then ``{}``.
    _raw: dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    # Top-level fields Stytch may leave out, read from a nested object instead:
    # name -> (object, key). Both the converter and the fast path apply them.
    _FALLBACKS: ClassVar[Mapping[str, tuple[str, str]]] = {}

    @property
    def raw(self) -> dict[str, Any]:
        """The decoded JSON reply, for fields this SDK does not model yet."""
        value: object = self._raw
        if type(value) is Undecoded:
            value = value.loads(value.body)
            object.__setattr__(self, "_raw", value)  # frozen: cache it once
        return self._raw

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The reply's JSON object, as the converter should read it."""
        prepared = {**data, "_raw": data}
        for name, (parent, key) in cls._FALLBACKS.items():
            if data.get(name) is None:
                nested = data.get(parent)
                if isinstance(nested, dict) and key in nested:
                    prepared[name] = nested[key]
        return prepared


@attrs.frozen(kw_only=True)
class SmsSendResponse(_Reply):
    """Stytch's reply to ``otps.sms.send``: the code is on its way.

    Attributes:
        request_id: Stytch's id for this request (quote it to Stytch's support).
        status_code: The status Stytch reported (200).
        member_id: The member texted.
        member: The member, with ``mfa_phone_number`` linked if it was new.
        organization: The member's organization.
        raw: The decoded JSON reply, for fields this SDK does not model yet
            (``{}`` for a reply built in code, such as a test double).
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
        raw: The decoded JSON reply (``{}`` for a reply built in code).
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

    _FALLBACKS: ClassVar[Mapping[str, tuple[str, str]]] = {
        "organization_id": ("organization", "organization_id")
    }
