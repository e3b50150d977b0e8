"""The only module that talks aiohttp: the pool, one HTTP attempt, exception mapping.

aiohttp's exceptions become the SDK's in `_map_failure`, and nowhere else.

A `Transport` is shared by a client and all its ``with_options`` views. It creates
its ``aiohttp.ClientSession`` (one ``TCPConnector`` with the pool limit) lazily, on
first use, inside the running loop, and closes only a session it created.
"""

from __future__ import annotations

import asyncio
import base64
import math
import platform
import ssl as _ssl
from collections.abc import Mapping, Sequence

import aiohttp
import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from stytch_b2b_otp import _constants
from stytch_b2b_otp._exceptions import APIConnectionError, APITimeoutError, ClientClosedError
from stytch_b2b_otp._redact import printable_excerpt
from stytch_b2b_otp._retry import FailureKind
from stytch_b2b_otp._version import __version__

__all__ = ["DEFAULT_TIMEOUT", "Reply", "Transport", "TransportError", "resolve_timeout"]

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(
    total=_constants.DEFAULT_TOTAL_TIMEOUT,
    connect=_constants.DEFAULT_CONNECT_TIMEOUT,
    sock_connect=_constants.DEFAULT_SOCK_CONNECT_TIMEOUT,
)

USER_AGENT = (
    f"stytch-b2b-otp/{__version__} Python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
)


def resolve_timeout(value: float | aiohttp.ClientTimeout | None) -> aiohttp.ClientTimeout:
    """The per-attempt timeout for a ``timeout=`` argument.

    ``None`` gives `DEFAULT_TIMEOUT`. A number of seconds bounds the whole attempt;
    getting a connection (pool wait included) may take at most half of it, up to the
    default's 10 s, so a call stuck in the pool times out as "never sent" (and may be
    retried) rather than as "may have been processed". An ``aiohttp.ClientTimeout``
    is used as given: keep its ``connect`` below ``total`` for the same reason.

    Raises:
        TypeError: Neither a number, an ``aiohttp.ClientTimeout`` nor ``None``.
        ValueError: Not a positive, finite number of seconds.
    """
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, aiohttp.ClientTimeout):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("timeout must be seconds (a number), an aiohttp.ClientTimeout, or None")
    if not value > 0 or math.isinf(value):
        raise ValueError("timeout must be a positive, finite number of seconds")
    seconds = float(value)
    return aiohttp.ClientTimeout(
        total=seconds,
        connect=min(seconds / 2, _constants.DEFAULT_CONNECT_TIMEOUT),
        sock_connect=min(seconds / 2, _constants.DEFAULT_SOCK_CONNECT_TIMEOUT),
    )


