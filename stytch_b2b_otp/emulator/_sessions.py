"""Intermediate sessions, member sessions and their JWTs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from stytch_b2b_otp.emulator._catalogue import EmulatorError
from stytch_b2b_otp.emulator._clock import Clock
from stytch_b2b_otp.emulator._config import EmulatorConfig
from stytch_b2b_otp.emulator._jwt import SigningKey
from stytch_b2b_otp.emulator._records import (
    Factor,
    IntermediateSession,
    MemberRecord,
    OrganizationRecord,
    SessionRecord,
    new_id,
    new_token,
)
from stytch_b2b_otp.emulator._render import timestamp

__all__ = ["SessionStore"]

SESSION_CLAIM = "https://stytch.com/session"
ORGANIZATION_CLAIM = "https://stytch.com/organization"


class SessionStore:
    """Issues, finds, extends and consumes sessions; signs their JWTs."""

    def __init__(
        self,
        *,
        project_id: str,
        environment: str,
        config: EmulatorConfig,
        clock: Clock,
        key: SigningKey,
    ) -> None:
        self._project_id = project_id
        self._environment = environment
        self._config = config
        self._clock = clock
        self.key = key
        self.issuer = f"stytch.com/{project_id}"
        self._intermediate: dict[str, IntermediateSession] = {}
        self._sessions: dict[str, SessionRecord] = {}
        self._by_id: dict[str, SessionRecord] = {}

    # Intermediate sessions ------------------------------------------------------------

    def start_intermediate(self, member: MemberRecord, factors: list[Factor]) -> str:
        """A new intermediate session token carrying ``factors`` (the primary login)."""
        ttl = timedelta(seconds=self._config.intermediate_session_ttl_seconds)
        ist = IntermediateSession(
            token=new_token(),
            organization_id=member.organization_id,
            member_id=member.member_id,
            factors=factors,
            expires_at=self._clock.now() + ttl,
        )
        self._intermediate[ist.token] = ist
        return ist.token

    def intermediate(
        self, token: str, org: OrganizationRecord, member: MemberRecord
    ) -> IntermediateSession:
        """The live intermediate session behind ``token``, checked against org and member.

        Raises:
            EmulatorError: not found, expired, consumed, or someone else's.
        """
        ist = self._intermediate.get(token)
        if ist is None or ist.expires_at <= self._clock.now():
            self._intermediate.pop(token, None)
            raise EmulatorError("intermediate_session_not_found")
        if ist.organization_id != org.organization_id:
            raise EmulatorError("invalid_intermediate_session_token_for_organization")
        if ist.member_id != member.member_id:
            raise EmulatorError("member_session_member_id_mismatch")
        return ist

    def consume_intermediate(self, ist: IntermediateSession) -> None:
        """An intermediate session token works once: a successful authenticate uses it up."""
        self._intermediate.pop(ist.token, None)

    # Member sessions ------------------------------------------------------------------

    def start(
        self,
        member: MemberRecord,
        factors: list[Factor],
        *,
        minutes: int | None,
        custom_claims: dict[str, Any] | None,
    ) -> SessionRecord:
        """A new member session (``minutes`` defaults to the configured 60)."""
        now = self._clock.now()
        session = SessionRecord(
            member_session_id=new_id("member-session", self._environment),
            token=new_token(),
            organization_id=member.organization_id,
            member_id=member.member_id,
            started_at=now,
            last_accessed_at=now,
            expires_at=now + timedelta(minutes=minutes or self._config.default_session_minutes),
            factors=factors,
        )
        merge_claims(session, custom_claims)
        self._sessions[session.token] = session
        self._by_id[session.member_session_id] = session
        return session

    def by_token(self, token: str) -> SessionRecord:
        """The live session behind a ``session_token``.

        Raises:
            EmulatorError: ``session_not_found``.
        """
        return self._live(self._sessions.get(token))

    def by_jwt(self, token: str) -> SessionRecord:
        """The live session behind a ``session_jwt`` this emulator signed (expired or not).

        Raises:
            EmulatorError: ``unable_to_parse_session_jwt`` or ``session_not_found``.
        """
        claims = self.key.verify(token, audience=self._project_id, issuer=self.issuer)
        session_claim = claims.get(SESSION_CLAIM) if claims else None
        if not isinstance(session_claim, dict) or not isinstance(session_claim.get("id"), str):
            raise EmulatorError("unable_to_parse_session_jwt")
        return self._live(self._by_id.get(session_claim["id"]))

    def _live(self, session: SessionRecord | None) -> SessionRecord:
        if session is None or session.expires_at <= self._clock.now():
            raise EmulatorError("session_not_found")
        return session

    def check_owner(
        self, session: SessionRecord, org: OrganizationRecord, member: MemberRecord
    ) -> None:
        """A session argument must belong to the member (and organization) of the call.

        Raises:
            EmulatorError: ``member_session_member_id_mismatch``.
        """
        if (session.organization_id, session.member_id) != (org.organization_id, member.member_id):
            raise EmulatorError("member_session_member_id_mismatch")

    def touch(self, session: SessionRecord, *, minutes: int | None) -> None:
        """Mark the session used now, and extend it by ``minutes`` when given (step-up)."""
        now = self._clock.now()
        session.last_accessed_at = now
        if minutes is not None:
            session.expires_at = now + timedelta(minutes=minutes)

    def jwt(self, session: SessionRecord, org: OrganizationRecord, roles: tuple[str, ...]) -> str:
        """A fresh ``session_jwt`` for the session, in Stytch's claim layout."""
        now = self._clock.now()
        issued = int(now.timestamp())
        claims: dict[str, Any] = dict(session.custom_claims)
        claims.update(
            {
                "aud": [self._project_id],
                "exp": issued + self._config.jwt_ttl_seconds,
                "iat": issued,
                "iss": self.issuer,
                "nbf": issued,
                "sub": session.member_id,
                SESSION_CLAIM: {
                    "id": session.member_session_id,
                    "started_at": timestamp(session.started_at),
                    "last_accessed_at": timestamp(session.last_accessed_at),
                    "expires_at": timestamp(session.expires_at),
                    "attributes": {"user_agent": "", "ip_address": ""},
                    "authentication_factors": session.factors,
                    "roles": list(roles),
                },
                ORGANIZATION_CLAIM: {"organization_id": org.organization_id, "slug": org.slug},
            }
        )
        return self.key.sign(claims)


def merge_claims(session: SessionRecord, claims: dict[str, Any] | None) -> None:
    """Stytch's update rule: a new value sets the claim, ``null`` deletes it."""
    for key, value in (claims or {}).items():
        if value is None:
            session.custom_claims.pop(key, None)
        else:
            session.custom_claims[key] = value
