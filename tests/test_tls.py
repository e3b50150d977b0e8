"""TLS against a real local server: verification is on, and ``ssl=`` trusts a private CA."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import aiohttp
import pytest
import trustme
from aiohttp import web

from stytch_b2b_otp import APIConnectionError, RetryPolicy, StytchB2BClient
from tests.conftest import IDS, PROJECT_ID, SECRET
from tests.servers import SEND_BODY


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusting_context(authority: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts the private CA, as a corporate CA bundle would."""
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


@pytest.fixture
async def tls_server(authority: trustme.CA) -> AsyncIterator[tuple[str, list[str]]]:
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(body=SEND_BODY, content_type="application/json")

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    yield f"https://localhost:{port}", seen
    await runner.cleanup()


async def test_an_ssl_context_trusting_a_private_ca_is_used(
    trusting_context: ssl.SSLContext, tls_server: tuple[str, list[str]]
) -> None:
    base_url, seen = tls_server
    async with StytchB2BClient(
        PROJECT_ID, SECRET, base_url=base_url, ssl=trusting_context
    ) as client:
        reply = await client.otps.sms.send(**IDS)
    assert reply.status_code == 200
    assert seen == ["/v1/b2b/otps/sms/send"]


async def test_an_untrusted_certificate_fails_without_retrying(
    tls_server: tuple[str, list[str]],
) -> None:
    base_url, seen = tls_server
    trace = aiohttp.TraceConfig()
    attempts: list[object] = []

    async def on_request_start(*args: object) -> None:
        attempts.append(args)

    trace.on_request_start.append(on_request_start)
    async with StytchB2BClient(
        PROJECT_ID,
        SECRET,
        base_url=base_url,
        retry=RetryPolicy(initial_delay=0.001),
        trace_configs=[trace],
    ) as client:
        with pytest.raises(APIConnectionError, match="certificate") as caught:
            await client.otps.sms.send(**IDS)
    assert caught.value.request_sent is False
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorCertificateError)
    assert len(attempts) == 1
    assert seen == []


async def test_a_borrowed_session_gets_the_ssl_context_per_request(
    trusting_context: ssl.SSLContext, tls_server: tuple[str, list[str]]
) -> None:
    base_url, seen = tls_server
    async with (
        aiohttp.ClientSession() as session,
        StytchB2BClient(
            PROJECT_ID, SECRET, base_url=base_url, ssl=trusting_context, session=session
        ) as client,
    ):
        await client.otps.sms.send(**IDS)
    assert seen == ["/v1/b2b/otps/sms/send"]
