"""FastAPI: one `StytchB2BClient` for the application's lifespan, handed to handlers.

```python
from fastapi import FastAPI
from stytch_b2b_otp.fastapi import StytchClient, stytch_lifespan

app = FastAPI(lifespan=stytch_lifespan(timeout=10))  # STYTCH_PROJECT_ID / STYTCH_SECRET


@app.post("/mfa/sms/send")
async def send_code(stytch: StytchClient) -> None:
    await stytch.otps.sms.send(organization_id=..., member_id=...)
```

The client is made when the application starts and closed when it stops, never per
request: it owns a pool of connections to Stytch, and a client per request would pay a
TCP and TLS handshake on every call and leave a pool to clean up behind each one. An
application with a lifespan of its own enters `stytch_client_context` inside it.

FastAPI is an optional extra (``pip install 'stytch-b2b-otp[fastapi]'``), imported by
this module only: ``import stytch_b2b_otp`` never loads it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Annotated

try:
    from fastapi import Depends, FastAPI, Request
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"stytch_b2b_otp.fastapi needs the 'fastapi' extra ({exc.name} is missing): "
        "pip install 'stytch-b2b-otp[fastapi]'",
        name=exc.name,
    ) from exc

from stytch_b2b_otp import _constants
from stytch_b2b_otp._client import StytchB2BClient

if TYPE_CHECKING:
    import ssl

    import aiohttp

    from stytch_b2b_otp._retry import RetryPolicy

__all__ = ["StytchClient", "get_stytch_client", "stytch_client_context", "stytch_lifespan"]

# On ``app.state`` rather than in lifespan state, so that both ways in (our lifespan,
# or our context manager inside yours) store it the same way, in one place.
_STATE_ATTRIBUTE = "stytch_b2b_otp_client"


@asynccontextmanager
async def stytch_client_context(
    app: FastAPI,
    *,
    project_id: str | None = None,
    secret: str | None = None,
    base_url: str | None = None,
    timeout: float | aiohttp.ClientTimeout | None = None,
    retry: RetryPolicy | None = None,
    max_connections: int = _constants.DEFAULT_MAX_CONNECTIONS,
    ssl: ssl.SSLContext | None = None,
    trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
) -> AsyncIterator[StytchB2BClient]:
    """Give ``app`` a client for the duration of the block, then close it.

    For an application with a lifespan of its own: enter it there, next to your
    database pool, and handlers get the client through `StytchClient`:

    ```python
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with stytch_client_context(app, timeout=10):
            yield
    ```

    The client is created on entry, so a missing credential stops the application
    from starting rather than failing its first request. The options are those of
    `StytchB2BClient`; credentials default to ``$STYTCH_PROJECT_ID`` and
    ``$STYTCH_SECRET``, read on entry.

    Yields:
        The client, also handed to handlers until the block ends.

    Raises:
        RuntimeError: ``app`` already has a client: one per application, so that
            every request shares one connection pool.
        ValueError: A credential is missing or invalid, or an option is invalid.
        TypeError: An option has the wrong type.
    """
    if isinstance(getattr(app.state, _STATE_ATTRIBUTE, None), StytchB2BClient):
        raise RuntimeError(
            "this app already has a Stytch client: use stytch_lifespan() or "
            "stytch_client_context(app) once per application"
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
        setattr(app.state, _STATE_ATTRIBUTE, client)
        try:
            yield client
        finally:
            # Forgotten before it is closed: a late request is told the app has no
            # client, rather than getting a closed one.
            delattr(app.state, _STATE_ATTRIBUTE)


def stytch_lifespan(
    *,
    project_id: str | None = None,
    secret: str | None = None,
    base_url: str | None = None,
    timeout: float | aiohttp.ClientTimeout | None = None,
    retry: RetryPolicy | None = None,
    max_connections: int = _constants.DEFAULT_MAX_CONNECTIONS,
    ssl: ssl.SSLContext | None = None,
    trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan for ``FastAPI(lifespan=...)`` that gives the app one client.

    For an application with no lifespan of its own; otherwise enter
    `stytch_client_context` in yours. The options (those of `StytchB2BClient`) are
    used when the application starts, once; credentials default to
    ``$STYTCH_PROJECT_ID`` and ``$STYTCH_SECRET``, read then.

    Returns:
        The lifespan. Starting the app raises what `stytch_client_context` raises.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with stytch_client_context(
            app,
            project_id=project_id,
            secret=secret,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            max_connections=max_connections,
            ssl=ssl,
            trace_configs=trace_configs,
        ):
            yield

    return lifespan


async def get_stytch_client(request: Request) -> StytchB2BClient:
    """The application's client: the dependency behind `StytchClient`.

    An ``async def`` so that FastAPI calls it in the event loop, not in a thread.

    Raises:
        RuntimeError: The app has no client: neither `stytch_lifespan` nor
            `stytch_client_context` is running for it. In tests, note that
            ``httpx.ASGITransport`` does not run lifespans: enter
            ``app.router.lifespan_context(app)`` around the requests.
    """
    client = getattr(request.app.state, _STATE_ATTRIBUTE, None)
    if not isinstance(client, StytchB2BClient):
        raise RuntimeError(
            "no Stytch client for this app: its lifespan is not running. Pass "
            "lifespan=stytch_lifespan() to FastAPI(), or enter stytch_client_context(app) "
            "in your own lifespan. In tests, run the lifespan too (httpx.ASGITransport "
            "does not): async with app.router.lifespan_context(app): ..."
        )
    return client


StytchClient = Annotated[StytchB2BClient, Depends(get_stytch_client)]
"""The application's client, for a handler's parameters:

```python
@app.post("/mfa/sms/verify")
async def verify_code(stytch: StytchClient) -> ...: ...
```

The same client for every request, for as long as the application runs. An alias for
``Annotated[StytchB2BClient, Depends(get_stytch_client)]``.
"""
