"""The msgspec fast path (the ``msgspec`` extra) gives exactly what the converter gives.

`read_success` tries `FastReader` first. These tests hold it to the converter: equal
replies over the fixtures and over thousands of mutated fixtures, a decline (``None``)
for everything the converter must decide, and the same timestamps for every string
msgspec accepts.
"""

from __future__ import annotations

import copy
import json
import logging
import pickle
from datetime import datetime, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stytch_b2b_otp import (
    InvalidResponseError,
    SmsAuthenticateResponse,
    SmsSendResponse,
    _replies,
)
from stytch_b2b_otp._converter import make_converter, structure
from stytch_b2b_otp._responses import Undecoded
from stytch_b2b_otp._timestamps import parse_timestamp
from tests.conftest import load_fixture
from tests.json_strategies import encode, fuzz_settings, mutated

msgspec = pytest.importorskip("msgspec", reason="the tests_msgspec nox session installs it")

from stytch_b2b_otp._fast import FastReader, _models_in  # noqa: E402 (needs msgspec)

SEND = load_fixture("send_response.json")
AUTH = load_fixture("authenticate_response.json")
STRICT = make_converter(strict=True)
TARGETS = pytest.mark.parametrize(
    ("cls", "fixture"),
    [(SmsSendResponse, SEND), (SmsAuthenticateResponse, AUTH)],
    ids=["send", "authenticate"],
)
FUZZ = fuzz_settings(max_examples=300)


def fields_of(reply: Any) -> dict[str, Any]:
    """Every field, nested ones included (``__eq__`` leaves some out), but ``raw``."""
    return attrs.asdict(reply, filter=lambda field, _: field.name != "_raw")


def body_of(value: Any) -> bytes:
    return json.dumps(value).encode()


def converter_reply(body: bytes, cls: type[Any]) -> Any:
    """What the converter alone makes of ``body`` (standard-library JSON, like msgspec:
    integers of any size stay integers)."""
    return _replies.read_with_converter(body, cls, status=200, endpoint="/x", loads=json.loads)


def test_the_fast_path_is_on_with_msgspec_installed() -> None:
    assert _replies.FAST_PATH
    reply = _replies.read_success(body_of(SEND), SmsSendResponse, status=200, endpoint="/x")
    raw: object = reply._raw
    assert isinstance(raw, Undecoded)  # built by msgspec: raw not decoded yet


@TARGETS
def test_the_fixtures_give_the_converters_strict_result(
    cls: type[Any], fixture: dict[str, Any]
) -> None:
    reply = FastReader(cls)(body_of(fixture))
    assert reply is not None
    assert reply == structure(fixture, cls, STRICT)
    assert fields_of(reply) == fields_of(structure(fixture, cls, STRICT))


@TARGETS
def test_raw_is_decoded_on_first_use_once_and_survives_pickle_and_evolve(
    cls: type[Any], fixture: dict[str, Any]
) -> None:
    reply = FastReader(cls)(body_of(fixture))
    assert reply is not None
    evolved = attrs.evolve(reply, request_id="request-id-2")
    unpickled = pickle.loads(pickle.dumps(reply))  # noqa: S301 (our own object)
    assert reply.raw == fixture
    assert reply.raw is reply.raw
    assert isinstance(reply._raw, dict)
    assert evolved.raw == fixture
    assert unpickled.raw == fixture
    assert unpickled == reply
    assert "raw" not in repr(reply)


@pytest.mark.parametrize(
    ("top_level", "expected"),
    [
        ("absent", AUTH["organization"]["organization_id"]),
        (None, AUTH["organization"]["organization_id"]),
        ("org-top", "org-top"),
    ],
)
def test_the_organization_id_comes_from_the_organization_unless_given(
    top_level: str | None, expected: str
) -> None:
    data = copy.deepcopy(AUTH)
    data.pop("organization_id", None)
    if top_level != "absent":
        data["organization_id"] = top_level
    reply = FastReader(SmsAuthenticateResponse)(body_of(data))
    assert reply is not None
    assert reply.organization_id == expected
    assert fields_of(reply) == fields_of(converter_reply(body_of(data), SmsAuthenticateResponse))


def _set(path: str, value: Any) -> Any:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for step in parents:
            target = target[int(step)] if step.isdigit() else target[step]
        target[last] = value

    return mutate


# Replies the fast path must leave to the converter, and what the converter makes of them.
DECLINED = [
    ("a null read as an empty string", _set("member.name", None), "reply"),
    ("a null read as an empty list", _set("member.roles", None), "reply"),
    ("a null read as an empty policy", _set("organization.email_invites", None), "reply"),
    ("a null required policy", _set("organization.mfa_policy", None), "invalid"),
    ("a timestamp without an offset", _set("member.created_at", "2024-11-18T16:02:44"), "reply"),
    (
        "a nested timestamp without an offset",
        _set("member_session.authentication_factors.1.created_at", "2025-03-04T19:22:05.5"),
        "reply",
    ),
    ("a malformed lenient field", _set("member.scim_registration", "x"), "reply"),
    ("a malformed lenient device", _set("member_device", {"visitor_id": 1}), "reply"),
    ("a wrong type", _set("member.is_admin", "false"), "invalid"),
    ("a float where an int goes", _set("status_code", 200.0), "invalid"),
    ("a missing required field", lambda data: data["member"].pop("member_id"), "invalid"),
    ("a bad timestamp", _set("member.updated_at", "2024-02-30T00:00:00Z"), "invalid"),
]


