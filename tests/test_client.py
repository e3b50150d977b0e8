"""Constructing the client: credentials, base URLs, options, and what __init__ must not do."""

from __future__ import annotations

import asyncio
import base64
import platform
import ssl
import warnings
from typing import Any

import aiohttp
import pytest

from stytch_b2b_otp import ClientClosedError, RetryPolicy, StytchB2BClient, __version__
from stytch_b2b_otp._transport import DEFAULT_TIMEOUT, USER_AGENT
from tests.conftest import PROJECT_ID, SECRET


@pytest.mark.usefixtures("credentials_env")
def test_credentials_come_from_the_environment() -> None:
    client = StytchB2BClient()
    assert client.project_id == PROJECT_ID
    assert client.base_url == "https://test.stytch.com"


@pytest.mark.usefixtures("credentials_env")
def test_arguments_win_over_the_environment() -> None:
    client = StytchB2BClient("project-live-abc", "secret-live-xyz")
    assert client.project_id == "project-live-abc"


@pytest.mark.usefixtures("no_credentials_env")
@pytest.mark.parametrize(
    ("project_id", "secret", "named"),
    [
        (None, SECRET, "STYTCH_PROJECT_ID"),
        (PROJECT_ID, None, "STYTCH_SECRET"),
        ("", SECRET, "STYTCH_PROJECT_ID"),
        (PROJECT_ID, "   ", "STYTCH_SECRET"),
    ],
)
def test_missing_credentials_name_the_variable(
    project_id: str | None, secret: str | None, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        StytchB2BClient(project_id, secret)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("STYTCH_SECRET", SECRET + "\n"), ("STYTCH_PROJECT_ID", PROJECT_ID + "\r\nX: y")],
)
def test_control_characters_in_credentials_are_rejected_without_echoing_them(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("STYTCH_PROJECT_ID", PROJECT_ID)
    monkeypatch.setenv("STYTCH_SECRET", SECRET)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable) as caught:
        StytchB2BClient()
    assert SECRET not in str(caught.value)


@pytest.mark.usefixtures("no_credentials_env")
@pytest.mark.parametrize(("project_id", "secret"), [(123, SECRET), (PROJECT_ID, b"secret")])
def test_credentials_must_be_strings(project_id: Any, secret: Any) -> None:
    with pytest.raises(TypeError, match="must be a string"):
        StytchB2BClient(project_id, secret)


@pytest.mark.parametrize(
    ("project_id", "secret", "named"),
    [
        (PROJECT_ID, "sec\x00ret", "secret"),
        ("project\ttest", SECRET, "project_id"),
        (PROJECT_ID, " " + SECRET, "secret"),
        ("project:test", SECRET, "project_id"),
    ],
)
def test_bad_credential_arguments_are_rejected(project_id: str, secret: str, named: str) -> None:
    with pytest.raises(ValueError, match=named) as caught:
        StytchB2BClient(project_id, secret)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("project_id", "base_url", "resolved"),
    [
        ("project-live-1", None, "https://api.stytch.com"),
        ("project-test-1", None, "https://test.stytch.com"),
        ("project-other-1", None, "https://test.stytch.com"),
        ("project-live-1", "https://login.acme.test", "https://login.acme.test"),
        ("project-live-1", "https://login.acme.test/", "https://login.acme.test"),
        (
            "project-live-1",
            "https://login.acme.test:8443/stytch/",
            "https://login.acme.test:8443/stytch",
        ),
        ("project-test-1", "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("project-test-1", "http://127.5.6.7:8080/", "http://127.5.6.7:8080"),
        ("project-test-1", "http://localhost:9000", "http://localhost:9000"),
        ("project-test-1", "http://[::1]:9000", "http://[::1]:9000"),
        ("project-test-1", "HTTPS://API.STYTCH.COM", "https://api.stytch.com"),
    ],
)
def test_base_url_rules(project_id: str, base_url: str | None, resolved: str) -> None:
    assert StytchB2BClient(project_id, SECRET, base_url=base_url).base_url == resolved


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.stytch.com",
        "http://10.0.0.1:8080",
        "http://127.0.0.1.nip.io",
        "http://[::2]:80",
        "ftp://127.0.0.1",
        "api.stytch.com",
        "https://user:pass@login.acme.test",
        "https://login.acme.test/?x=1",
        "https://login.acme.test/#frag",
        "https://login.acme.test:99999",
        "https://login.acme.test:0",
        "https://login.acme.test /",
        "",
    ],
)
def test_bad_base_urls_are_rejected_at_construction(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url") as caught:
        StytchB2BClient(PROJECT_ID, SECRET, base_url=base_url)
    assert "user:pass" not in str(caught.value)


def test_construction_needs_no_event_loop_and_creates_no_aiohttp_object() -> None:
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    client = StytchB2BClient(PROJECT_ID, SECRET)
    assert client._transport._session is None
    assert not client.closed


def test_repr_shows_project_and_base_url_never_the_secret() -> None:
    client = StytchB2BClient(PROJECT_ID, SECRET)
    text = repr(client)
    assert text == (
        f"StytchB2BClient(project_id={PROJECT_ID!r}, base_url='https://test.stytch.com')"
    )
    encoded = base64.b64encode(f"{PROJECT_ID}:{SECRET}".encode()).decode()
    for view in (client, client.with_options(timeout=1)):
        for text in (repr(view), str(vars(view)), repr(view.otps.sms)):
            assert SECRET not in text
            assert encoded not in text


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (None, DEFAULT_TIMEOUT),
        (2, aiohttp.ClientTimeout(total=2, connect=1, sock_connect=1)),
        (12, aiohttp.ClientTimeout(total=12, connect=6, sock_connect=5)),
        (20.0, aiohttp.ClientTimeout(total=20, connect=10, sock_connect=5)),
        (
            aiohttp.ClientTimeout(total=None, sock_read=3),
            aiohttp.ClientTimeout(total=None, sock_read=3),
        ),
    ],
)
def test_timeouts(timeout: Any, expected: aiohttp.ClientTimeout) -> None:
    assert StytchB2BClient(PROJECT_ID, SECRET, timeout=timeout).timeout == expected


