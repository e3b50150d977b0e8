"""`StytchB2BClient`: the async session manager, and the retry loop every call runs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

from stytch_b2b_otp import _constants
from stytch_b2b_otp._config import authorization_header, resolve_base_url, resolve_credential
from stytch_b2b_otp._exceptions import (
    ClientClosedError,
    InvalidResponseError,
    RateLimitError,
    StytchError,
)
from stytch_b2b_otp._otp_sms import Otps
from stytch_b2b_otp._redact import printable_excerpt
from stytch_b2b_otp._replies import read_error, read_success
from stytch_b2b_otp._retry import Failure, FailureKind, RetryDecision, RetryPolicy
from stytch_b2b_otp._transport import Reply, Transport, TransportError, resolve_timeout

if TYPE_CHECKING:
    import ssl

    import aiohttp

    from stytch_b2b_otp._bulk import Pacer

__all__ = ["StytchB2BClient"]

logger = logging.getLogger("stytch_b2b_otp")

_NOT_RETRIED = RetryDecision(
    retry=False, delay=0.0, reason="a 2xx reply that cannot be read is never retried"
)


class _Request(Protocol):
    def _body(self) -> bytes: ...
    def _secrets(self) -> tuple[str, ...]: ...


class _Response(Protocol):
    @property
    def request_id(self) -> str: ...


R = TypeVar("R", bound=_Response)


class StytchB2BClient:
    """An async client for Stytch's B2B SMS OTP API, owning one connection pool.

    Create one per application (for example in a FastAPI lifespan), share it
    between requests and tasks, and close it at shutdown:

    ```python
    async with StytchB2BClient() as client:
        await client.otps.sms.send(organization_id=..., member_id=...)
    ```

    Nothing is created or connected in ``__init__``: the ``aiohttp.ClientSession``
    (one ``TCPConnector`` with ``max_connections``) is created on first use,
    inside the running event loop, which it then belongs to.

    Args:
        project_id: Your Stytch project id; default ``$STYTCH_PROJECT_ID``.
        secret: Your Stytch project secret; default ``$STYTCH_SECRET``.
        base_url: Where to send requests. Default: ``https://api.stytch.com``
            for ``project-live-*`` ids, ``https://test.stytch.com`` otherwise. A
            custom domain must be ``https://``; ``http://`` is accepted only for
            loopback hosts (the emulator).
        timeout: Per attempt. ``None``: 41 s in all, of which at most 10 s to get
            a connection (pool wait included; 5 s for TCP + TLS), so Stytch (which
            gives up after about 30 s) always has at least 31 s to answer. A
            number bounds the whole attempt, and getting a
            connection may take half of it (at most 10 s). An
            ``aiohttp.ClientTimeout`` is used as given; keep its ``connect`` below
            its ``total``, so a call stuck in the pool counts as never sent.
        retry: The retry policy; ``None`` is ``RetryPolicy()``, which retries only
            what Stytch cannot have processed.
        max_connections: Size of the owned connection pool (ignored with
            ``session=``, whose connector decides).
        session: A borrowed ``aiohttp.ClientSession`` to send through; the
            client never closes it, and its connector and proxy settings apply.
            It must not have ``auth`` or a ``base_url`` of its own.
        ssl: An ``ssl.SSLContext`` for verifying Stytch (e.g. a corporate CA).
            Verification is always on.
        trace_configs: aiohttp ``TraceConfig``s for the owned session
            (observability: timings, pool waits).

    Raises:
        ValueError: A credential is missing, empty or has control characters
            (the message names the variable), or an option is invalid.
        TypeError: ``session``, ``ssl``, ``retry``, ``timeout`` or ``trace_configs``
            has the wrong type.
    """

    def __init__(
        self,
        project_id: str | None = None,
        secret: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | aiohttp.ClientTimeout | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int = _constants.DEFAULT_MAX_CONNECTIONS,
        session: aiohttp.ClientSession | None = None,
        ssl: ssl.SSLContext | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
    ) -> None:
        project_id = resolve_credential(
            project_id, argument="project_id", env=_constants.PROJECT_ID_ENV
        )
        secret = resolve_credential(secret, argument="secret", env=_constants.SECRET_ENV)
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise TypeError("max_connections must be an int")
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._project_id = project_id
        self._base_url = resolve_base_url(project_id, base_url)
        self._timeout = resolve_timeout(timeout)
        self._retry = _check_retry(retry)
        self._transport = Transport(
            base_url=self._base_url,
            authorization=authorization_header(project_id, secret),
            max_connections=max_connections,
            ssl=ssl,
            trace_configs=trace_configs,
            session=session,
        )
        self.otps = Otps(self)
        """One-time passcodes: ``client.otps.sms.send`` and ``.authenticate``."""

    @property
    def project_id(self) -> str:
        """The Stytch project id."""
        return self._project_id

    @property
    def base_url(self) -> str:
        """The resolved base URL, e.g. ``https://test.stytch.com``."""
        return self._base_url

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        """The per-attempt timeout this client (or view) uses."""
        return self._timeout

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy this client (or view) uses."""
        return self._retry

    @property
    def closed(self) -> bool:
        """Whether `close` was called (on this client or any view of it)."""
        return self._transport.closed

    def with_options(
        self,
        *,
        timeout: float | aiohttp.ClientTimeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> StytchB2BClient:
        """A view of this client with other options, sharing its connection pool.

        Views are cheap: make one per call site if you like
        (``client.with_options(timeout=2).otps.sms.send(...)``). An option left
        as ``None`` keeps this client's value. Closing a view closes the shared
        pool, like closing the client.

        Raises:
            ValueError: ``timeout`` is not a positive number of seconds.
            TypeError: ``timeout`` is not a number or an ``aiohttp.ClientTimeout``,
                or ``retry`` is not a `RetryPolicy`.
        """
        view = object.__new__(type(self))
        view._project_id = self._project_id
        view._base_url = self._base_url
        view._timeout = self._timeout if timeout is None else resolve_timeout(timeout)
        view._retry = self._retry if retry is None else _check_retry(retry)
        view._transport = self._transport
        view.otps = Otps(view)
        return view

    async def close(self) -> None:
        """Close the connection pool the client created; idempotent.

        A borrowed ``session=`` is left open. Calls made afterwards raise
        `ClientClosedError`.

        Raises:
            RuntimeError: The pool was opened in another event loop; close the client
                in the loop that used it.
        """
        await self._transport.close()

    async def __aenter__(self) -> StytchB2BClient:
        if self.closed:
            raise ClientClosedError("this StytchB2BClient was closed; create a new one")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"StytchB2BClient(project_id={self._project_id!r}, base_url={self._base_url!r})"

    async def _call(
        self, path: str, request: _Request, response_type: type[R], *, pacer: Pacer | None = None
    ) -> R:
        """POST ``request`` to ``path`` under the retry policy; the typed reply.

        A ``pacer`` (bulk sends) spaces the attempts and is told about 429s, so
        that one rate-limited reply pauses the whole batch.
        """
        body = request._body()
        attempt = 0
        while True:
            attempt += 1
            if pacer is not None:
                await pacer.wait()
            started = time.perf_counter()
            try:
                reply = await self._transport.post(path, body, self._timeout)
            except TransportError as failure:
                error: StytchError = failure.error
                cause = failure.__cause__
                status = None
                decision = self._retry.decide(attempt, Failure(failure.kind))
            else:
                status = reply.status
                if 200 <= status < 300:
                    try:
                        result = self._read_success(reply, path, response_type)
                    except InvalidResponseError as invalid:
                        # Logged like every other attempt, then raised: never retried.
                        self._log_attempt(
                            path, attempt, started, status, invalid.request_id, _NOT_RETRIED
                        )
                        raise
                    self._log_attempt(path, attempt, started, status, result.request_id, None)
                    return result
                error = read_error(
                    status,
                    reply.headers,
                    reply.body,
                    endpoint=path,
                    truncated=reply.truncated,
                    cut_off=reply.cut_off,
                    # Redacted wherever the body echoes them.
                    secrets=(*self._transport.credentials(), *request._secrets()),
                )
                cause = None
                decision = self._retry.decide(
                    attempt, Failure(FailureKind.STATUS, status), reply.headers
                )
            request_id = getattr(error, "request_id", None)
            self._log_attempt(path, attempt, started, status, request_id, decision)
            if pacer is not None and isinstance(error, RateLimitError):
                pacer.rate_limited(error, decision.delay if decision.retry else None)
            if not decision.retry:
                raise error from cause
            logger.info(
                "[%s] POST %s attempt %d failed (%s); retrying in %.2fs: %s",
                self._project_id,
                path,
                attempt,
                error,
                decision.delay,
                decision.reason,
                extra={
                    "stytch_project_id": self._project_id,
                    "stytch_endpoint": path,
                    "stytch_attempt": attempt,
                    "stytch_retry_delay": decision.delay,
                },
            )
            await asyncio.sleep(decision.delay)

    @staticmethod
    def _read_success(reply: Reply, path: str, response_type: type[R]) -> R:
        if reply.truncated:
            raise InvalidResponseError(
                f"Stytch's {reply.status} reply to {path} exceeds "
                f"{_constants.MAX_REPLY_BYTES} bytes; it was not read further",
                status_code=reply.status,
                endpoint=path,
            )
        return read_success(reply.body, response_type, status=reply.status, endpoint=path)

    def _log_attempt(
        self,
        path: str,
        attempt: int,
        started: float,
        status: int | None,
        request_id: str | None,
        decision: RetryDecision | None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        # Off the wire: a hostile request_id must not forge log lines.
        shown_request_id = None if request_id is None else printable_excerpt(request_id, 100)
        logger.debug(
            "[%s] POST %s attempt %d: %s in %.1f ms [request_id: %s]%s",
            self._project_id,
            path,
            attempt,
            status if status is not None else "no reply",
            elapsed_ms,
            shown_request_id,
            "" if decision is None else f"; retry: {decision.retry} ({decision.reason})",
            extra={
                "stytch_project_id": self._project_id,
                "stytch_endpoint": path,
                "stytch_attempt": attempt,
                "stytch_status": status,
                "stytch_request_id": shown_request_id,
                "stytch_elapsed_ms": elapsed_ms,
                "stytch_retry": None if decision is None else decision.retry,
            },
        )


def _check_retry(retry: RetryPolicy | None) -> RetryPolicy:
    if retry is None:
        return RetryPolicy()
    if not isinstance(retry, RetryPolicy):
        raise TypeError("retry must be a RetryPolicy or None")
    return retry
