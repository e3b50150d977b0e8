"""Property-based tests: whatever comes off the wire or out of a caller, nothing but the
SDK's own errors escapes.

- Reply parsing (`read_success`, `read_error`) is fed arbitrary JSON, mutated real
  fixtures and raw bytes, under both JSON decoders (orjson and the standard library):
  a reply object or `InvalidResponseError`, and for error statuses always an
  `APIStatusError` of the status's class, with a one-line message.
- The request objects are fed arbitrary values for every field: a valid request whose
  ``_body()`` is JSON that round-trips, or `RequestValidationError`.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from stytch_b2b_otp import (
    APIStatusError,
    InvalidResponseError,
    RateLimitError,
    RequestValidationError,
    SmsAuthenticateRequest,
    SmsAuthenticateResponse,
    SmsSendRequest,
    SmsSendResponse,
    _json,
)
from stytch_b2b_otp._constants import SMS_AUTHENTICATE_PATH, SMS_SEND_PATH
from stytch_b2b_otp._replies import error_class_for, read_error, read_success
from tests.json_strategies import (
    encode,
    fuzz_settings,
    json_scalars,
    json_values,
    mutated,
    unicode_text,
)

pytestmark = pytest.mark.slow  # load tests: see the tests session in noxfile.py

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEND_FIXTURE: dict[str, Any] = json.loads((FIXTURES / "send_response.json").read_text())
AUTH_FIXTURE: dict[str, Any] = json.loads((FIXTURES / "authenticate_response.json").read_text())
ERROR_FIXTURES: list[dict[str, Any]] = list(
    json.loads((FIXTURES / "error_responses.json").read_text()).values()
)
TARGETS: list[tuple[type[Any], str, dict[str, Any]]] = [
    (SmsSendResponse, SMS_SEND_PATH, SEND_FIXTURE),
    (SmsAuthenticateResponse, SMS_AUTHENTICATE_PATH, AUTH_FIXTURE),
]
# Values a reply carries that no message may repeat.
AUTH_SECRETS = [AUTH_FIXTURE["session_token"], AUTH_FIXTURE["session_jwt"]]

FUZZ = fuzz_settings(max_examples=200)

T = TypeVar("T")

# --- strategies --------------------------------------------------------------------


@contextmanager
def _decoder(name: str) -> Iterator[None]:
    """Replies decoded with orjson (the extra) or the standard library (without it)."""
    if name == "orjson":
        pytest.importorskip("orjson")
        yield
    else:
        with mock.patch.object(_json, "loads", json.loads):
            yield


DECODERS = pytest.mark.parametrize("decoder", ["orjson", "stdlib"])


def _parse_outcome(body: bytes, cls: type[T], endpoint: str) -> T | InvalidResponseError:
    """`read_success`'s reply or its `InvalidResponseError`; any other exception fails."""
    try:
        return read_success(body, cls, status=200, endpoint=endpoint)
    except InvalidResponseError as error:
        caught = error
    assert caught.status_code == 200
    assert caught.endpoint == endpoint
    assert "\n" not in str(caught)
    return caught


# --- reply parsing -----------------------------------------------------------------


@DECODERS
@pytest.mark.parametrize(("cls", "endpoint", "fixture"), TARGETS, ids=["send", "authenticate"])
@FUZZ
@given(data=st.data())
def test_mutated_fixtures_give_a_reply_or_invalid_response_error(
    decoder: str, cls: type[Any], endpoint: str, fixture: dict[str, Any], data: st.DataObject
) -> None:
    value = data.draw(mutated(fixture), label="mutated reply")
    body = encode(value)
    with _decoder(decoder):
        outcome = _parse_outcome(body, cls, endpoint)
        # What this decoder makes of it (orjson reads integers beyond 64 bits as floats).
        decoded = None if isinstance(outcome, InvalidResponseError) else _json.loads(body)
    if isinstance(outcome, InvalidResponseError):
        # Field paths, never values: a session token in a broken reply stays out of it.
        for secret in AUTH_SECRETS:
            assert secret not in str(outcome)
    else:
        assert isinstance(outcome, cls)
        assert outcome.raw == decoded
        repr(outcome)  # a reply object always has a repr (secrets redacted: test_secrets)