@pytest.mark.parametrize("seconds", [0.01, 1, 2.5, 10, 20, 60, 600])
def test_a_numeric_timeout_always_leaves_the_pool_wait_shorter_than_the_total(
    seconds: float,
) -> None:
    # Otherwise a call stuck waiting for a pooled connection would hit the total
    # timeout first and be reported as "may have been processed", never retried.
    timeout = StytchB2BClient(PROJECT_ID, SECRET, timeout=seconds).timeout
    assert timeout.connect is not None
    assert timeout.total is not None
    assert timeout.connect < timeout.total


def test_default_timeouts_fail_fast_on_connect_and_wait_out_stytch() -> None:
    assert DEFAULT_TIMEOUT.sock_connect == 5
    assert DEFAULT_TIMEOUT.connect == 10
    assert DEFAULT_TIMEOUT.sock_read is None  # the total bounds a stalled reply
    assert DEFAULT_TIMEOUT.total == 41  # 10 s for a connection, then 31 s for Stytch


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"timeout": 0}, ValueError),
        ({"timeout": -1}, ValueError),
        ({"timeout": float("inf")}, ValueError),
        ({"timeout": "5"}, TypeError),
        ({"timeout": True}, TypeError),
        ({"trace_configs": [1]}, TypeError),
        ({"trace_configs": aiohttp.TraceConfig()}, TypeError),  # one, not a sequence
        ({"max_connections": 0}, ValueError),
        ({"max_connections": 1.5}, TypeError),
        ({"retry": 3}, TypeError),
        ({"ssl": False}, TypeError),
        ({"session": object()}, TypeError),
    ],
)
def test_bad_options_are_rejected(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        StytchB2BClient(PROJECT_ID, SECRET, **kwargs)


@pytest.mark.parametrize(
    ("session_options", "problem"),
    [
        ({"base_url": "http://127.0.0.1:1"}, "base_url"),
    ],
)
async def test_borrowed_sessions_that_would_misroute_are_rejected(
    session_options: dict[str, Any], problem: str
) -> None:
    async with aiohttp.ClientSession(**session_options) as session:
        with pytest.raises(ValueError, match=problem):
            StytchB2BClient(PROJECT_ID, SECRET, session=session)


async def test_a_borrowed_session_with_its_own_auth_is_rejected() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # BasicAuth, deprecated in 3.14
        session = aiohttp.ClientSession(auth=aiohttp.BasicAuth("user", "pass"))
    async with session:
        with pytest.raises(ValueError, match="auth"):
            StytchB2BClient(PROJECT_ID, SECRET, session=session)


async def test_trace_configs_cannot_be_combined_with_a_borrowed_session() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="trace_configs"):
            StytchB2BClient(
                PROJECT_ID, SECRET, session=session, trace_configs=[aiohttp.TraceConfig()]
            )


def test_ssl_context_is_accepted() -> None:
    context = ssl.create_default_context()
    client = StytchB2BClient(PROJECT_ID, SECRET, ssl=context)
    assert client._transport._ssl is context


def test_retry_policy_defaults_to_the_safe_policy() -> None:
    assert StytchB2BClient(PROJECT_ID, SECRET).retry == RetryPolicy()


def test_with_options_views_share_the_transport_and_keep_other_options() -> None:
    policy = RetryPolicy(max_retries=0)
    client = StytchB2BClient(PROJECT_ID, SECRET, timeout=20, retry=policy)
    view = client.with_options(timeout=3)
    assert view._transport is client._transport
    assert view.timeout.total == 3
    assert view.retry is policy
    assert client.timeout.total == 20
    other = view.with_options(retry=RetryPolicy(max_retries=5))
    assert other.retry.max_retries == 5
    assert other.timeout.total == 3
    assert other.otps.sms._client is other
    assert repr(other) == repr(client)


async def test_closing_a_view_closes_the_shared_pool() -> None:
    client = StytchB2BClient(PROJECT_ID, SECRET)
    view = client.with_options(timeout=1)
    await view.close()
    assert client.closed
    with pytest.raises(ClientClosedError):
        await client.otps.sms.send(organization_id="o", member_id="m")


async def test_a_closed_client_cannot_be_entered_again() -> None:
    client = StytchB2BClient(PROJECT_ID, SECRET)
    async with client:
        pass
    with pytest.raises(ClientClosedError):
        async with client:
            pass


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "",
            "secret is empty: pass a non-empty secret=, or leave it out to read the STYTCH_SECRET",
        ),
        (None, "the STYTCH_SECRET environment variable is empty: set it, or pass secret="),
    ],
)
def test_an_empty_credential_says_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch, given: str | None, message: str
) -> None:
    monkeypatch.setenv("STYTCH_SECRET", "" if given is None else SECRET)
    with pytest.raises(ValueError, match=message):
        StytchB2BClient(PROJECT_ID, given)


def test_user_agent_names_the_sdk_python_and_aiohttp() -> None:
    assert (
        f"stytch-b2b-otp/{__version__} Python/{platform.python_version()} "
        f"aiohttp/{aiohttp.__version__}"
    ) == USER_AGENT
