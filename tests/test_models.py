"""Reply models: complete against realistic replies, forward compatible, strict on types."""

from __future__ import annotations

import copy
import logging
import typing
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import cattrs
import pytest

from stytch_b2b_otp import (
    AuthenticationFactor,
    Member,
    MemberSession,
    Organization,
    SmsAuthenticateResponse,
    SmsSendResponse,
)
from stytch_b2b_otp._converter import StructureError, make_converter, structure
from stytch_b2b_otp._timestamps import parse_timestamp
from tests.conftest import load_fixture

STRICT = make_converter(strict=True)
UTC = timezone.utc


def authenticate_reply() -> dict[str, Any]:
    return load_fixture("authenticate_response.json")


def send_reply() -> dict[str, Any]:
    return load_fixture("send_response.json")


def test_authenticate_fixture_structures_completely_in_strict_mode() -> None:
    reply = structure(authenticate_reply(), SmsAuthenticateResponse, STRICT)
    assert reply.member_id == "member-test-32fc5024-9c09-4da3-bd2e-c9ce4da9375f"
    assert reply.member.roles[1].sources[0].details == {"email_domain": "acme-corp.com"}
    assert reply.organization.sso_active_connections[0].identity_provider == "okta"
    assert reply.organization.trusted_metadata == {
        "salesforce_account": "0015g00000XyZ12AAB",
        "seats": 250,
    }
    session = reply.member_session
    assert session is not None
    assert [f.type for f in session.authentication_factors] == ["magic_link", "otp"]
    sms = session.authentication_factors[1]
    assert sms.delivery_method == "sms"
    assert sms.phone_number_factor is not None
    assert sms.phone_number_factor.phone_number == "+12025550162"
    assert session.authentication_factors[0].email_factor is not None
    assert session.roles == ("stytch_member", "editor")
    assert session.expires_at == datetime(2025, 3, 4, 20, 22, 5, tzinfo=UTC)
    assert reply.member_device is None


def test_send_fixture_structures_completely_in_strict_mode() -> None:
    reply = structure(send_reply(), SmsSendResponse, STRICT)
    assert reply.status_code == 200
    assert reply.member.mfa_phone_number == "+12025550162"
    assert reply.member.created_at == datetime(2024, 11, 18, 16, 2, 44, tzinfo=UTC)
    assert reply.organization.mfa_policy == "REQUIRED_FOR_ALL"
    assert reply.organization.allowed_mfa_methods == ("sms_otp", "totp")


def test_strict_mode_reports_a_field_the_models_do_not_know() -> None:
    data = authenticate_reply()
    data["member"]["brand_new_field"] = True
    with pytest.raises(
        StructureError, match=r"extra fields found \(brand_new_field\) @ \$\.member"
    ):
        structure(data, SmsAuthenticateResponse, STRICT)


def test_unknown_keys_are_ignored_by_default() -> None:
    data = authenticate_reply()
    data["brand_new_top_level"] = {"x": 1}
    data["member"]["brand_new_field"] = [1, 2]
    data["member_session"]["authentication_factors"][0]["passkey_factor"] = {"id": "p"}
    reply = structure(data, SmsAuthenticateResponse)
    assert reply.raw["brand_new_top_level"] == {"x": 1}


@pytest.mark.parametrize(
    ("path", "new_value"),
    [
        (("member", "status"), "suspended"),
        (("member", "default_mfa_method"), "passkey"),
        (("organization", "mfa_policy"), "REQUIRED_FOR_ADMINS"),
        (("organization", "mfa_methods"), "SOMETHING_NEW"),
        (("organization", "allowed_mfa_methods"), ["sms_otp", "email_otp"]),
        (("member_session", "authentication_factors", 1, "type"), "passkey"),
        (("member_session", "authentication_factors", 1, "delivery_method"), "rcs"),
        (("member", "roles", 0, "sources", 0, "type"), "new_source"),
    ],
)
def test_values_stytch_may_extend_never_break_parsing(
    path: tuple[Any, ...], new_value: Any
) -> None:
    data = authenticate_reply()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new_value
    reply = structure(data, SmsAuthenticateResponse, STRICT)
    value: Any = reply
    for key in path:
        value = value[key] if isinstance(key, int) else getattr(value, key)
    assert value == (tuple(new_value) if isinstance(new_value, list) else new_value)


