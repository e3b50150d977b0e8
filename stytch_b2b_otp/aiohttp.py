"""aiohttp: one `StytchB2BClient` per application, through ``cleanup_ctx`` and an ``AppKey``.

```python
from aiohttp import web
from stytch_b2b_otp.aiohttp import get_stytch_client, stytch_cleanup_ctx


async def send_code(request: web.Request) -> web.Response:
    await get_stytch_client(request).otps.sms.send(organization_id=..., member_id=...)
    ...


app = web.Application()
app.cleanup_ctx.append(stytch_cleanup_ctx(timeout=10))  # STYTCH_PROJECT_ID / STYTCH_SECRET
```

The client is made when the application starts and closed when it is cleaned up,
never per request: it owns a pool of connections to Stytch, and a client per request
would pay a TCP and TLS handshake on every call and leave a pool to clean up behind
each one. It is stored under `STYTCH_CLIENT`, a typed ``web.AppKey``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from stytch_b2b_otp import _constants
from stytch_b2b_otp._client import StytchB2BClient

if TYPE_CHECKING:
    import ssl

    import aiohttp

    from stytch_b2b_otp._retry import RetryPolicy

__all__ = ["STYTCH_CLIENT", "get_stytch_client", "stytch_cleanup_ctx"]

STYTCH_CLIENT = web.AppKey("stytch_b2b_otp.client", StytchB2BClient)
"""Where the application's client is stored: ``app[STYTCH_CLIENT]`` is typed."""


def stytch_cleanup_ctx(
    *,
    project_id: str | None = None,
    secret: str | None = None,
    base_url: str | None = None,
    timeout: float | aiohttp.ClientTimeout | None = None,
    retry: RetryPolicy | None = None,
    max_connections: int = _constants.DEFAULT_MAX_CONNECTIONS,
    ssl: ssl.SSLContext | None = None,
    trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` entry that gives the application one client.

    ``app.cleanup_ctx.append(stytch_cleanup_ctx(timeout=10))``. At start-up it creates
    the client and stores it under `STYTCH_CLIENT`; at cleanup it closes it. Cleanup
    contexts unwind in reverse, so one appended after this one can still use the
    client while it shuts down. The options (those of `StytchB2BClient`) are used at
    start-up; credentials default to ``$STYTCH_PROJECT_ID`` and ``$STYTCH_SECRET``,
    read then, so a missing one stops the application from starting.

    Returns:
        The cleanup context. Starting the app raises ``RuntimeError`` if the
        application already has a client (one per application, so that every
        request shares one pool), and ``ValueError`` or ``TypeError`` for a
        missing credential or an invalid option.
    """

    async def stytch_client(app: web.Application) -> AsyncIterator[None]:
        if STYTCH_CLIENT in app:
            raise RuntimeError(
                "this app already has a Stytch client: append stytch_cleanup_ctx() "
                "once per application"
            )
        async with StytchB2BClient(
            project_id,
            secret,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            max_connections=max_connections,
            ssl=ssl,
            trace_configs=trace_configs,
        ) as client:
            # Left in place after cleanup: a started application's state is frozen.
            app[STYTCH_CLIENT] = client
            yield

    return stytch_client


def get_stytch_client(source: web.Request | web.Application) -> StytchB2BClient:
    """The application's client, from a handler's request (or from the app).

    From a request, the client of the application that handles it or, for a
    sub-application, of the first parent that has one (``request.config_dict``), so
    one client can serve a whole tree of applications.

    Raises:
        RuntimeError: No client: `stytch_cleanup_ctx` was not appended to the
            application's ``cleanup_ctx``, or the application has not started.
    """
    if isinstance(source, web.Request):
        client = source.config_dict.get(STYTCH_CLIENT)
    else:
        client = source.get(STYTCH_CLIENT)
    if client is None:
        raise RuntimeError(
            "no Stytch client for this app: append stytch_cleanup_ctx() to "
            "app.cleanup_ctx, and start the app (in tests, through "
            "aiohttp.test_utils.TestServer)"
        )
    return client