@attrs.frozen
class Reply:
    """One HTTP reply, fully read.

    Or cut at the size limit (``truncated``); or, for an error status, with a body
    that could not be read (``cut_off``, ``body`` empty).
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    truncated: bool = False
    cut_off: bool = False


class TransportError(Exception):
    """One attempt failed before a reply: what kind of failure, and the error to raise."""

    def __init__(self, kind: FailureKind, error: APIConnectionError) -> None:
        super().__init__(error.message)
        self.kind = kind
        self.error = error


class Transport:
    """The pooled aiohttp session (owned or borrowed) and single POST attempts."""

    def __init__(
        self,
        *,
        base_url: str,
        authorization: str,
        max_connections: int,
        ssl: _ssl.SSLContext | None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None,
        session: aiohttp.ClientSession | None,
    ) -> None:
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise TypeError("session must be an aiohttp.ClientSession or None")
        if ssl is not None and not isinstance(ssl, _ssl.SSLContext):
            raise TypeError("ssl must be an ssl.SSLContext or None")
        if session is not None and session.auth is not None:
            raise ValueError(
                "the session passed as session= has auth= set; the client sends its own "
                "Authorization header, so pass a session without auth"
            )
        # aiohttp before 3.11 cannot send an absolute URL through a session with a base_url.
        if session is not None and getattr(session, "_base_url", None) is not None:
            raise ValueError("the session passed as session= must not have a base_url")
        traces = _trace_list(trace_configs)
        if session is not None and traces:
            raise ValueError(
                "trace_configs apply to the session the client creates; with session=, "
                "add them to your own aiohttp.ClientSession instead"
            )
        self._base_url = base_url
        self._max_connections = max_connections
        self._ssl = ssl
        # An owned session has the context on its connector; a borrowed one gets it
        # on each request.
        self._request_ssl: _ssl.SSLContext | bool = (
            ssl if ssl is not None and session is not None else True
        )
        self._trace_configs = traces
        self._session = session
        self._owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._urls: dict[str, URL] = {}
        self._headers = CIMultiDictProxy(
            CIMultiDict(
                {
                    "Authorization": authorization,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "User-Agent": USER_AGENT,
                }
            )
        )

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed

    def credentials(self) -> tuple[str, ...]:
        """The secret, and the Basic token it travels in: for `_redact.scrub` only."""
        token = self._headers["Authorization"].removeprefix("Basic ")
        secret = base64.b64decode(token).decode().partition(":")[2]
        return secret, token

    @property
    def pool_size(self) -> int | None:
        """How many requests the pool runs at once (``None``: no limit)."""
        if self._owns_session:
            return self._max_connections
        connector = self._session.connector if self._session is not None else None
        limits = [
            n
            for n in (getattr(connector, "limit", 0), getattr(connector, "limit_per_host", 0))
            if n
        ]
        return min(limits) if limits else None

    @property
    def owns_session(self) -> bool:
        """Whether the session is the transport's own (and closed by it)."""
        return self._owns_session

    def _url(self, path: str) -> URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = URL(self._base_url + path)
        return url

    def _session_for_call(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this StytchB2BClient was closed; create a new one")
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None:
            session = self._session = self._create_session()
            self._loop = loop
        elif self._owns_session:
            if loop is not self._loop:
                self._check_loop(loop)
        elif session.closed:
            raise ClientClosedError(
                "the aiohttp.ClientSession passed as session= was closed by its owner"
            )
        elif getattr(session, "_loop", loop) is not loop:
            raise RuntimeError(
                "the aiohttp.ClientSession passed as session= belongs to another event "
                "loop; a session (and a client borrowing it) works in the loop it was made in"
            )
        return session

    def _check_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:
            raise RuntimeError(
                "this StytchB2BClient's connection pool belongs to another event loop; "
                "create one client per event loop (for example in your app's lifespan), "
                "and close it in that loop"
            )

    def _create_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            ssl=self._ssl if self._ssl is not None else True,
        )
        return aiohttp.ClientSession(
            connector=connector,
            # A server-to-server API client must not carry cookies between calls.
            cookie_jar=aiohttp.DummyCookieJar(),
            trace_configs=self._trace_configs or None,
        )

    async def post(self, path: str, body: bytes, timeout: aiohttp.ClientTimeout) -> Reply:
        """Send one POST and read the whole reply (at most `MAX_REPLY_BYTES`).

        Raises:
            ClientClosedError: The client, or the borrowed session, was closed.
            TransportError: No reply; carries the kind and the error to raise.
        """
        session = self._session_for_call()
        try:
            async with session.post(
                self._url(path),
                data=body,
                headers=self._headers,
                timeout=timeout,
                allow_redirects=False,
                # A borrowed session's own settings must not change how replies are read.
                raise_for_status=False,
                auto_decompress=True,
                ssl=self._request_ssl,
            ) as response:
                try:
                    length = response.content_length
                    if (
                        length is not None
                        and length <= _constants.MAX_REPLY_BYTES
                        and "Content-Encoding" not in response.headers
                    ):  # the usual reply: its size known, and small enough to read at once
                        return Reply(response.status, response.headers, await response.read())
                    payload, truncated = await _read_limited(response, _constants.MAX_REPLY_BYTES)
                    return Reply(response.status, response.headers, payload, truncated)
                except aiohttp.ClientError as exc:
                    if (
                        200 <= response.status < 300
                        or isinstance(exc, asyncio.TimeoutError)
                        or self._closed
                    ):
                        raise
                    # An error status arrived whole and only its body could not be read
                    # (cut off, or badly encoded): the status alone decides the error (a
                    # 429 keeps its Retry-After).
                    return Reply(response.status, response.headers, b"", cut_off=True)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            if self._closed:
                raise ClientClosedError(
                    "the client was closed while this call was running"
                ) from None
            kind, error = _map_failure(exc, path, timeout)
            raise TransportError(kind, error) from _without_credentials(exc)

    async def close(self) -> None:
        """Close the owned session and its connections; idempotent.

        Raises:
            RuntimeError: The pool was opened in another event loop, still running,
                which alone can close its connections.
        """
        if self._closed:
            return
        if self._session is not None and self._owns_session:
            if self._loop is not None and self._loop.is_closed():
                # Its loop is gone, and its sockets with it: nothing is left to close.
                self._closed = True
                self._session = None
                return
            self._check_loop(asyncio.get_running_loop())
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()