OTHER_POLICIES = [
    "sso_jit_provisioning",
    "email_jit_provisioning",
    "email_invites",
    "oauth_tenant_jit_provisioning",
    "first_party_connected_apps_allowed_type",
    "third_party_connected_apps_allowed_type",
]


@pytest.mark.parametrize("missing", [False, True], ids=["null", "absent"])
def test_policies_no_mfa_step_reads_may_be_null_or_absent(missing: bool) -> None:
    """A session Stytch already created is not lost over a policy MFA does not use."""
    data = authenticate_reply()
    for name in OTHER_POLICIES:
        if missing:
            del data["organization"][name]
        else:
            data["organization"][name] = None
    reply = structure(data, SmsAuthenticateResponse, STRICT)
    assert all(getattr(reply.organization, name) == "" for name in OTHER_POLICIES)
    assert reply.organization.mfa_policy == "REQUIRED_FOR_ALL"


@pytest.mark.parametrize("name", ["mfa_policy", "mfa_methods", "auth_methods"])
def test_the_policies_mfa_branches_on_are_required(name: str) -> None:
    data = authenticate_reply()
    data["organization"][name] = None
    with pytest.raises(StructureError, match=f"organization.{name}"):
        structure(data, SmsAuthenticateResponse)


def test_optional_fields_may_be_absent_or_null() -> None:
    data = authenticate_reply()
    del data["member_session"]
    del data["member_device"]
    for key in ("trusted_metadata", "created_at", "lock_expires_at", "external_id"):
        data["member"].pop(key)
    data["organization"]["scim_active_connection"] = None
    data["organization"]["allowed_oauth_tenants"] = None
    reply = structure(data, SmsAuthenticateResponse, STRICT)
    assert reply.member_session is None
    assert reply.member.trusted_metadata is None
    assert reply.member.created_at is None
    assert reply.organization.allowed_oauth_tenants is None


def test_empty_strings_and_lists_accept_null_and_absence() -> None:
    data = send_reply()
    data["member"]["member_password_id"] = None
    data["member"]["totp_registration_id"] = None
    del data["member"]["mfa_phone_number"]
    data["member"]["roles"] = None
    del data["member"]["sso_registrations"]
    reply = structure(data, SmsSendResponse, STRICT)
    assert reply.member.member_password_id == ""
    assert reply.member.totp_registration_id == ""
    assert reply.member.mfa_phone_number == ""
    assert reply.member.roles == ()
    assert reply.member.sso_registrations == ()


def test_authenticate_organization_id_comes_from_the_organization_when_absent() -> None:
    data = authenticate_reply()
    assert "organization_id" not in data
    reply = structure(data, SmsAuthenticateResponse, STRICT)
    assert reply.organization_id == data["organization"]["organization_id"]


def test_a_null_top_level_organization_id_is_read_like_an_absent_one() -> None:
    data = authenticate_reply()
    data["organization_id"] = None
    reply = structure(data, SmsAuthenticateResponse, STRICT)
    assert reply.organization_id == data["organization"]["organization_id"]


def test_authenticate_organization_id_at_the_top_level_wins() -> None:
    data = authenticate_reply()
    data["organization_id"] = "organization-test-top-level"
    reply = structure(data, SmsAuthenticateResponse, STRICT)
    assert reply.organization_id == "organization-test-top-level"


def test_each_reply_keeps_its_decoded_json_as_raw() -> None:
    data = authenticate_reply()
    reply = structure(data, SmsAuthenticateResponse)
    assert reply.raw == authenticate_reply()
    assert "raw" not in reply.raw