@DECODERS
@pytest.mark.parametrize(("cls", "endpoint", "fixture"), TARGETS, ids=["send", "authenticate"])
@FUZZ
@given(value=json_values)
@example(value=[])
@example(value={})
@example(value="")
def test_arbitrary_json_gives_a_reply_or_invalid_response_error(
    decoder: str, cls: type[Any], endpoint: str, fixture: dict[str, Any], value: Any
) -> None:
    del fixture
    with _decoder(decoder):
        outcome = _parse_outcome(encode(value), cls, endpoint)
    assert isinstance(outcome, (cls, InvalidResponseError))


@DECODERS
@FUZZ
@given(body=st.binary(max_size=200))
@example(body=b"[" * 100_000)  # deep nesting: RecursionError in the standard library
@example(body=b'{"a":' * 5_000 + b"1" + b"}" * 5_000)
@example(body=b"\xff\xfe{}")
@example(body=b"NaN")
@example(body=b'{"request_id": ' + b"9" * 5_000 + b"}")  # beyond int digit limits
@example(body=b'{"request_id": "\xed\xa0\x80"}')  # a lone surrogate, as UTF-8
def test_raw_bytes_give_invalid_response_error(decoder: str, body: bytes) -> None:
    with _decoder(decoder):
        outcome = _parse_outcome(body, SmsSendResponse, SMS_SEND_PATH)
    # No arbitrary byte string up to 200 bytes is a valid send reply.
    assert isinstance(outcome, InvalidResponseError)


ERROR_STATUSES = [300, 302, 400, 401, 403, 404, 409, 418, 422, 429, 500, 502, 503, 504, 599]
retry_after_values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(10**6), max_value=10**400).map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(
        [
            "Wed, 21 Oct 2026 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 0001 00:00:00 +2359",
            "Thu, 01 Jan 1970 00:00:00 -0000",
            "Sun, 99 Foo 2026 99:99:99 GMT",
            "1e400",
        ]
    ),
)


@st.composite
def error_bodies(draw: st.DrawFn) -> bytes:
    choice = draw(st.sampled_from(["fixture", "json", "bytes"]))
    if choice == "fixture":
        return encode(draw(mutated(draw(st.sampled_from(ERROR_FIXTURES)))))
    if choice == "bytes":
        return draw(st.binary(max_size=300))
    value = draw(json_values)
    if isinstance(value, dict) and draw(st.booleans()):
        value["error_type"] = draw(unicode_text)
        value["error_message"] = draw(st.one_of(unicode_text, json_values))
    return encode(value)


@example(
    status=404,
    body=b'{"error_type": "x", "request_id": "id\\r\\nINFO forged line"}',
    retry_after=None,
    location=None,
    truncated=False,
)
@DECODERS
@FUZZ
@given(
    status=st.sampled_from(ERROR_STATUSES),
    body=error_bodies(),
    retry_after=retry_after_values,
    location=st.one_of(st.none(), st.text(max_size=60)),
    truncated=st.booleans(),
)
def test_error_replies_always_give_the_status_error_class(
    decoder: str,
    status: int,
    body: bytes,
    retry_after: str | None,
    location: str | None,
    truncated: bool,
) -> None:
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if location is not None:
        headers["Location"] = location
    with _decoder(decoder):
        error = read_error(status, headers, body, endpoint=SMS_SEND_PATH, truncated=truncated)
    assert isinstance(error, APIStatusError)
    assert type(error) is error_class_for(status)
    assert error.status_code == status
    message = str(error)
    assert "\n" not in message
    assert "\r" not in message
    assert len(message) < 1500  # bounded, whatever the body
    if isinstance(error, RateLimitError) and error.retry_after is not None:
        assert error.retry_after >= 0 or math.isnan(error.retry_after)
    # Errors are raised later, possibly after pickling; they must survive both.
    assert str(copy.copy(error)) == message


# --- request objects ---------------------------------------------------------------

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**20, max_value=10**5000),
    st.floats(),
    unicode_text,
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.tuples(unicode_text),
    st.dictionaries(unicode_text, json_scalars, max_size=3),
    st.dictionaries(st.one_of(st.integers(), st.none(), st.booleans()), st.none(), max_size=2),
    st.frozensets(st.integers(), max_size=2),
    st.builds(object),
    st.just(float("nan")),
    st.just(b"123456"),
    st.just(bytearray(b"x")),
)


