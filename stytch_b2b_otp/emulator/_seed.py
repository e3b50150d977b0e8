"""Seeding an emulator from a document (a JSON file for the CLI, a body for the admin API).

```json
{"organizations": [
  {"name": "Acme", "slug": "acme", "mfa_policy": "REQUIRED_FOR_ALL",
   "members": [{"email_address": "ada@acme.test", "mfa_phone_number": "+12025550162"}]}
]}
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from stytch_b2b_otp.emulator._emulator import Emulator

__all__ = ["SeededMember", "SeededOrganization", "seed"]

_ORG_KEYS = {"name", "slug", "external_id", "mfa_policy", "mfa_methods", "allowed_mfa_methods"}
_MEMBER_KEYS = {
    "email_address",
    "name",
    "mfa_phone_number",
    "phone_verified",
    "mfa_enrolled",
    "external_id",
    "status",
    "roles",
    "is_breakglass",
}


@attrs.frozen
class SeededMember:
    """A member created from a seed document."""

    member_id: str
    email_address: str


@attrs.frozen
class SeededOrganization:
    """An organization created from a seed document, with its members."""

    organization_id: str
    slug: str
    members: tuple[SeededMember, ...]


def _entries(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"{where} must be a list of objects")
    return value


def _check_keys(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")


def seed(emulator: Emulator, document: object) -> list[SeededOrganization]:
    """Create the document's organizations and members.

    Raises:
        ValueError: The document is malformed; the message says where.
    """
    if not isinstance(document, dict):
        raise ValueError("the seed must be a JSON object with an 'organizations' list")
    _check_keys(document, {"organizations"}, "seed")
    seeded = []
    for i, org_entry in enumerate(_entries(document.get("organizations", []), "organizations")):
        where = f"organizations[{i}]"
        entry = dict(org_entry)
        members = _entries(entry.pop("members", []), f"{where}.members")
        _check_keys(entry, _ORG_KEYS, where)
        try:
            org = emulator.create_organization(**entry)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None
        created = []
        for j, member_entry in enumerate(members):
            member_where = f"{where}.members[{j}]"
            _check_keys(member_entry, _MEMBER_KEYS, member_where)
            try:
                member = emulator.create_member(org.organization_id, **member_entry)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{member_where}: {exc}") from None
            created.append(SeededMember(member.member_id, member.email_address))
        seeded.append(
            SeededOrganization(org.organization_id, org.organization_slug, tuple(created))
        )
    return seeded
