"""What send and authenticate do: codes, expiry, locks, rate limits, sessions. No HTTP.

The order of checks follows the reference's recommendation (§9.2): who is asking, the
body, the organization, the member, the session argument, the lock, the rate limit,
and only then the code.
"""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

import attrs

from stytch_b2b_otp.emulator._catalogue import EmulatorError
from stytch_b2b_otp.emulator._clock import Clock
from stytch_b2b_otp.emulator._config import EmulatorConfig
from stytch_b2b_otp.emulator._directory import Directory
from stytch_b2b_otp.emulator._phones import check_country
from stytch_b2b_otp.emulator._records import (
    CodeRecord,
    IntermediateSession,
    MemberRecord,
    OrganizationRecord,
    SentMessage,
    SessionRecord,
)
from stytch_b2b_otp.emulator._render import sms_factor
from stytch_b2b_otp.emulator._sessions import SessionStore, merge_claims
from stytch_b2b_otp.emulator._validation import AuthenticateParams, SendParams, SessionArgument

__all__ = ["AuthenticateResult", "OtpRules"]

_CODES_KEPT = 5  # recent codes remembered per member, to tell "expired" from "wrong"
_TEXTS = {
    "en": "Your verification code is {code}.",
    "es": "Tu código de verificación es {code}.",
    "fr": "Votre code de vérification est {code}.",
    "pt-br": "Seu código de verificação é {code}.",
}


@attrs.frozen(kw_only=True)
class AuthenticateResult:
    """What a successful authenticate hands back to the HTTP layer."""

    member: MemberRecord
    organization: OrganizationRecord
    session: SessionRecord
    session_jwt: str = attrs.field(repr=False)