def _trace_list(trace_configs: object) -> list[aiohttp.TraceConfig]:
    """``trace_configs`` as a list, checked now rather than at the first call.

    Raises:
        TypeError: Not a sequence of ``aiohttp.TraceConfig`` (a single one included).
    """
    if trace_configs is None:
        return []
    if not isinstance(trace_configs, Sequence) or not all(
        isinstance(trace, aiohttp.TraceConfig) for trace in trace_configs
    ):
        raise TypeError("trace_configs must be a sequence of aiohttp.TraceConfig objects")
    traces: list[aiohttp.TraceConfig] = list(trace_configs)
    return traces


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    # Size unknown, too large, or compressed (the decoded size is what counts): read
    # in chunks and stop at the limit, dropping the connection instead of reading on.
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: len(chunk) - (size - limit)])
            response.close()
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


def _map_failure(
    exc: BaseException, path: str, timeout: aiohttp.ClientTimeout
) -> tuple[FailureKind, APIConnectionError]:
    """The one place aiohttp's exceptions become the SDK's."""
    where = f"POST {path}"
    if isinstance(
        exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ServerFingerprintMismatch)
    ):
        return FailureKind.TLS, APIConnectionError(
            f"Stytch's TLS certificate could not be verified [{where}]",
            endpoint=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ClientSSLError):  # a handshake cut short: transient
        return FailureKind.CONNECT, APIConnectionError(
            f"the TLS handshake failed ({type(exc.os_error).__name__}) [{where}]",
            endpoint=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):  # the tunnel was refused
        return FailureKind.CONNECT, APIConnectionError(
            f"the proxy refused to open a tunnel to Stytch ({exc.status} "
            f"{printable_excerpt(exc.message, 100)}); the request was not sent [{where}]",
            endpoint=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FailureKind.CONNECT, APIConnectionError(
            f"could not connect to {exc.host}:{exc.port} "
            f"({exc.os_error.strerror or type(exc.os_error).__name__}) [{where}]",
            endpoint=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return FailureKind.CONNECT_TIMEOUT, APITimeoutError(
            f"no connection within {timeout.connect}s (pool wait included); "
            f"the request was not sent [{where}]",
            endpoint=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return FailureKind.TIMEOUT, APITimeoutError(
            f"no data from Stytch for {timeout.sock_read}s; the request may have been "
            f"processed [{where}]",
            endpoint=path,
            request_sent=True,
        )
    if isinstance(exc, asyncio.TimeoutError):
        return FailureKind.TIMEOUT, APITimeoutError(
            f"the call took longer than {timeout.total}s; the request may have been "
            f"processed [{where}]",
            endpoint=path,
            request_sent=True,
        )
    return FailureKind.DISCONNECT, APIConnectionError(
        f"the connection failed after the request was sent ({type(exc).__name__}); "
        f"the request may have been processed [{where}]",
        endpoint=path,
        request_sent=True,
    )


def _without_credentials(exc: BaseException) -> BaseException:
    """``exc``, or a copy without the request headers (and their Authorization)."""
    if not isinstance(exc, aiohttp.ClientResponseError):
        return exc
    info = exc.request_info
    clean = aiohttp.RequestInfo(
        info.url, info.method, CIMultiDictProxy(CIMultiDict()), info.real_url
    )
    copy = type(exc)(
        clean, exc.history, status=exc.status, message=exc.message, headers=exc.headers
    )
    return copy.with_traceback(exc.__traceback__)
