"""The error tree: everything the SDK raises on purpose derives from `StytchError`.

```
StytchError
├── RequestValidationError(ValueError)   bad input, raised before any I/O
├── ClientClosedError                    used after close()
└── APIError                             something went wrong talking to Stytch
    ├── APIConnectionError               no usable reply (cause chained)
    │   └── APITimeoutError
    ├── InvalidResponseError             a reply that is not what Stytch sends
    └── APIStatusError                   Stytch replied with an error status
        ├── BadRequestError          400
        ├── AuthenticationError      401
        ├── PermissionDeniedError    403
        ├── NotFoundError            404
        ├── ConflictError            409
        ├── RateLimitError           429
        └── InternalServerError      >= 500
```

Messages never carry a secret, a code or a token: they are built from Stytch's
error fields, status codes, request ids and endpoint paths only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "InternalServerError",
    "InvalidResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "StytchError",
]


def _rebuild(cls: type[StytchError], args: tuple[Any, ...], state: dict[str, Any]) -> StytchError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class StytchError(Exception):
    """Base of every error the SDK raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors break Exception's default pickling; workers that
        # ship errors between processes (multiprocessing, task queues) need this.
        return (_rebuild, (type(self), self.args, self.__dict__))


# --- raised before any I/O ---------------------------------------------------------


class RequestValidationError(StytchError, ValueError):
    """A request argument is invalid; nothing was sent.

    Attributes:
        field: The name of the offending argument, e.g. ``"mfa_phone_number"``.
        reason: What is wrong with it (never the value itself).
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ClientClosedError(StytchError):
    """The client (or the aiohttp session it borrowed) was closed before this call."""


# --- talking to Stytch -------------------------------------------------------------


class APIError(StytchError):
    """Something went wrong talking to Stytch.

    Attributes:
        message: The human-readable description (also ``str(error)``).
        endpoint: The API path that was called, e.g. ``"/v1/b2b/otps/sms/send"``.
    """

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint


class APIConnectionError(APIError):
    """No usable reply arrived: the connection failed, broke, or timed out.

    The aiohttp exception is chained as ``__cause__``.

    Attributes:
        request_sent: ``False`` when the failure happened before any byte of the
            request was written (it cannot have been processed), ``True`` when the
            request may have reached Stytch: a send may have texted the member and an
            authenticate may have consumed the code.
    """

    def __init__(self, message: str, *, endpoint: str | None = None, request_sent: bool) -> None:
        super().__init__(message, endpoint=endpoint)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """A timeout expired: connecting, waiting for a pooled connection, or reading."""


class InvalidResponseError(APIError):
    """A reply that is not what Stytch sends: not JSON, wrong shape, field missing.

    The message names the offending field (``$.member.member_id``). The body itself
    is not kept, because a success reply carries session tokens.

    Attributes:
        status_code: The HTTP status of the reply.
        request_id: Stytch's request id, when the body had one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.status_code = status_code
        self.request_id = request_id


class APIStatusError(APIError):
    """Stytch (or something in front of it) replied with an error status.

    Attributes:
        status_code: The HTTP status.
        request_id: Stytch's ``request_id``; ``None`` when the body was not Stytch's.
        error_type: Stytch's machine-readable error, e.g. ``"otp_code_not_found"``;
            ``None`` when the body was not Stytch's (a proxy's HTML page).
        error_message: Stytch's human-readable explanation.
        error_url: A link to Stytch's documentation of the error.
        error_details: Extra structured details some errors carry.
        body: The decoded JSON error body, or a short excerpt of a non-JSON body.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        endpoint: str | None = None,
        request_id: str | None = None,
        error_type: str | None = None,
        error_message: str | None = None,
        error_url: str | None = None,
        error_details: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.status_code = status_code
        self.request_id = request_id
        self.error_type = error_type
        self.error_message = error_message
        self.error_url = error_url
        self.error_details = error_details
        self.body = body


class BadRequestError(APIStatusError):
    """400: the request was rejected as invalid (e.g. ``invalid_phone_number``)."""


class AuthenticationError(APIStatusError):
    """401: bad credentials, or a code that expired or was already used."""


class PermissionDeniedError(APIStatusError):
    """403: the operation is not allowed for this project, organization or member."""


class NotFoundError(APIStatusError):
    """404: an unknown organization, member, session, or a wrong code."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state."""


class RateLimitError(APIStatusError):
    """429: rate limited, or the member is locked after repeated failures.

    Attributes:
        retry_after: Seconds to wait, from the ``Retry-After`` header; ``None``
            when the reply did not say.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        retry_after: float | None = None,
        endpoint: str | None = None,
        request_id: str | None = None,
        error_type: str | None = None,
        error_message: str | None = None,
        error_url: str | None = None,
        error_details: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | str | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            endpoint=endpoint,
            request_id=request_id,
            error_type=error_type,
            error_message=error_message,
            error_url=error_url,
            error_details=error_details,
            body=body,
        )
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: Stytch (or a proxy in front of it) failed."""