class OtpRules:
    """The SMS OTP rules over one emulator's directory and sessions."""

    def __init__(
        self,
        *,
        directory: Directory,
        sessions: SessionStore,
        config: EmulatorConfig,
        clock: Clock,
    ) -> None:
        self.directory = directory
        self.sessions = sessions
        self.config = config
        self.clock = clock
        self.outbox: list[SentMessage] = []
        self._codes: dict[str, list[CodeRecord]] = {}
        self._sends: dict[str, int] = {}  # sends per phone number in the current window
        self._window: datetime | None = None

    # Send --------------------------------------------------------------------------

    def send(self, params: SendParams) -> tuple[MemberRecord, OrganizationRecord]:
        """Send a code by SMS (into the outbox); link the number to a member without one.

        Raises:
            EmulatorError: any rule of the send endpoint said no; nothing was sent.
        """
        org = self.directory.organization(params.organization_id)
        member = self.directory.member(org, params.member_id)
        _require_active(member, org)
        if params.session is not None:
            self._resolve(params.session, org, member)
        elif self.config.require_session_for_verified_members and _has_mfa_factor(member):
            raise EmulatorError("insufficient_factors")
        phone = self._destination(org, member, params.mfa_phone_number)
        check_country(phone, self.config.allowed_countries)
        self._count_send(phone)
        if not member.mfa_phone_number:
            self.directory.link_phone(member, phone)
        code = self._issue_code(member, phone)
        locale = params.locale or "en"
        self.outbox.append(
            SentMessage(
                phone_number=phone,
                code=code,
                member_id=member.member_id,
                organization_id=org.organization_id,
                locale=locale,
                text=_TEXTS.get(locale, _TEXTS["en"]).format(code=code),
                sent_at=self.clock.now(),
            )
        )
        return member, org

    def _destination(self, org: OrganizationRecord, member: MemberRecord, given: str | None) -> str:
        if member.mfa_phone_number:
            if given is not None and given != member.mfa_phone_number:
                raise EmulatorError("duplicate_member_phone_number_for_member")
            return member.mfa_phone_number
        if given is None:
            raise EmulatorError("member_phone_number_not_found")
        owner = self.directory.phone_owner(org.organization_id, given)
        if owner is not None and owner is not member:
            raise EmulatorError("duplicate_member_phone_number")
        return given

    def _count_send(self, phone: str) -> None:
        limit = self.config.sends_per_phone_per_hour
        if limit is None:
            return
        now = self.clock.now()
        window = now.replace(minute=0, second=0, microsecond=0)
        if window != self._window:  # windows start at the top of the hour, not rolling
            self._window = window
            self._sends.clear()
        sent = self._sends.get(phone, 0)
        if sent >= limit:
            wait = (window + timedelta(hours=1) - now).total_seconds()
            raise EmulatorError("too_many_requests", retry_after=max(1, math.ceil(wait)))
        self._sends[phone] = sent + 1

    def _issue_code(self, member: MemberRecord, phone: str) -> str:
        recent = self._codes.setdefault(member.member_id, [])
        for earlier in recent:
            if earlier.state == "active":
                earlier.state = "replaced"  # one active code per member
        code = f"{secrets.randbelow(10**6):06d}"
        expires = self.clock.now() + timedelta(seconds=self.config.code_ttl_seconds)
        recent.append(CodeRecord(code=code, phone_number=phone, expires_at=expires))
        del recent[:-_CODES_KEPT]
        return code

    # Authenticate -------------------------------------------------------------------

    def authenticate(self, params: AuthenticateParams) -> AuthenticateResult:
        """Check the code; on success finish MFA (or step up) and issue a session.

        Raises:
            EmulatorError: any rule of the authenticate endpoint said no. A wrong,
                expired or used code counts toward the member's lock.
        """
        org = self.directory.organization(params.organization_id)
        member = self.directory.member(org, params.member_id)
        _require_active(member, org)
        target = self._resolve(params.session, org, member)
        self._check_lock(member)
        self._check_code(member, params.code)
        now = self.clock.now()
        member.failed_attempts = 0
        member.mfa_phone_number_verified = True
        if org.mfa_policy == "REQUIRED_FOR_ALL" or params.set_mfa_enrollment == "enroll":
            member.mfa_enrolled = True
        elif params.set_mfa_enrollment == "unenroll":
            member.mfa_enrolled = False
        if params.set_default_mfa or not member.default_mfa_method:
            member.default_mfa_method = "sms_otp"
        member.updated_at = now
        factor = sms_factor(member, now)
        if isinstance(target, IntermediateSession):
            self.sessions.consume_intermediate(target)
            session = self.sessions.start(
                member,
                [*target.factors, factor],
                minutes=params.session_duration_minutes,
                custom_claims=params.session_custom_claims,
            )
        else:
            session = target
            session.factors = [*(f for f in session.factors if not _is_sms(f)), factor]
            self.sessions.touch(session, minutes=params.session_duration_minutes)
            merge_claims(session, params.session_custom_claims)
        jwt = self.sessions.jwt(session, org, member.roles)
        return AuthenticateResult(member=member, organization=org, session=session, session_jwt=jwt)

    def _resolve(
        self, argument: SessionArgument, org: OrganizationRecord, member: MemberRecord
    ) -> IntermediateSession | SessionRecord:
        if argument.kind == "intermediate_session_token":
            return self.sessions.intermediate(argument.value, org, member)
        if argument.kind == "session_token":
            session = self.sessions.by_token(argument.value)
        else:
            session = self.sessions.by_jwt(argument.value)
        self.sessions.check_owner(session, org, member)
        return session

    def _check_lock(self, member: MemberRecord) -> None:
        now = self.clock.now()
        if member.lock_expires_at is None:
            return
        if member.lock_expires_at > now:
            wait = (member.lock_expires_at - now).total_seconds()
            raise EmulatorError("user_lock_limit_reached", retry_after=max(1, math.ceil(wait)))
        member.lock_created_at = member.lock_expires_at = None  # the lock ran out
        member.failed_attempts = 0

    def _check_code(self, member: MemberRecord, code: str) -> None:
        match = next(
            (
                c
                for c in reversed(self._codes.get(member.member_id, ()))
                if hmac.compare_digest(c.code, code)
            ),
            None,
        )
        if match is None:
            self._fail(member, "otp_code_not_found")
        elif match.state != "active" or match.expires_at <= self.clock.now():
            self._fail(member, "unable_to_auth_otp_code")
        else:
            match.state = "used"  # single use

    def _fail(self, member: MemberRecord, error_type: str) -> None:
        member.failed_attempts += 1
        if member.failed_attempts >= self.config.lock_threshold:
            now = self.clock.now()
            member.lock_created_at = now
            member.lock_expires_at = now + timedelta(seconds=self.config.lock_seconds)
            member.updated_at = now
        raise EmulatorError(error_type)

    # For the emulator's Python API ----------------------------------------------------

    def last_code(self, member_id: str) -> str | None:
        """The code of the last SMS to the member, whatever its state."""
        recent = self._codes.get(member_id)
        return recent[-1].code if recent else None


def _require_active(member: MemberRecord, org: OrganizationRecord) -> None:
    if member.status != "active":
        raise EmulatorError("action_available_only_for_active_members")
    restricted = org.mfa_methods == "RESTRICTED" and "sms_otp" not in org.allowed_mfa_methods
    if restricted and not member.is_breakglass:
        raise EmulatorError("operation_restricted_by_organization_mfa_methods")


def _has_mfa_factor(member: MemberRecord) -> bool:
    return member.mfa_phone_number_verified or bool(member.totp_registration_id)


def _is_sms(factor: dict[str, Any]) -> bool:
    return factor.get("type") == "otp" and factor.get("delivery_method") == "sms"
