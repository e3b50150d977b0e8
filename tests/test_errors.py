"""The error tree, and how an error reply maps onto it."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from stytch_b2b_otp import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    StytchError,
    _json,
)
from stytch_b2b_otp._replies import read_error, read_success
from stytch_b2b_otp._responses import SmsAuthenticateResponse, SmsSendResponse
from tests.conftest import FIXTURES, load_fixture

SEND = "/v1/b2b/otps/sms/send"
ERRORS = load_fixture("error_responses.json")


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (RequestValidationError, StytchError),
        (RequestValidationError, ValueError),
        (ClientClosedError, StytchError),
        (APIError, StytchError),
        (APIConnectionError, APIError),
        (APITimeoutError, APIConnectionError),
        (InvalidResponseError, APIError),
        (APIStatusError, APIError),
        (BadRequestError, APIStatusError),
        (AuthenticationError, APIStatusError),
        (PermissionDeniedError, APIStatusError),
        (NotFoundError, APIStatusError),
        (ConflictError, APIStatusError),
        (RateLimitError, APIStatusError),
        (InternalServerError, APIStatusError),
    ],
)
def test_the_tree_is_as_documented(child: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(child, parent)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
        (600, APIStatusError),
        (999, APIStatusError),
        (405, APIStatusError),
        (422, APIStatusError),
        (302, APIStatusError),
    ],
)
def test_error_class_follows_the_http_status(status: int, cls: type[APIStatusError]) -> None:
    body = json.dumps({"status_code": status, "error_type": "x", "error_message": "m"}).encode()
    error = read_error(status, {}, body, endpoint=SEND)
    assert type(error) is cls
    assert error.status_code == status


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_stytch_error_bodies_fill_every_field(name: str) -> None:
    payload = ERRORS[name]
    error = read_error(payload["status_code"], {}, json.dumps(payload).encode(), endpoint=SEND)
    assert error.error_type == payload["error_type"]
    assert error.error_message == payload["error_message"]
    assert error.error_url == payload["error_url"]
    assert error.request_id == payload["request_id"]
    assert error.body == payload
    assert error.endpoint == SEND
    text = str(error)
    for part in (
        str(payload["status_code"]),
        name,
        payload["error_message"],
        payload["request_id"],
    ):
        assert part in text


def test_error_details_are_kept_when_stytch_sends_them() -> None:
    payload = {
        "status_code": 400,
        "request_id": "request-id-test-1",
        "error_type": "invalid_email_for_jit_provisioning",
        "error_message": "No.",
        "error_url": "https://stytch.com/docs/api/errors/400",
        "error_details": {"allowed_domains": ["acme-corp.com"]},
    }
    error = read_error(400, {}, json.dumps(payload).encode(), endpoint=SEND)
    assert error.error_details == {"allowed_domains": ["acme-corp.com"]}


def test_rate_limit_error_carries_retry_after() -> None:
    payload = json.dumps(ERRORS["too_many_requests"]).encode()
    error = read_error(429, {"Retry-After": "7"}, payload, endpoint=SEND)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0
    assert read_error(429, {}, payload, endpoint=SEND).retry_after is None  # type: ignore[attr-defined]


def test_a_proxy_html_502_still_maps_by_status_with_a_bounded_excerpt() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 10_000 + b"</body>"
    error = read_error(502, {}, html, endpoint=SEND)
    assert isinstance(error, InternalServerError)
    assert error.error_type is None
    assert error.request_id is None
    assert isinstance(error.body, str)
    assert error.body.startswith("<html><head><title>502 Bad Gateway")
    assert len(error.body) <= 200
    assert len(str(error)) < 400
    assert "502" in str(error)


def test_error_excerpts_cannot_forge_log_lines() -> None:
    error = read_error(500, {}, b"oops\r\nINFO fake log line\x1b[31m", endpoint=SEND)
    assert "\n" not in str(error)
    assert "\r" not in str(error)
    assert "\x1b" not in str(error)


def test_json_that_is_not_a_stytch_error_is_treated_as_an_excerpt() -> None:
    error = read_error(404, {}, b'{"message": "no route"}', endpoint=SEND)
    assert isinstance(error, NotFoundError)
    assert error.error_type is None
    assert error.body == '{"message": "no route"}'


def test_a_redirect_says_it_was_not_followed() -> None:
    error = read_error(302, {"Location": "https://elsewhere.test/"}, b"", endpoint=SEND)
    assert type(error) is APIStatusError
    assert "redirects are not followed" in str(error)
    assert "https://elsewhere.test/" in str(error)


def test_a_3xx_without_a_location_does_not_claim_a_redirect() -> None:
    error = read_error(304, {}, b"", endpoint=SEND)
    assert type(error) is APIStatusError
    assert "redirect" not in str(error)


SECRETS = ("secret-test-ab/cd+ef==", "c2VjcmV0LXRlc3Q=", "987654", "ist-test-abcdef", "Zoë-token")
ECHOES = [
    (
        404,
        {
            **ERRORS["otp_code_not_found"],
            "error_message": "code 987654 for ist-test-abcdef not found",
            "error_details": {"echo": ["secret-test-ab/cd+ef=="], "Zoë-token": 1},
        },
    ),
    (502, "<pre>POST code=987654 Authorization: Basic c2VjcmV0LXRlc3Q=</pre>"),
    (401, '{"message": "bad secret secret-test-ab/cd+ef=="}'),
    # JSON-escaped echoes: PHP's "\/", .NET's "\u002B", ensure_ascii's "\u00eb".
    (400, '{"error_type": "x", "error_message": "secret-test-ab\\/cd\\u002Bef== code 987654"}'),
    (400, '{"message": "Zo\\u00eb-token secret-test-ab\\/cd+ef=="}'),
    (502, '<script>var sent = "secret-test-ab\\/cd\\u002bef== Zo\\u00eb-token";</script>'),
]


@pytest.mark.parametrize(("status", "payload"), ECHOES)
def test_a_body_echoing_what_was_sent_is_redacted_everywhere(status: int, payload: Any) -> None:
    body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
    error = read_error(status, {}, body, endpoint=SEND, secrets=SECRETS)
    shown = [str(error), str(error.body), str(vars(error))]
    fragments = [*SECRETS, "ab\\/cd", "cd\\u002", "cd+ef", "Zo\\u00eb", "oë-token"]
    for fragment in fragments:  # as sent, or in any of its escaped forms
        assert all(fragment not in text for text in shown), fragment
    assert "<redacted>" in str(error)
    if isinstance(payload, dict):
        assert error.error_message == "code <redacted> for <redacted> not found"
        assert error.error_type == payload["error_type"]


def test_redaction_leaves_stytchs_request_id_and_longer_digit_runs_alone() -> None:
    payload = {
        **ERRORS["otp_code_not_found"],
        "request_id": "request-id-test-987654",
        "error_message": "at 19876543 (code 987654)",
    }
    error = read_error(404, {}, json.dumps(payload).encode(), endpoint=SEND, secrets=SECRETS)
    assert error.request_id == "request-id-test-987654"  # Stytch's id, not an echo
    assert error.error_message == "at 19876543 (code <redacted>)"


def test_a_redirect_location_echoing_a_secret_is_redacted() -> None:
    location = "https://sso.acme.test/?token=ist-test-abcdef"
    error = read_error(302, {"Location": location}, b"", endpoint=SEND, secrets=SECRETS)
    assert "ist-test-abcdef" not in str(error)
    assert "token=<redacted>" in str(error)


def test_redaction_leaves_a_body_that_echoes_nothing_untouched() -> None:
    payload = ERRORS["otp_code_not_found"]
    error = read_error(404, {}, json.dumps(payload).encode(), endpoint=SEND, secrets=SECRETS)
    assert error.body == payload
    assert error.error_message == payload["error_message"]
    gateway = read_error(404, {}, b'{"message":"no route"}', endpoint=SEND, secrets=SECRETS)
    assert gateway.body == '{"message":"no route"}'  # quoted as it came


def test_a_truncated_error_body_is_not_parsed() -> None:
    body = json.dumps(ERRORS["internal_server_error"]).encode()
    error = read_error(500, {}, body[:40], endpoint=SEND, truncated=True)
    assert error.error_type is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>ok</html>", "is not JSON"),
        (b"", "is not JSON"),
        (b'{"status_code": 200', "is not JSON"),
        (b"[]", "is not a JSON object"),
        (b"null", "is not a JSON object"),
        (b'{"status_code": 200, "request_id": "request-id-test-9"}', "$.member_id"),
    ],
)
def test_a_malformed_success_body_is_an_invalid_response_error(body: bytes, problem: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        read_success(body, SmsSendResponse, status=200, endpoint=SEND)
    assert problem in str(caught.value)
    assert caught.value.status_code == 200
    assert caught.value.endpoint == SEND


def test_invalid_response_error_keeps_the_request_id_but_not_the_body() -> None:
    data = load_fixture("authenticate_response.json")
    token = data["session_token"]
    del data["member"]
    with pytest.raises(InvalidResponseError) as caught:
        read_success(json.dumps(data).encode(), SmsAuthenticateResponse, status=200, endpoint=SEND)
    assert caught.value.request_id == data["request_id"]
    assert data["request_id"] in str(caught.value)
    assert token not in str(caught.value)
    assert token not in repr(caught.value.__dict__)


@pytest.mark.parametrize(
    "error",
    [
        RequestValidationError("code", "must be exactly 6 ASCII digits"),
        ClientClosedError("closed"),
        APIConnectionError("refused", endpoint=SEND, request_sent=False),
        APITimeoutError("slow", endpoint=SEND, request_sent=True),
        InvalidResponseError("bad", status_code=200, request_id="r", endpoint=SEND),
        read_error(404, {}, json.dumps(ERRORS["otp_code_not_found"]).encode(), endpoint=SEND),
        read_error(429, {"Retry-After": "3"}, b"slow down", endpoint=SEND),
    ],
)
def test_errors_survive_pickling(error: StytchError) -> None:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000])
def test_absurdly_deep_json_is_an_invalid_response_not_a_crash(body: bytes) -> None:
    with pytest.raises(InvalidResponseError, match="not JSON"):
        read_success(body, SmsSendResponse, status=200, endpoint=SEND)
    error = read_error(500, {}, body, endpoint=SEND)
    assert isinstance(error, InternalServerError)
    assert error.error_type is None


@pytest.mark.parametrize(
    "name", ["send_response.json", "authenticate_response.json", "error_responses.json"]
)
def test_the_orjson_extra_decodes_exactly_like_the_standard_library(name: str) -> None:
    orjson = pytest.importorskip("orjson")
    body = (FIXTURES / name).read_bytes()
    assert _json.loads is orjson.loads
    assert orjson.loads(body) == json.loads(body)
