"""Organizations and members: created by the emulator's API, found by the rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from stytch_b2b_otp.emulator._catalogue import EmulatorError
from stytch_b2b_otp.emulator._clock import Clock
from stytch_b2b_otp.emulator._phones import E164
from stytch_b2b_otp.emulator._records import MemberRecord, OrganizationRecord, new_id

__all__ = ["MEMBER_STATUSES", "MFA_POLICIES", "Directory"]

MFA_POLICIES = ("OPTIONAL", "REQUIRED_FOR_ALL")
MFA_METHODS = ("ALL_ALLOWED", "RESTRICTED")
MEMBER_STATUSES = ("active", "pending", "invited", "deleted")
_SLUG = re.compile(r"[A-Za-z0-9\-._~]{2,128}")
_NOT_SLUG = re.compile(r"[^a-z0-9\-._~]+")


class Directory:
    """Every organization and member of one emulator, with Stytch's lookups.

    Creating with bad arguments raises `ValueError` (a test's own mistake); looking up
    what does not exist raises `EmulatorError` (what Stytch would answer).
    """

    def __init__(self, environment: str, clock: Clock) -> None:
        self._environment = environment
        self._clock = clock
        self.organizations: dict[str, OrganizationRecord] = {}
        self.members: dict[str, MemberRecord] = {}
        # (organization_id, "email" | "external_id" | "phone", value) -> member: the
        # lookups and uniqueness checks stay O(1) with 100,000 members (bulk tests).
        self._index: dict[tuple[str, str, str], MemberRecord] = {}

    def add_organization(
        self,
        *,
        name: str,
        slug: str | None = None,
        external_id: str | None = None,
        mfa_policy: str = "OPTIONAL",
        mfa_methods: str = "ALL_ALLOWED",
        allowed_mfa_methods: Sequence[str] = (),
    ) -> OrganizationRecord:
        """A new organization.

        Without a ``slug``, one is made from the name (lower-cased, other characters
        replaced by ``-``) and made unique; a given slug must be free.
        """
        _text("name", name, 1, 128)
        _optional_text("external_id", external_id)
        allowed_mfa_methods = _strings("allowed_mfa_methods", allowed_mfa_methods)
        if mfa_policy not in MFA_POLICIES:
            raise ValueError(f"mfa_policy must be one of {', '.join(MFA_POLICIES)}")
        if mfa_methods not in MFA_METHODS:
            raise ValueError(f"mfa_methods must be one of {', '.join(MFA_METHODS)}")
        if slug is None:
            slug = self._free_slug(_NOT_SLUG.sub("-", name.lower()).strip("-")[:120])
        elif not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise ValueError("slug must be 2 to 128 characters of letters, digits and -._~")
        elif any(other.slug == slug for other in self.organizations.values()):
            raise ValueError(f"an organization with slug {slug!r} already exists")
        if external_id is not None and any(
            other.external_id == external_id for other in self.organizations.values()
        ):
            raise ValueError(f"an organization with external_id {external_id!r} exists")
        now = self._clock.now()
        org = OrganizationRecord(
            organization_id=new_id("organization", self._environment),
            name=name,
            slug=slug,
            external_id=external_id,
            mfa_policy=mfa_policy,
            mfa_methods=mfa_methods,
            allowed_mfa_methods=tuple(allowed_mfa_methods),
            created_at=now,
            updated_at=now,
        )
        self.organizations[org.organization_id] = org
        return org

    def _free_slug(self, base: str) -> str:
        taken = {org.slug for org in self.organizations.values()}
        base = base if len(base) >= 2 else f"{base}-org".lstrip("-")
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    def add_member(
        self,
        organization_id: str,
        *,
        email_address: str,
        name: str = "",
        mfa_phone_number: str | None = None,
        phone_verified: bool = False,
        mfa_enrolled: bool = False,
        external_id: str | None = None,
        status: str = "active",
        roles: Sequence[str] = (),
        is_breakglass: bool = False,
        trusted_metadata: dict[str, Any] | None = None,
    ) -> MemberRecord:
        """A new member of an existing organization."""
        org = self.organizations.get(organization_id)
        if org is None:
            raise ValueError(f"no organization {organization_id!r}")
        if not isinstance(email_address, str) or "@" not in email_address:
            raise ValueError("email_address must be an email address")
        _text("name", name, 0, 256)
        _optional_text("external_id", external_id)
        roles = _strings("roles", roles)
        for flag, value in (
            ("phone_verified", phone_verified),
            ("mfa_enrolled", mfa_enrolled),
            ("is_breakglass", is_breakglass),
        ):
            if not isinstance(value, bool):
                raise ValueError(f"{flag} must be true or false")
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {', '.join(MEMBER_STATUSES)}")
        if mfa_phone_number is not None and not E164.fullmatch(mfa_phone_number):
            raise ValueError("mfa_phone_number must be E.164 (+ then 7 to 15 digits)")
        if self._indexed(organization_id, "email", email_address.lower()):
            raise ValueError(f"{email_address!r} is already a member")
        if external_id is not None and self._indexed(organization_id, "external_id", external_id):
            raise ValueError(f"a member with external_id {external_id!r} exists")
        if mfa_phone_number is not None and self.phone_owner(organization_id, mfa_phone_number):
            raise ValueError("another member of the organization has that phone number")
        now = self._clock.now()
        member = MemberRecord(
            member_id=new_id("member", self._environment),
            organization_id=org.organization_id,
            email_address=email_address,
            email_id=new_id("email", self._environment),
            name=name,
            status=status,
            external_id=external_id,
            roles=("stytch_member", *roles),
            is_breakglass=is_breakglass,
            mfa_enrolled=mfa_enrolled,
            trusted_metadata=dict(trusted_metadata or {}),
            created_at=now,
            updated_at=now,
        )
        if mfa_phone_number is not None:
            self.link_phone(member, mfa_phone_number)
            member.mfa_phone_number_verified = phone_verified
        self.members[member.member_id] = member
        self._index[(org.organization_id, "email", email_address.lower())] = member
        if external_id is not None:
            self._index[(org.organization_id, "external_id", external_id)] = member
        return member

    def link_phone(self, member: MemberRecord, phone_number: str) -> None:
        """Give ``member`` the number (Stytch links it at send, before it is verified)."""
        self._index.pop((member.organization_id, "phone", member.mfa_phone_number), None)
        self._index[(member.organization_id, "phone", phone_number)] = member
        member.mfa_phone_number = phone_number
        member.phone_id = new_id("phone-number", self._environment)
        member.mfa_phone_number_verified = False
        member.updated_at = self._clock.now()

    def _indexed(self, organization_id: str, kind: str, value: str) -> MemberRecord | None:
        return self._index.get((organization_id, kind, value))

    def organization(self, locator: str) -> OrganizationRecord:
        """By id, slug or external id, as Stytch accepts all three.

        Raises:
            EmulatorError: ``organization_not_found``.
        """
        org = self.organizations.get(locator)
        if org is not None:
            return org
        for candidate in self.organizations.values():
            if locator in (candidate.slug, candidate.external_id):
                return candidate
        raise EmulatorError("organization_not_found")

    def member(self, org: OrganizationRecord, locator: str) -> MemberRecord:
        """By member id or external id, within ``org`` only.

        Raises:
            EmulatorError: ``member_not_found``.
        """
        member = self.members.get(locator)
        if member is not None and member.organization_id == org.organization_id:
            return member
        by_external_id = self._indexed(org.organization_id, "external_id", locator)
        if by_external_id is not None:
            return by_external_id
        raise EmulatorError("member_not_found")

    def phone_owner(self, organization_id: str, phone_number: str) -> MemberRecord | None:
        """The member of the organization who has this number, if any."""
        return self._indexed(organization_id, "phone", phone_number)


def _text(field: str, value: object, shortest: int, longest: int) -> None:
    if not isinstance(value, str) or not shortest <= len(value) <= longest:
        raise ValueError(f"{field} must be a string of {shortest} to {longest} characters")


def _optional_text(field: str, value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"{field} must be a non-empty string or null")


def _strings(field: str, value: object) -> tuple[str, ...]:
    # Checked before anything is stored: a failed create leaves no half-made record.
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{field} must be a list of strings")
    if not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{field} must be a list of non-empty strings")
    return tuple(value)
