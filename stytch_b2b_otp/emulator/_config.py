"""The emulator's tunable rules, with Stytch's documented values as defaults."""

from __future__ import annotations

from typing import Any, Literal

import attrs

__all__ = ["SUPPORTED_LOCALES", "EmulatorConfig"]

# Stytch's Go SDK (June 2026) lists these 16; its docs name the first four. Matching is
# exact, as the SDKs spell them (``pt-br``, ``de-DE``, ``zh-Hans``).
SUPPORTED_LOCALES = frozenset(
    {"en", "es", "pt-br", "fr", "it", "de-DE", "zh-Hans", "ca-ES"}
    | {"ja", "ru", "nl", "pl", "tr", "fa", "vi", "cs"}
)


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{attribute.name} must be a positive integer")


def _optional_positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ValueError(f"{attribute.name} must be a positive integer or None")


def _countries(value: object) -> frozenset[str]:
    if isinstance(value, str):
        raise ValueError("allowed_countries must be a collection of ISO 3166 codes, not a str")
    codes = frozenset(str(code).upper() for code in value)  # type: ignore[attr-defined]
    if any(len(code) != 2 or not code.isalpha() for code in codes):
        raise ValueError("allowed_countries must hold two-letter ISO 3166 region codes")
    return codes


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """How the emulator behaves. Defaults follow Stytch's documentation.

    Attributes:
        code_ttl_seconds: How long a code is valid (Stytch: 2 minutes).
        intermediate_session_ttl_seconds: Intermediate session lifetime (Stytch: 10 min).
        default_session_minutes: Session length when ``session_duration_minutes`` is not
            given (Stytch: 60).
        jwt_ttl_seconds: Lifetime of each ``session_jwt`` (Stytch: 5 minutes).
        lock_threshold: Consecutive failed authenticates that lock a member (Stytch's
            default: 10).
        lock_seconds: How long the lock lasts (Stytch's default: 1 hour).
        allowed_countries: Regions SMS may go to, decided by parsing the number
            (Stytch's default for new projects: US and Canada).
        sends_per_phone_per_hour: Sends to one number per clock hour; ``None`` turns the
            limit off. Stytch does not publish its number; 10 is the emulator's choice.
            Windows start at the top of the hour, as Stytch's do.
        reserved_claims: ``"error"`` rejects reserved custom claims (Stytch's sessions
            guide); ``"ignore"`` drops them silently (its API reference).
        require_session_for_verified_members: Refuse a send without a session argument
            to a member who already has a verified phone (Stytch's anti-bypass rule).
        supported_locales: Locales accepted on send.
    """

    code_ttl_seconds: int = attrs.field(default=120, validator=_positive)
    intermediate_session_ttl_seconds: int = attrs.field(default=600, validator=_positive)
    default_session_minutes: int = attrs.field(default=60, validator=_positive)
    jwt_ttl_seconds: int = attrs.field(default=300, validator=_positive)
    lock_threshold: int = attrs.field(default=10, validator=_positive)
    lock_seconds: int = attrs.field(default=3600, validator=_positive)
    allowed_countries: frozenset[str] = attrs.field(
        default=frozenset({"US", "CA"}), converter=_countries
    )
    sends_per_phone_per_hour: int | None = attrs.field(default=10, validator=_optional_positive)
    reserved_claims: Literal["error", "ignore"] = attrs.field(
        default="error", validator=attrs.validators.in_(("error", "ignore"))
    )
    require_session_for_verified_members: bool = True
    supported_locales: frozenset[str] = attrs.field(default=SUPPORTED_LOCALES, converter=frozenset)