# (mutation, the problem the message must report)
MALFORMED = [
    (lambda d: d["member"].pop("member_id"), "required field missing @ $.member.member_id"),
    (lambda d: d.pop("session_token"), "required field missing @ $.session_token"),
    (lambda d: d["member"].update(is_locked="false"), "expected bool @ $.member.is_locked"),
    (lambda d: d.update(status_code="200"), "expected int @ $.status_code"),
    (lambda d: d.update(status_code=200.0), "expected int @ $.status_code"),
    (lambda d: d["member"].update(email_address=None), "expected str @ $.member.email_address"),
    (lambda d: d["member"].update(roles="stytch_member"), "expected tuple @ $.member.roles"),
    (lambda d: d["member"].update(roles={"a": 1}), "expected tuple @ $.member.roles"),
    (lambda d: d.update(member=[]), "expected Member @ $.member"),
    (lambda d: d["member"].update(created_at="yesterday"), "@ $.member.created_at"),
    (lambda d: d["member"].update(created_at=1700000000), "@ $.member.created_at"),
    (
        lambda d: d["member_session"]["authentication_factors"][1].pop("type"),
        "required field missing @ $.member_session.authentication_factors[1].type",
    ),
    (lambda d: d["member"].update(trusted_metadata=[1]), "@ $.member.trusted_metadata"),
]


@pytest.mark.parametrize(("mutate", "problem"), MALFORMED)
def test_malformed_replies_name_the_offending_field(mutate: Any, problem: str) -> None:
    data = authenticate_reply()
    mutate(data)
    with pytest.raises(StructureError) as caught:
        structure(data, SmsAuthenticateResponse)
    assert problem in str(caught.value)


def test_structure_errors_never_contain_the_token_values() -> None:
    data = authenticate_reply()
    token = data["session_token"]
    data["session_jwt"] = 12345
    data["member"]["name"] = {"session": token}
    with pytest.raises(StructureError) as caught:
        structure(data, SmsAuthenticateResponse)
    assert token not in str(caught.value)
    assert "12345" not in str(caught.value)


