"""Transport behaviour against real servers on 127.0.0.1: pool, timeouts, retries, lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import gzip
import json
import socket
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from stytch_b2b_otp import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    InternalServerError,
    InvalidResponseError,
    RateLimitError,
    RetryPolicy,
    StytchB2BClient,
    _constants,
)
from tests.conftest import IDS, PROJECT_ID, SECRET, load_fixture
from tests.servers import SEND_BODY, FakeStytch

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.005)
TOO_MANY = load_fixture("error_responses.json")["too_many_requests"]


def client_for(server: FakeStytch, **options: Any) -> StytchB2BClient:
    options.setdefault("retry", FAST)
    return StytchB2BClient(PROJECT_ID, SECRET, base_url=server.base_url, **options)


def counting_trace() -> tuple[aiohttp.TraceConfig, list[str]]:
    """A TraceConfig recording each request start (one per attempt)."""
    events: list[str] = []
    trace = aiohttp.TraceConfig()

    async def on_request_start(*_: Any) -> None:
        events.append("start")

    trace.on_request_start.append(on_request_start)
    return trace, events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[int]:
    """A raw asyncio server on 127.0.0.1 (for replies aiohttp.web cannot send); its port."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 (polling counters another server updates)
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def test_the_request_on_the_wire(fake_stytch: FakeStytch) -> None:
    async with client_for(fake_stytch) as client:
        await client.otps.sms.send(**IDS, locale="es")
    [seen] = fake_stytch.seen
    assert seen.path == "/v1/b2b/otps/sms/send"
    assert seen.json() == {**IDS, "locale": "es"}
    assert seen.headers["Authorization"].startswith("Basic ")
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["User-Agent"].startswith("stytch-b2b-otp/")


async def test_refused_connections_are_retried_then_raise_a_connection_error() -> None:
    trace, attempts = counting_trace()
    client = StytchB2BClient(
        PROJECT_ID,
        SECRET,
        base_url=f"http://127.0.0.1:{free_port()}",
        retry=RetryPolicy(max_retries=2, initial_delay=0.001),
        trace_configs=[trace],
    )
    async with client:
        with pytest.raises(APIConnectionError) as caught:
            await client.otps.sms.send(**IDS)
    assert len(attempts) == 3
    assert caught.value.request_sent is False
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)
    assert SECRET not in str(caught.value)


