"""Request and reply shape of ``client.otps.sms`` (aioresponses: no transport involved)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from stytch_b2b_otp import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    RequestValidationError,
    RetryPolicy,
    SmsAuthenticateResponse,
    SmsSendResponse,
    StytchB2BClient,
)
from stytch_b2b_otp._transport import USER_AGENT
from tests.conftest import IDS, PROJECT_ID, SECRET, load_fixture

SEND_URL = "https://test.stytch.com/v1/b2b/otps/sms/send"
AUTH_URL = "https://test.stytch.com/v1/b2b/otps/sms/authenticate"
ERRORS = load_fixture("error_responses.json")
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as mock:
        yield mock


@pytest.fixture
async def fast_client() -> AsyncIterator[StytchB2BClient]:
    async with StytchB2BClient(PROJECT_ID, SECRET, retry=FAST) as client:
        yield client


def sent(mock: aioresponses, url: str) -> list[Any]:
    return list(mock.requests.get(("POST", URL(url)), []))


def sent_body(call: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(call.kwargs["data"])
    return body


async def test_send_posts_only_the_given_fields_and_returns_a_typed_reply(
    client: StytchB2BClient, mocked: aioresponses
) -> None:
    mocked.post(SEND_URL, payload=load_fixture("send_response.json"))
    reply = await client.otps.sms.send(**IDS, mfa_phone_number="+12025550162")
    assert isinstance(reply, SmsSendResponse)
    assert reply.member.member_id == "member-test-32fc5024-9c09-4da3-bd2e-c9ce4da9375f"
    assert reply.raw == load_fixture("send_response.json")
    [call] = sent(mocked, SEND_URL)
    assert sent_body(call) == {**IDS, "mfa_phone_number": "+12025550162"}


async def test_every_request_carries_auth_content_type_and_user_agent(
    client: StytchB2BClient, mocked: aioresponses
) -> None:
    mocked.post(SEND_URL, payload=load_fixture("send_response.json"))
    await client.otps.sms.send(**IDS)
    [call] = sent(mocked, SEND_URL)
    headers = call.kwargs["headers"]
    expected = base64.b64encode(f"{PROJECT_ID}:{SECRET}".encode()).decode()
    assert headers["Authorization"] == f"Basic {expected}"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == USER_AGENT
    assert headers["User-Agent"].startswith("stytch-b2b-otp/")
    assert call.kwargs["allow_redirects"] is False
    assert "auth" not in call.kwargs


async def test_authenticate_posts_its_body_and_returns_session_and_member(
    client: StytchB2BClient, mocked: aioresponses
) -> None:
    mocked.post(AUTH_URL, payload=load_fixture("authenticate_response.json"))
    reply = await client.otps.sms.authenticate(
        **IDS,
        code="123456",
        intermediate_session_token="ist-1",
        set_mfa_enrollment="enroll",
        session_duration_minutes=120,
        session_custom_claims={"plan": "pro", "old_claim": None},
    )
    assert isinstance(reply, SmsAuthenticateResponse)
    assert reply.member_session is not None
    assert reply.session_token == "mZAYn5aLEqKUlZ_Ad9U_fWr38GaAQ1oFAhT8ds245v7Q"
    assert reply.organization_id == "organization-test-07971b06-ac8b-4cdb-9c15-63b17e653931"
    [call] = sent(mocked, AUTH_URL)
    assert sent_body(call) == {
        **IDS,
        "code": "123456",
        "intermediate_session_token": "ist-1",
        "set_mfa_enrollment": "enroll",
        "session_duration_minutes": 120,
        "session_custom_claims": {"plan": "pro", "old_claim": None},
    }


async def test_live_projects_go_to_the_live_api(mocked: aioresponses) -> None:
    live = "https://api.stytch.com/v1/b2b/otps/sms/send"
    mocked.post(live, payload=load_fixture("send_response.json"))
    async with StytchB2BClient("project-live-123", SECRET) as client:
        await client.otps.sms.send(**IDS)
    assert len(sent(mocked, live)) == 1


async def test_bad_input_fails_before_any_request(
    client: StytchB2BClient, mocked: aioresponses
) -> None:
    with pytest.raises(RequestValidationError, match="code"):
        await client.otps.sms.authenticate(**IDS, code="12 345", session_token="t")
    with pytest.raises(RequestValidationError, match="intermediate_session_token"):
        await client.otps.sms.authenticate(**IDS, code="123456")
    with pytest.raises(RequestValidationError, match="mfa_phone_number"):
        await client.otps.sms.send(**IDS, mfa_phone_number="555-0162")
    assert mocked.requests == {}
    assert client._transport._session is None


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("unauthorized_credentials", AuthenticationError),
        ("otp_code_not_found", NotFoundError),
        ("too_many_requests", RateLimitError),
        ("internal_server_error", InternalServerError),
    ],
)
async def test_stytch_errors_raise_typed_errors(
    client: StytchB2BClient, mocked: aioresponses, name: str, cls: type[Exception]
) -> None:
    payload = ERRORS[name]
    retry_after = {"Retry-After": "3600"} if name == "too_many_requests" else None
    mocked.post(AUTH_URL, status=payload["status_code"], payload=payload, headers=retry_after)
    with pytest.raises(cls) as caught:
        await client.otps.sms.authenticate(**IDS, code="123456", session_jwt="a.b.c")
    error: Any = caught.value
    assert error.error_type == name
    assert error.request_id == payload["request_id"]
    assert error.status_code == payload["status_code"]
    assert len(sent(mocked, AUTH_URL)) == 1


async def test_429_is_retried_after_retry_after_and_then_succeeds(
    fast_client: StytchB2BClient, mocked: aioresponses
) -> None:
    mocked.post(
        SEND_URL, status=429, payload=ERRORS["too_many_requests"], headers={"Retry-After": "0"}
    )
    mocked.post(SEND_URL, payload=load_fixture("send_response.json"))
    reply = await fast_client.otps.sms.send(**IDS)
    assert reply.status_code == 200
    assert len(sent(mocked, SEND_URL)) == 2


async def test_429_gives_up_after_max_retries(
    fast_client: StytchB2BClient, mocked: aioresponses
) -> None:
    mocked.post(
        SEND_URL,
        status=429,
        payload=ERRORS["too_many_requests"],
        headers={"Retry-After": "0"},
        repeat=True,
    )
    with pytest.raises(RateLimitError):
        await fast_client.otps.sms.send(**IDS)
    assert len(sent(mocked, SEND_URL)) == 3


async def test_429_without_retry_after_raises_at_once(
    fast_client: StytchB2BClient, mocked: aioresponses
) -> None:
    locked = {
        "status_code": 429,
        "request_id": "request-id-test-lock",
        "error_type": "user_lock_limit_reached",
        "error_message": "The user has been locked out due to too many failed attempts.",
    }
    mocked.post(AUTH_URL, status=429, payload=locked, repeat=True)
    with pytest.raises(RateLimitError) as caught:
        await fast_client.otps.sms.authenticate(**IDS, code="123456", session_token="tok")
    assert caught.value.error_type == "user_lock_limit_reached"
    assert caught.value.retry_after is None
    assert len(sent(mocked, AUTH_URL)) == 1


async def test_server_errors_are_not_retried_by_default(
    fast_client: StytchB2BClient, mocked: aioresponses
) -> None:
    mocked.post(SEND_URL, status=503, body="upstream down", repeat=True)
    with pytest.raises(InternalServerError):
        await fast_client.otps.sms.send(**IDS)
    assert len(sent(mocked, SEND_URL)) == 1


async def test_server_errors_are_retried_when_opted_in(mocked: aioresponses) -> None:
    mocked.post(SEND_URL, status=503, body="upstream down")
    mocked.post(SEND_URL, payload=load_fixture("send_response.json"))
    policy = RetryPolicy(initial_delay=0.001, retry_server_errors=True)
    async with StytchB2BClient(PROJECT_ID, SECRET, retry=policy) as client:
        await client.otps.sms.send(**IDS)
    assert len(sent(mocked, SEND_URL)) == 2


@pytest.mark.parametrize(
    ("exception", "cls"),
    [
        (aiohttp.ServerDisconnectedError(), APIConnectionError),
        (aiohttp.ClientPayloadError("cut short"), APIConnectionError),
        (asyncio.TimeoutError(), APITimeoutError),
        (aiohttp.SocketTimeoutError("read"), APITimeoutError),
    ],
)
async def test_failures_after_sending_are_never_retried(
    fast_client: StytchB2BClient, mocked: aioresponses, exception: Exception, cls: type[Exception]
) -> None:
    mocked.post(SEND_URL, exception=exception, repeat=True)
    with pytest.raises(cls) as caught:
        await fast_client.otps.sms.send(**IDS)
    assert type(caught.value) is cls
    assert caught.value.request_sent is True  # type: ignore[attr-defined]
    assert caught.value.__cause__ is exception
    assert len(sent(mocked, SEND_URL)) == 1


async def test_connect_timeouts_are_retried(
    fast_client: StytchB2BClient, mocked: aioresponses
) -> None:
    mocked.post(SEND_URL, exception=aiohttp.ConnectionTimeoutError("pool"), repeat=True)
    with pytest.raises(APITimeoutError) as caught:
        await fast_client.otps.sms.send(**IDS)
    assert caught.value.request_sent is False
    assert len(sent(mocked, SEND_URL)) == 3


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<html>maintenance</html>", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"status_code": 200, "request_id": "request-id-test-1"}', r"\$\.member_id"),
    ],
)
async def test_malformed_success_replies_raise_invalid_response_error(
    client: StytchB2BClient, mocked: aioresponses, body: str, problem: str
) -> None:
    mocked.post(SEND_URL, body=body)
    with pytest.raises(InvalidResponseError, match=problem):
        await client.otps.sms.send(**IDS)


async def test_json_with_the_wrong_content_type_is_still_read(
    client: StytchB2BClient, mocked: aioresponses
) -> None:
    mocked.post(
        SEND_URL, body=json.dumps(load_fixture("send_response.json")), content_type="text/plain"
    )
    reply = await client.otps.sms.send(**IDS)
    assert reply.member_id == "member-test-32fc5024-9c09-4da3-bd2e-c9ce4da9375f"


async def test_calls_after_close_raise_client_closed(mocked: aioresponses) -> None:
    client = StytchB2BClient(PROJECT_ID, SECRET)
    await client.close()
    await client.close()
    with pytest.raises(ClientClosedError):
        await client.otps.sms.send(**IDS)
    assert mocked.requests == {}


async def test_retries_are_logged_without_secrets(
    fast_client: StytchB2BClient, mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.post(
        AUTH_URL, status=429, payload=ERRORS["too_many_requests"], headers={"Retry-After": "0"}
    )
    mocked.post(AUTH_URL, payload=load_fixture("authenticate_response.json"))
    caplog.set_level(logging.DEBUG, logger="stytch_b2b_otp")
    reply = await fast_client.otps.sms.authenticate(
        **IDS, code="987654", intermediate_session_token="ist-very-secret"
    )
    retries = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(retries) == 1
    assert "retrying" in retries[0].getMessage()
    assert "too_many_requests" in retries[0].getMessage()
    attempts = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert [getattr(r, "stytch_attempt", None) for r in attempts] == [1, 2]
    assert attempts[1].stytch_request_id == reply.request_id  # type: ignore[attr-defined]
    assert all(PROJECT_ID in r.getMessage() for r in caplog.records)
    everything = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (SECRET, "987654", "ist-very-secret", reply.session_token, reply.session_jwt):
        assert secret not in everything
