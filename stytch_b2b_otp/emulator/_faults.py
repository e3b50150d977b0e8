"""Faults injected on purpose: error replies, delays, dropped connections, broken bodies."""

from __future__ import annotations

from typing import Literal

import attrs

from stytch_b2b_otp.emulator._catalogue import ERROR_CATALOGUE, default_error_type

__all__ = ["ENDPOINTS", "Fault", "FaultPlan"]

Endpoint = Literal["send", "authenticate"]
ENDPOINTS: tuple[Endpoint, ...] = ("send", "authenticate")


_MAX_DELAY = 600.0  # a fault slows a test down; it never hangs one


def _delay(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{attribute.name} must be a number of seconds from 0 to 600")
    if not 0 <= value <= _MAX_DELAY:
        raise ValueError(f"{attribute.name} must be a number of seconds from 0 to 600")


def _endpoint(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {', '.join(ENDPOINTS)}")


@attrs.define(kw_only=True)
class Fault:
    """One planned misbehaviour of an endpoint, for its next ``times`` calls.

    Attributes:
        endpoint: ``"send"`` or ``"authenticate"``.
        status: Reply with this HTTP status and Stytch's error body.
        error_type: The body's ``error_type`` (default: the catalogue's type for
            ``status``; with only ``error_type``, the catalogue's status).
        retry_after: A ``Retry-After`` header: seconds, or an HTTP-date string.
        delay: Seconds to wait before answering (or before dropping).
        drop: Close the connection without any reply.
        malformed: Reply 200 with a body that is not valid JSON.
        after_processing: Apply the request to the emulator's state first (a code is
            sent, a session issued), then misbehave: the reply is lost, the work is done.
        times: How many calls it applies to; ``None`` for every call until cleared.
    """

    endpoint: Endpoint = attrs.field(validator=_endpoint)
    status: int | None = None
    error_type: str | None = None
    retry_after: float | str | None = None
    delay: float = attrs.field(default=0.0, validator=_delay)
    drop: bool = False
    malformed: bool = False
    after_processing: bool = False
    times: int | None = 1

    def __attrs_post_init__(self) -> None:
        if self.status is not None and not (
            isinstance(self.status, int) and 400 <= self.status <= 599
        ):
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.status is None and self.error_type not in (None, *ERROR_CATALOGUE):
            raise ValueError(
                f"error_type {self.error_type!r} is not in the catalogue: give its status too"
            )
        if not _valid_retry_after(self.retry_after):
            raise ValueError("retry_after must be seconds >= 0 or an HTTP-date string")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 1):
            raise ValueError("times must be a positive integer or None")
        if sum((self.drop, self.malformed, self.replies_error)) > 1:
            raise ValueError("choose one of status/error_type, drop and malformed")
        if not (self.drop or self.malformed or self.replies_error or self.delay):
            raise ValueError("a fault needs status, error_type, delay, drop or malformed")

    @property
    def replies_error(self) -> bool:
        """Whether the fault answers with an error body."""
        return self.status is not None or self.error_type is not None

    def error(self) -> tuple[int, str, str]:
        """Status, error_type and message of the error reply."""
        error_type = self.error_type or default_error_type(self.status or 500)
        spec = ERROR_CATALOGUE.get(error_type)
        status = self.status or (spec.status if spec else 500)
        message = spec.message if spec else f"Injected fault: {error_type}."
        return status, error_type, message


def _valid_retry_after(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return bool(value) and value.isprintable()  # a header value: no CR, LF or NUL
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return 0 <= value < float("inf")


class FaultPlan:
    """The faults waiting for each endpoint, applied first come, first served."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault behind those already planned for its endpoint."""
        self._faults.append(fault)

    def take(self, endpoint: str) -> Fault | None:
        """The fault for this call of ``endpoint``, if one is planned (uses one of its times)."""
        for fault in self._faults:
            if fault.endpoint == endpoint:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Forget every planned fault."""
        self._faults.clear()