async def test_a_429_is_retried_after_retry_after(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(429, json_body=TOO_MANY, headers={"Retry-After": "0"})
    async with client_for(fake_stytch) as client:
        reply = await client.otps.sms.send(**IDS)
    assert reply.status_code == 200
    assert len(fake_stytch.seen) == 2


async def test_a_429_with_a_long_retry_after_raises_at_once(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(429, json_body=TOO_MANY, headers={"Retry-After": "60"})
    async with client_for(fake_stytch) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.otps.sms.send(**IDS)
    assert caught.value.retry_after == 60
    assert caught.value.error_type == "too_many_requests"
    assert len(fake_stytch.seen) == 1


async def test_a_503_is_not_retried_unless_asked(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(503, body=b"<html>503</html>", content_type="text/html", times=2)
    async with client_for(fake_stytch) as client:
        with pytest.raises(InternalServerError):
            await client.otps.sms.send(**IDS)
        assert len(fake_stytch.seen) == 1
        retrying = client.with_options(
            retry=RetryPolicy(initial_delay=0.001, retry_server_errors=True)
        )
        await retrying.otps.sms.send(**IDS)
    assert len(fake_stytch.seen) == 3


async def test_a_read_timeout_is_not_retried(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(delay=1.0, times=3)
    timeout = aiohttp.ClientTimeout(sock_read=0.2)
    async with client_for(fake_stytch, timeout=timeout) as client:
        with pytest.raises(APITimeoutError) as caught:
            await client.otps.sms.authenticate(**IDS, code="123456", session_token="tok")
    assert caught.value.request_sent is True
    assert isinstance(caught.value.__cause__, aiohttp.SocketTimeoutError)
    assert len(fake_stytch.seen) == 1


async def test_a_total_timeout_is_not_retried(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(delay=1.0, times=3)
    timeout = aiohttp.ClientTimeout(total=0.2, sock_read=5)  # only the total can fire
    async with client_for(fake_stytch, timeout=timeout) as client:
        with pytest.raises(APITimeoutError) as caught:
            await client.otps.sms.send(**IDS)
    assert caught.value.request_sent is True
    assert type(caught.value.__cause__) in (asyncio.TimeoutError, TimeoutError)
    assert "0.2s" in str(caught.value)
    assert len(fake_stytch.seen) == 1


async def test_a_numeric_timeout_reports_a_pool_wait_as_never_sent(
    fake_stytch: FakeStytch,
) -> None:
    fake_stytch.reply(delay=1.0)
    no_retry = RetryPolicy(max_retries=0)
    async with client_for(fake_stytch, max_connections=1, timeout=0.3, retry=no_retry) as client:
        slow = asyncio.create_task(client.otps.sms.send(**IDS))
        await wait_for(lambda: fake_stytch.in_flight == 1)
        with pytest.raises(APITimeoutError) as caught:
            await client.otps.sms.send(**IDS)
        with pytest.raises(APITimeoutError):
            await slow
    assert caught.value.request_sent is False
    assert isinstance(caught.value.__cause__, aiohttp.ConnectionTimeoutError)
    assert len(fake_stytch.seen) == 1


async def test_waiting_too_long_for_a_pooled_connection_is_retried(
    fake_stytch: FakeStytch,
) -> None:
    fake_stytch.reply(delay=0.4)
    policy = RetryPolicy(max_retries=10, initial_delay=0.1, max_delay=0.1)
    timeout = aiohttp.ClientTimeout(connect=0.1, sock_read=5)
    async with client_for(fake_stytch, max_connections=1, timeout=timeout, retry=policy) as client:
        slow = asyncio.create_task(client.otps.sms.send(**IDS))
        await wait_for(lambda: fake_stytch.in_flight == 1)
        queued = await client.otps.sms.send(**IDS)
        await slow
    assert queued.status_code == 200
    assert len(fake_stytch.seen) == 2  # the queued call was sent once, after the pool freed


async def test_a_pool_timeout_without_retries_says_nothing_was_sent(
    fake_stytch: FakeStytch,
) -> None:
    fake_stytch.reply(delay=0.5)
    timeout = aiohttp.ClientTimeout(connect=0.05, sock_read=5)
    no_retry = RetryPolicy(max_retries=0)
    async with client_for(
        fake_stytch, max_connections=1, timeout=timeout, retry=no_retry
    ) as client:
        slow = asyncio.create_task(client.otps.sms.send(**IDS))
        await wait_for(lambda: fake_stytch.in_flight == 1)
        with pytest.raises(APITimeoutError) as caught:
            await client.otps.sms.send(**IDS)
        await slow
    assert caught.value.request_sent is False
    assert len(fake_stytch.seen) == 1


async def test_connections_are_reused(fake_stytch: FakeStytch) -> None:
    async with client_for(fake_stytch) as client:
        for _ in range(10):
            await client.otps.sms.send(**IDS)
        await client.with_options(timeout=5).otps.sms.send(**IDS)
    assert len(fake_stytch.seen) == 11
    assert len(fake_stytch.peers) == 1


async def test_the_pool_limit_bounds_concurrency_under_gather(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(delay=0.05, times=30)
    async with client_for(fake_stytch, max_connections=3) as client:
        replies = await asyncio.gather(*(client.otps.sms.send(**IDS) for _ in range(30)))
    assert len(replies) == 30
    assert fake_stytch.max_in_flight == 3
    assert len(fake_stytch.peers) <= 3


async def test_cancelled_calls_release_their_connections(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(delay=5.0, times=6)
    async with client_for(fake_stytch, max_connections=2) as client:
        tasks = [asyncio.create_task(client.otps.sms.send(**IDS)) for _ in range(6)]
        await wait_for(lambda: fake_stytch.in_flight == 2)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(result, asyncio.CancelledError) for result in results)
        fake_stytch.script.clear()
        fake_stytch.max_in_flight = 0
        await wait_for(lambda: fake_stytch.in_flight == 0)
        fake_stytch.reply(delay=0.1, times=2)
        replies = await asyncio.wait_for(
            asyncio.gather(client.otps.sms.send(**IDS), client.otps.sms.send(**IDS)), 3
        )
        assert fake_stytch.max_in_flight == 2  # both slots were free again
    assert len(replies) == 2


async def test_a_borrowed_session_is_used_and_never_closed(fake_stytch: FakeStytch) -> None:
    async with aiohttp.ClientSession() as session:
        async with client_for(fake_stytch, session=session) as client:
            await client.otps.sms.send(**IDS)
        assert not session.closed
        async with session.get(f"{fake_stytch.base_url}/still-usable") as response:
            assert response.status == 200
    assert len(fake_stytch.seen) == 2


async def test_a_borrowed_sessions_own_settings_do_not_change_how_replies_are_read(
    fake_stytch: FakeStytch,
) -> None:
    fake_stytch.reply(429, json_body=TOO_MANY, headers={"Retry-After": "0"})
    fake_stytch.reply(body=gzip.compress(SEND_BODY), headers={"Content-Encoding": "gzip"})
    fake_stytch.reply(404, json_body={**TOO_MANY, "error_type": "member_not_found"})
    async with (
        aiohttp.ClientSession(raise_for_status=True, auto_decompress=False) as session,
        client_for(fake_stytch, session=session) as client,
    ):
        reply = await client.otps.sms.send(**IDS)  # 429 retried, gzip decoded
        with pytest.raises(APIStatusError) as caught:
            await client.otps.sms.send(**IDS)
    assert reply.status_code == 200
    assert caught.value.error_type == "member_not_found"
    assert len(fake_stytch.seen) == 3


async def test_a_borrowed_session_closed_by_its_owner_raises_client_closed(
    fake_stytch: FakeStytch,
) -> None:
    session = aiohttp.ClientSession()
    client = client_for(fake_stytch, session=session)
    await session.close()
    with pytest.raises(ClientClosedError, match=r"borrowed|session="):
        await client.otps.sms.send(**IDS)
    assert fake_stytch.seen == []


async def test_closing_the_client_closes_its_own_session_without_warnings(
    fake_stytch: FakeStytch,
) -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = client_for(fake_stytch)
        await client.otps.sms.send(**IDS)
        session = client._transport._session
        assert session is not None
        await client.close()
        assert session.closed
        del client, session
        gc.collect()
    loop.set_exception_handler(None)
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert reported == []


async def test_close_while_a_call_is_in_flight_raises_client_closed(
    fake_stytch: FakeStytch,
) -> None:
    fake_stytch.reply(delay=2.0)
    client = client_for(fake_stytch)
    call = asyncio.create_task(client.otps.sms.send(**IDS))
    await wait_for(lambda: fake_stytch.in_flight == 1)
    await client.close()
    with pytest.raises(ClientClosedError):
        await call


Loops = tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop, FakeStytch]


@pytest.fixture
def two_loops() -> Iterator[Loops]:
    """Two event loops, and a FakeStytch served in the first."""
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    server = FakeStytch()
    first.run_until_complete(server.__aenter__())
    try:
        yield first, second, server
    finally:
        first.run_until_complete(server.__aexit__(None, None, None))
        first.close()
        second.close()


def test_a_client_is_bound_to_the_loop_that_first_used_it(two_loops: Loops) -> None:
    first, second, server = two_loops
    client = client_for(server)
    first.run_until_complete(client.otps.sms.send(**IDS))
    with pytest.raises(RuntimeError, match="another event loop"):
        second.run_until_complete(client.otps.sms.send(**IDS))
    first.run_until_complete(client.close())
    assert len(server.seen) == 1


def test_a_client_is_closed_in_the_loop_that_used_it(two_loops: Loops) -> None:
    """Closing from another loop would leave the pool's sockets open: it is refused."""
    first, second, server = two_loops
    client = client_for(server)
    first.run_until_complete(client.otps.sms.send(**IDS))
    with pytest.raises(RuntimeError, match="close it in that loop"):
        second.run_until_complete(client.close())
    closed = [client.closed]
    first.run_until_complete(client.close())
    closed.append(client.closed)
    assert closed == [False, True]
    second.run_until_complete(client.close())  # closed: idempotent from anywhere


# The pool's session is never closed here (its loop is gone): aiohttp says so when it
# is collected, which is the point of the scenario, not a failure of the test.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_client_whose_loop_has_ended_can_still_be_marked_closed() -> None:
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    client: StytchB2BClient | None = None
    try:
        server = FakeStytch()
        first.run_until_complete(server.__aenter__())
        client = client_for(server)
        first.run_until_complete(client.otps.sms.send(**IDS))
        first.run_until_complete(server.__aexit__(None, None, None))
        first.close()  # the loop, and the pool's sockets with it, are gone
        second.run_until_complete(client.close())
        assert client.closed
        with pytest.raises(ClientClosedError):
            second.run_until_complete(client.otps.sms.send(**IDS))
    finally:
        first.close()
        second.close()
        client = None
        gc.collect()  # here, not in whichever test runs next


def test_a_borrowed_session_from_another_loop_is_named_as_the_problem(two_loops: Loops) -> None:
    first, second, server = two_loops

    async def make_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    session = first.run_until_complete(make_session())
    client = client_for(server, session=session)
    with pytest.raises(RuntimeError, match="passed as session= belongs to another event loop"):
        second.run_until_complete(client.otps.sms.send(**IDS))
    first.run_until_complete(client.otps.sms.send(**IDS))  # its own loop: fine
    first.run_until_complete(session.close())
    assert len(server.seen) == 1


async def test_redirects_are_not_followed(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(302, body=b"", headers={"Location": "/elsewhere"})
    async with client_for(fake_stytch) as client:
        with pytest.raises(APIStatusError) as caught:
            await client.otps.sms.send(**IDS)
    assert caught.value.status_code == 302
    assert [seen.path for seen in fake_stytch.seen] == ["/v1/b2b/otps/sms/send"]


async def test_cookies_are_not_carried_between_calls(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(headers={"Set-Cookie": "tracking=1; Path=/"})
    async with client_for(fake_stytch) as client:
        await client.otps.sms.send(**IDS)
        await client.otps.sms.send(**IDS)
    assert "Cookie" not in fake_stytch.seen[1].headers


async def test_a_gzip_encoded_reply_is_decoded(fake_stytch: FakeStytch) -> None:
    fake_stytch.reply(body=gzip.compress(SEND_BODY), headers={"Content-Encoding": "gzip"})
    async with client_for(fake_stytch) as client:
        reply = await client.otps.sms.send(**IDS)
    assert reply.member.email_address == "ada.lovelace@acme-corp.com"


@pytest.fixture
def small_reply_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(_constants, "MAX_REPLY_BYTES", 64 * 1024)
    return 64 * 1024


@pytest.fixture
async def endless_server() -> AsyncIterator[FakeStytch]:
    async with FakeStytch() as server:

        async def endless(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(status=int(request.query.get("status", "200")))
            await response.prepare(request)
            try:
                while True:
                    await response.write(b"x" * 16384)
            except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                return response

        server.handler = endless
        yield server


@pytest.mark.usefixtures("small_reply_limit")
async def test_an_endless_reply_is_cut_at_the_limit(endless_server: FakeStytch) -> None:
    async with client_for(endless_server) as client:
        with pytest.raises(InvalidResponseError, match="exceeds 65536 bytes"):
            await asyncio.wait_for(client.otps.sms.send(**IDS), 5)
    assert len(endless_server.seen) == 1


@pytest.mark.usefixtures("small_reply_limit")
async def test_a_huge_json_reply_with_content_length_is_cut_at_the_limit(
    fake_stytch: FakeStytch,
) -> None:
    fake_stytch.reply(body=json.dumps({"padding": "x" * 200_000}).encode())
    async with client_for(fake_stytch) as client:
        with pytest.raises(InvalidResponseError, match="exceeds"):
            await client.otps.sms.send(**IDS)
        fake_stytch.reply(500, body=b"<html>" + b"e" * 200_000, content_type="text/html")
        with pytest.raises(InternalServerError) as caught:
            await client.otps.sms.send(**IDS)
        assert isinstance(caught.value.body, str)
        assert len(caught.value.body) <= 200
        await client.otps.sms.send(**IDS)  # the pool still works afterwards


@contextlib.asynccontextmanager
async def client_of_raw_replies(replies: list[bytes]) -> AsyncIterator[StytchB2BClient]:
    """A client whose server sends each connection the next of ``replies``, then hangs up."""

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(replies.pop(0))
        await writer.drain()
        writer.close()

    async with (
        raw_server(reply) as port,
        StytchB2BClient(
            PROJECT_ID, SECRET, base_url=f"http://127.0.0.1:{port}", retry=FAST
        ) as client,
    ):
        yield client


async def test_a_body_shorter_than_its_content_length_is_a_connection_error() -> None:
    short = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + SEND_BODY[:100]
    async with client_of_raw_replies([short]) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.otps.sms.send(**IDS)
    assert type(caught.value) is APIConnectionError
    assert caught.value.request_sent is True


async def test_an_error_status_whose_body_breaks_off_still_maps_by_status() -> None:
    """The status line arrived, so it decides: a 429 is still retried after Retry-After."""
    replies = [
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 1000\r\n\r\n{",
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 1000\r\n\r\n<html>",
    ]
    async with client_of_raw_replies(replies) as client:
        with pytest.raises(InternalServerError) as caught:
            await client.otps.sms.send(**IDS)
    assert caught.value.status_code == 502
    assert "its body could not be read" in str(caught.value)
    assert replies == []  # the 429 was retried, the 502 was not


async def test_an_error_body_that_stalls_is_a_timeout_not_a_status() -> None:
    """A stalled body is a timeout like any other (the request may have been acted on)."""
    stalled: list[asyncio.StreamWriter] = []

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1000\r\n\r\n<ht")
        await writer.drain()
        stalled.append(writer)  # never finishes the body

    timeout = aiohttp.ClientTimeout(total=5, sock_read=0.2)
    async with (
        raw_server(stall) as port,
        StytchB2BClient(
            PROJECT_ID, SECRET, base_url=f"http://127.0.0.1:{port}", timeout=timeout, retry=FAST
        ) as client,
    ):
        with pytest.raises(APITimeoutError) as caught:
            await client.otps.sms.send(**IDS)
        for writer in stalled:
            writer.close()
    assert caught.value.request_sent is True
    assert len(stalled) == 1


async def test_a_proxy_refusing_the_tunnel_is_a_failure_to_connect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The request never reached Stytch, so the error says so, and it is retried."""
    tunnels: list[bytes] = []

    async def refusing_proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tunnels.append((await reader.readuntil(b"\r\n\r\n")).split(b" ", 1)[0])
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    async with raw_server(refusing_proxy) as port:
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
        async with aiohttp.ClientSession(trust_env=True) as session:
            client = StytchB2BClient(
                PROJECT_ID, SECRET, base_url="https://api.example.test", session=session, retry=FAST
            )
            with pytest.raises(APIConnectionError) as caught:
                await client.otps.sms.send(**IDS)
    assert type(caught.value) is APIConnectionError
    assert caught.value.request_sent is False
    assert "proxy refused" in str(caught.value)
    assert "407" in str(caught.value)
    assert isinstance(caught.value.__cause__, aiohttp.ClientHttpProxyError)
    assert tunnels == [b"CONNECT"] * 3  # the first attempt and two retries