@pytest.mark.parametrize(("case", "mutate", "outcome"), DECLINED, ids=[c[0] for c in DECLINED])
def test_what_only_the_converter_decides_is_declined(
    case: str, mutate: Any, outcome: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = copy.deepcopy(AUTH)
    mutate(data)
    body = body_of(data)
    assert FastReader(SmsAuthenticateResponse)(body) is None, case
    if outcome == "invalid":
        with pytest.raises(InvalidResponseError) as caught:
            _replies.read_success(body, SmsAuthenticateResponse, status=200, endpoint="/x")
        with pytest.raises(InvalidResponseError) as expected:
            converter_reply(body, SmsAuthenticateResponse)
        assert str(caught.value) == str(expected.value)
    else:
        with caplog.at_level(logging.WARNING, logger="stytch_b2b_otp"):
            reply = _replies.read_success(body, SmsAuthenticateResponse, status=200, endpoint="/x")
        assert reply == converter_reply(body, SmsAuthenticateResponse)
        assert reply.raw == data
        if "lenient" in case:
            assert "ignored a malformed" in caplog.text


def test_a_declined_reply_reads_numbers_as_the_fast_path_does() -> None:
    """Big integers in metadata stay exact whichever path reads the reply (orjson,
    when installed, would make them floats)."""
    big = 2**64 + 1
    data = copy.deepcopy(SEND)
    data["member"]["trusted_metadata"] = {"account": big}
    fast = _replies.read_success(body_of(data), SmsSendResponse, status=200, endpoint="/x")
    data["member"]["name"] = None  # declined: the converter reads this one
    body = body_of(data)
    assert FastReader(SmsSendResponse)(body) is None
    slow = _replies.read_success(body, SmsSendResponse, status=200, endpoint="/x")
    assert fast.member.trusted_metadata == slow.member.trusted_metadata == {"account": big}
    assert slow.raw["member"]["trusted_metadata"]["account"] == big


def test_naive_timestamps_read_as_utc_through_the_fallback() -> None:
    data = copy.deepcopy(SEND)
    data["member"]["created_at"] = "2024-11-18T16:02:44"
    reply = _replies.read_success(body_of(data), SmsSendResponse, status=200, endpoint="/x")
    assert reply.member.created_at == datetime(2024, 11, 18, 16, 2, 44, tzinfo=timezone.utc)


@TARGETS
@FUZZ
@given(data=st.data())
def test_mutated_fixtures_give_the_converters_reply_or_are_declined(
    cls: type[Any], fixture: dict[str, Any], data: st.DataObject
) -> None:
    body = encode(data.draw(mutated(fixture), label="mutated reply"))
    fast = FastReader(cls)(body)
    if fast is None:
        return
    # Whenever msgspec accepts a reply, the converter accepts it too, with equal fields.
    slow = converter_reply(body, cls)
    assert fields_of(fast) == fields_of(slow)
    assert fast.raw == json.loads(body)  # msgspec decodes it: big integers stay integers


digits = st.text(alphabet="0123456789", min_size=1, max_size=12)
timestamps = st.builds(
    "{}-{}-{}{}{}:{}:{}{}{}".format,
    st.sampled_from(["2024", "2025", "0001", "9999", "0000", "20245"]),
    st.sampled_from(["01", "02", "12", "13", "00", "1"]),
    st.sampled_from(["01", "28", "29", "30", "31", "00"]),
    st.sampled_from(["T", "t", " ", "_", ""]),
    st.sampled_from(["00", "23", "24", "9"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "59", "60", "5"]),
    st.one_of(st.just(""), st.just("."), digits.map(".{}".format)),
    st.sampled_from(
        ["", "Z", "z", "+00:00", "-00:00", "+05:30", "+0530", "-23:59", "+24:00", "+05:60", "+05"]
    ),
)


@FUZZ
@given(text=timestamps)
def test_every_timestamp_msgspec_accepts_parses_to_the_same_datetime(text: str) -> None:
    try:
        fast = msgspec.json.decode(json.dumps(text), type=datetime)
    except msgspec.ValidationError:
        return
    if fast.tzinfo is None:  # declined by the fast path; the converter reads it as UTC
        fast = fast.replace(tzinfo=timezone.utc)
    ours = parse_timestamp(text)
    assert ours == fast
    assert ours.utcoffset() == fast.utcoffset()


@attrs.frozen(kw_only=True)
class _Validated:
    name: str = attrs.field(validator=attrs.validators.min_len(1))


@attrs.frozen(kw_only=True)
class _PostInit:
    name: str

    def __attrs_post_init__(self) -> None:
        pass


@attrs.frozen(kw_only=True)
class _Holder:
    items: tuple[_Validated, ...] = ()


@pytest.mark.parametrize(
    ("cls", "culprit"),
    [(_Validated, "_Validated.name"), (_PostInit, "_PostInit"), (_Holder, "_Validated.name")],
)
def test_a_model_msgspec_would_build_differently_is_refused(cls: type[Any], culprit: str) -> None:
    # msgspec runs no validator, converter or __attrs_post_init__: such a model, even
    # nested, must not get a fast path that quietly skips them.
    with pytest.raises(TypeError, match=culprit.replace(".", r"\.")):
        FastReader(cls)


def test_every_reply_model_can_take_the_fast_path() -> None:
    for cls in (SmsSendResponse, SmsAuthenticateResponse):
        assert FastReader(cls) is not None
        models = {model.__name__ for model in _models_in(cls, set())}
        assert {"Member", "Organization"} <= models
    assert "AuthenticationFactor" in {
        m.__name__ for m in _models_in(SmsAuthenticateResponse, set())
    }