def test_a_non_object_reply_is_reported_at_the_root() -> None:
    with pytest.raises(StructureError, match=r"@ \$"):
        structure([], SmsSendResponse)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T19:22:05Z", datetime(2025, 3, 4, 19, 22, 5, tzinfo=UTC)),
        ("2025-03-04T19:22:05z", datetime(2025, 3, 4, 19, 22, 5, tzinfo=UTC)),
        ("2025-03-04T19:22:05.5Z", datetime(2025, 3, 4, 19, 22, 5, 500000, tzinfo=UTC)),
        # Digits beyond microseconds round half up (as msgspec does), carrying over.
        (
            "2025-03-04T19:22:05.123456789Z",
            datetime(2025, 3, 4, 19, 22, 5, 123457, tzinfo=UTC),
        ),
        ("2025-03-04T19:22:05.1234564999Z", datetime(2025, 3, 4, 19, 22, 5, 123456, tzinfo=UTC)),
        ("2025-03-04T19:22:05.0000005Z", datetime(2025, 3, 4, 19, 22, 5, 1, tzinfo=UTC)),
        ("2025-12-31T23:59:59.9999995Z", datetime(2026, 1, 1, tzinfo=UTC)),
        (
            "2025-03-04T19:22:05.000000000000001Z",
            datetime(2025, 3, 4, 19, 22, 5, tzinfo=UTC),
        ),
        (
            "2025-03-04T21:22:05+0200",
            datetime(2025, 3, 4, 21, 22, 5, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2025-03-04T19:22:05+23:59",
            datetime(2025, 3, 4, 19, 22, 5, tzinfo=timezone(timedelta(hours=23, minutes=59))),
        ),
        (
            "2025-03-04T21:22:05+02:00",
            datetime(2025, 3, 4, 21, 22, 5, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2025-03-04T19:22:05", datetime(2025, 3, 4, 19, 22, 5, tzinfo=UTC)),
        (
            "2025-03-04T14:22:05.25-05:00",
            datetime(2025, 3, 4, 14, 22, 5, 250000, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2025-03-04 19:22:05Z", datetime(2025, 3, 4, 19, 22, 5, tzinfo=UTC)),
    ],
)
def test_timestamps_are_timezone_aware(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2025-13-04T19:22:05Z",
        "2025-02-30T19:22:05Z",
        "04/03/2025",
        "2025-03-04T19:22:05 PST",
        "tomorrow",
        # Accepted by datetime.fromisoformat on Python 3.11+ only: rejected everywhere.
        "2025-03-04",
        "2025-W10-2T19:22:05Z",
        "20250304T192205Z",
        "2025-03-04T19:22Z",
        "２０２５-03-04T19:22:05Z",  # noqa: RUF001 (full-width digits)
        "2025-03-04T19:22:05.Z",
        "2025-03-04T19:22:60Z",
        "2025-03-04T24:00:00Z",
        "2025-03-04T19:22:05+24:00",
        "2025-03-04T19:22:05+05:60",
        "2025-03-04T19:22:05+05",
        "9999-12-31T23:59:59.9999995Z",  # rounds past the last representable second
    ],
)
def test_malformed_timestamps_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_timestamp(text)


def test_reply_repr_hides_session_secrets_and_raw() -> None:
    data = authenticate_reply()
    reply = structure(data, SmsAuthenticateResponse)
    text = repr(reply)
    assert data["session_token"] not in text
    assert data["session_jwt"] not in text
    assert data["session_jwt"][:40] not in text
    assert "session_token='<redacted>'" in text
    assert "raw=" not in text
    assert "+12025550162" not in text


def test_models_are_frozen_and_compare_by_value_ignoring_raw() -> None:
    first = structure(authenticate_reply(), SmsAuthenticateResponse)
    second = structure(authenticate_reply(), SmsAuthenticateResponse)
    assert first == second
    assert first is not second
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.member_id = "x"  # type: ignore[misc]


def test_device_info_is_structured_when_present() -> None:
    data = authenticate_reply()
    data["member_device"] = {
        "visitor_id": "visitor-1",
        "ip_address": "203.0.113.7",
        "ip_address_details": {"is_new": True, "first_seen_at": "2025-03-04T19:22:05Z"},
        "ip_geo_country": "US",
    }
    reply = structure(data, SmsAuthenticateResponse, STRICT)
    assert reply.member_device is not None
    assert reply.member_device.ip_address_details is not None
    assert reply.member_device.ip_address_details.is_new is True
    assert reply.member_device.ip_address_details.last_seen_at is None


def test_scim_registration_tolerates_sparse_identity_provider_data() -> None:
    data = send_reply()
    data["member"]["scim_registration"] = {
        "connection_id": "scim-connection-test-1",
        "registration_id": "scim-registration-test-1",
        "scim_attributes": {
            "user_name": "ada",
            "active": True,
            "emails": [{"value": "ada@acme-corp.com", "primary": True, "type": None}],
            "name": {"given_name": "Ada", "family_name": "Lovelace"},
            "enterprise_extension": {"department": "R&D", "manager": {"value": "m-1"}},
        },
    }
    reply = structure(data, SmsSendResponse, STRICT)
    registration = reply.member.scim_registration
    assert registration is not None
    attributes = registration.scim_attributes
    assert attributes is not None
    assert attributes.emails[0].value == "ada@acme-corp.com"
    assert attributes.emails[0].type == ""
    assert attributes.groups == ()
    assert attributes.name is not None
    assert attributes.name.middle_name == ""
    assert attributes.enterprise_extension is not None
    assert attributes.enterprise_extension.manager is not None


def test_every_factor_kind_structures() -> None:
    factor_data = {
        "type": "oauth",
        "delivery_method": "oauth_google",
        "google_oauth_factor": {"id": "g-1", "provider_subject": "123"},
        "saml_sso_factor": {"id": "s-1", "provider_id": "p-1", "external_id": "e-1"},
        "webauthn_factor": {"webauthn_registration_id": "w-1", "domain": "acme.test"},
        "slack_oauth_exchange_factor": {"email_id": "email-1"},
        "trusted_auth_token_factor": {"token_id": "t-1"},
    }
    factor = structure(factor_data, AuthenticationFactor, STRICT)
    assert factor.google_oauth_factor is not None
    assert factor.google_oauth_factor.email_id is None
    assert factor.saml_sso_factor is not None
    assert factor.saml_sso_factor.provider_id == "p-1"
    assert factor.slack_oauth_exchange_factor is not None


def _reachable_models(root: type[Any]) -> set[type[Any]]:
    seen: set[type[Any]] = set()
    pending = [root]
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        hints = typing.get_type_hints(model)
        for field in attrs.fields(model):
            candidates = (hints[field.name], *_flatten_args(hints[field.name]))
            pending.extend(candidate for candidate in candidates if attrs.has(candidate))
    return seen


def _flatten_args(type_: Any) -> list[Any]:
    found = []
    for arg in typing.get_args(type_):
        found += [arg, *_flatten_args(arg)]
    return found


@pytest.mark.parametrize("converter", [make_converter(), STRICT], ids=["default", "strict"])
def test_every_field_of_every_model_structures_through_our_strict_hooks(
    converter: cattrs.Converter,
) -> None:
    # cattrs' own defaults coerce (str(None) == "None", bool("false") is True); none may
    # be reached from the replies.
    models = _reachable_models(SmsAuthenticateResponse) | _reachable_models(SmsSendResponse)
    assert {Member, Organization, MemberSession, AuthenticationFactor} <= models
    assert len(models) > 30
    for model in models:
        hints = typing.get_type_hints(model)
        for field in attrs.fields(model):
            hook = converter.get_structure_hook(hints[field.name])
            assert hook.__module__ == "stytch_b2b_otp._converter", (model, field.name, hook)


def test_structuring_does_not_mutate_the_input() -> None:
    data = authenticate_reply()
    snapshot = copy.deepcopy(data)
    structure(data, SmsAuthenticateResponse)
    assert data == snapshot


def test_a_malformed_informational_object_reads_as_none_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The code and the intermediate session token are used up by the time this reply
    # arrives: losing the whole session over a provider detail would lock the user out.
    data = authenticate_reply()
    factor = data["member_session"]["authentication_factors"][0]
    factor["google_oauth_factor"] = {"id": "g-1"}  # provider_subject missing
    data["member_device"] = {"visitor_id": 42}
    with caplog.at_level(logging.WARNING, logger="stytch_b2b_otp"):
        reply = structure(data, SmsAuthenticateResponse)
    assert reply.session_token == data["session_token"]
    assert reply.member_session is not None
    assert reply.member_session.authentication_factors[0].google_oauth_factor is None
    assert reply.member_session.authentication_factors[0].email_factor is not None
    assert reply.member_device is None
    messages = [record.getMessage() for record in caplog.records]
    assert any("AuthenticationFactor.google_oauth_factor" in m for m in messages)
    assert any("provider_subject" in m for m in messages)
    assert any("SmsAuthenticateResponse.member_device" in m for m in messages)
    assert data["session_token"] not in caplog.text


def test_the_strict_converter_does_not_forgive_informational_objects() -> None:
    data = authenticate_reply()
    data["member_session"]["authentication_factors"][0]["google_oauth_factor"] = {"id": "g"}
    with pytest.raises(StructureError, match="provider_subject"):
        structure(data, SmsAuthenticateResponse, STRICT)


def test_essential_parts_stay_strict() -> None:
    data = authenticate_reply()
    data["member_session"]["expires_at"] = "later"
    with pytest.raises(StructureError, match=r"\$\.member_session\.expires_at"):
        structure(data, SmsAuthenticateResponse)


def test_error_messages_are_bounded_however_bad_the_reply() -> None:
    data = authenticate_reply()
    data["member"]["roles"] = [{"role_id": index} for index in range(50_000)]
    data["member"]["is_locked"] = "no"
    data["organization"]["mfa_policy"] = 1
    with pytest.raises(StructureError) as caught:
        structure(data, SmsAuthenticateResponse)
    message = str(caught.value)
    assert message.count(" @ $") <= 5
    assert len(message) < 1000
    assert "more" in message