def field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value (so valid requests happen), sometimes anything."""
    return st.one_of(valid, valid, anything)


ids = field(st.from_regex(r"[a-z]+-test-[0-9a-f]{1,12}", fullmatch=True) | unicode_text)
phones = field(st.none() | st.from_regex(r"\+[0-9]{6,16}", fullmatch=True))
locales = field(st.none() | st.sampled_from(["en", "pt-br", "de-DE", "zh-Hans", "e", "en_US"]))
tokens = field(st.none() | st.from_regex(r"[A-Za-z0-9_.\-]{1,40}", fullmatch=True) | unicode_text)
codes = field(st.from_regex(r"[0-9]{5,7}", fullmatch=True))
claims = field(
    st.none()
    | st.dictionaries(unicode_text, json_values, max_size=4)
    | st.dictionaries(st.sampled_from(["sub", "https://stytch.com/x", "ok"]), json_scalars)
)
durations = field(st.none() | st.integers(min_value=-10, max_value=600_000))


def _expected_body(request: object, names: tuple[str, ...]) -> dict[str, Any]:
    expected = {}
    for name in names:
        value = getattr(request, name)
        if value is not None:
            # Tuples in claims become lists on the wire, like any JSON encoder does.
            expected[name] = json.loads(json.dumps(value))
    return expected


def _check_validation_error(error: RequestValidationError, names: tuple[str, ...]) -> None:
    assert isinstance(error, ValueError)
    assert error.field in names
    assert str(error).startswith(f"{error.field}: ")


def _check_outcome(build: Callable[[], Any], names: tuple[str, ...]) -> None:
    try:
        request = build()
    except RequestValidationError as error:
        _check_validation_error(error, names)
        return
    body = request._body()
    decoded = json.loads(body)  # valid JSON, not just bytes
    assert decoded == _expected_body(request, names)
    # Built field by field, byte for byte what encoding the dict would give.
    assert body == _json.dumps(_expected_body(request, names))
    assert None not in decoded.values()
    assert json.loads(_json.dumps(decoded)) == decoded  # and it round-trips
    repr(request)


SEND_FIELDS = (
    "organization_id",
    "member_id",
    "mfa_phone_number",
    "locale",
    "intermediate_session_token",
    "session_token",
    "session_jwt",
)
AUTH_FIELDS = (
    "organization_id",
    "member_id",
    "code",
    "intermediate_session_token",
    "session_token",
    "session_jwt",
    "set_mfa_enrollment",
    "set_default_mfa",
    "session_duration_minutes",
    "session_custom_claims",
    "telemetry_id",
)


@FUZZ
@given(
    organization_id=ids,
    member_id=ids,
    mfa_phone_number=phones,
    locale=locales,
    intermediate_session_token=tokens,
    session_token=tokens,
    session_jwt=tokens,
)
def test_send_request_is_valid_or_request_validation_error(**arguments: Any) -> None:
    _check_outcome(lambda: SmsSendRequest(**arguments), SEND_FIELDS)


@FUZZ
@given(
    organization_id=ids,
    member_id=ids,
    code=codes,
    intermediate_session_token=tokens,
    session_token=st.one_of(st.none(), st.none(), tokens),
    session_jwt=st.one_of(st.none(), st.none(), tokens),
    set_mfa_enrollment=field(st.sampled_from([None, "enroll", "unenroll"])),
    set_default_mfa=field(st.sampled_from([None, True, False])),
    session_duration_minutes=durations,
    session_custom_claims=claims,
    telemetry_id=tokens,
)
def test_authenticate_request_is_valid_or_request_validation_error(**arguments: Any) -> None:
    _check_outcome(lambda: SmsAuthenticateRequest(**arguments), AUTH_FIELDS)


@FUZZ
@given(name=st.sampled_from(AUTH_FIELDS), value=anything | json_values)
def test_any_single_bad_field_is_named(name: str, value: Any) -> None:
    """One field replaced in an otherwise valid request: valid, or the error names it."""
    arguments: dict[str, Any] = {
        "organization_id": "organization-test-1",
        "member_id": "member-test-1",
        "code": "123456",
        "intermediate_session_token": "ist-test-1",
    }
    arguments[name] = value
    session_arguments = {"intermediate_session_token", "session_token", "session_jwt"}
    try:
        request = SmsAuthenticateRequest(**arguments)
    except RequestValidationError as error:
        named = error.field
    else:
        _check_outcome(lambda: request, AUTH_FIELDS)
        return
    assert named == name or (name in session_arguments and named in session_arguments)
