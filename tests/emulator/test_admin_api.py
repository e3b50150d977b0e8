"""The admin API under ``/_emulator/``: seeding, the outbox, the clock and faults over HTTP,
for test suites that drive the emulator from another process."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from stytch_b2b_otp import AuthenticationError, InternalServerError, StytchB2BClient
from stytch_b2b_otp.emulator import Emulator
from tests.emulator.conftest import (
    PHONE,
    SECOND_PHONE,
    MfaFlow,
    RawReply,
    assert_error_body,
    expect_error,
    new_flow,
    raw_request,
)

ADMIN = "/_emulator"


async def _admin(
    emu: Emulator, method: str, route: str, body: object = None, *, ok: bool = True
) -> Any:
    reply = await raw_request(emu, ADMIN + route, body, method=method)
    if ok:
        assert reply.status == 200, reply.body
        return reply.body
    return reply


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("POST", "/organizations"),
        ("POST", "/members"),
        ("GET", "/members/member-test-1"),
        ("POST", "/intermediate_sessions"),
        ("POST", "/sessions"),
        ("GET", "/messages"),
        ("POST", "/clock"),
        ("POST", "/faults"),
        ("DELETE", "/faults"),
        ("POST", "/seed"),
    ],
)
async def test_every_admin_route_requires_the_credentials(
    emu: Emulator, method: str, route: str
) -> None:
    reply = await raw_request(emu, ADMIN + route, {}, method=method, authorization=None)
    assert_error_body(reply, 401, "unauthorized_credentials")


async def test_organizations_and_members_are_created_and_read_back(emu: Emulator) -> None:
    org = await _admin(
        emu,
        "POST",
        "/organizations",
        {
            "name": "Acme",
            "slug": "acme-corp",
            "mfa_policy": "REQUIRED_FOR_ALL",
            "mfa_methods": "RESTRICTED",
            "allowed_mfa_methods": ["sms_otp"],
        },
    )
    assert org["organization_id"].startswith("organization-test-")
    assert org["organization_slug"] == "acme-corp"
    member = await _admin(
        emu,
        "POST",
        "/members",
        {
            "organization_id": org["organization_id"],
            "email_address": "ada@acme.test",
            "mfa_phone_number": PHONE,
            "phone_verified": True,
            "roles": ["editor"],
        },
    )
    assert member["organization_id"] == org["organization_id"]
    read = await _admin(emu, "GET", f"/members/{member['member_id']}")
    assert read == {
        "member_id": member["member_id"],
        "mfa_phone_number": PHONE,
        "mfa_phone_number_verified": True,
        "mfa_enrolled": False,
        "default_mfa_method": "",
        "is_locked": False,
        "status": "active",
    }
    seen = emu.get_member(member["member_id"])
    assert [role.role_id for role in seen.roles] == ["stytch_member", "editor"]


async def test_sessions_are_issued_over_http(emu: Emulator, flow: MfaFlow) -> None:
    ids = {"organization_id": flow.org.organization_id, "member_id": flow.member.member_id}
    ist = await _admin(
        emu, "POST", "/intermediate_sessions", {**ids, "primary_factor": "email_otp"}
    )
    assert set(ist) == {"intermediate_session_token"}
    session = await _admin(emu, "POST", "/sessions", {**ids, "session_duration_minutes": 30})
    assert set(session) == {"session_token", "session_jwt"}
    claims = jwt.decode(session["session_jwt"], options={"verify_signature": False})
    assert claims["sub"] == flow.member.member_id


async def test_the_outbox_is_read_with_codes_and_filtered_by_member(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    colleague = new_flow(emu, slug="globex", email="bob@globex.test")
    await flow.send(sdk, locale="fr")
    await colleague.send(sdk, mfa_phone_number=SECOND_PHONE)
    everything = await _admin(emu, "GET", "/messages")
    assert [m["code"] for m in everything["messages"]] == [m.code for m in emu.sent_messages]
    mine = await _admin(emu, "GET", f"/messages?member_id={flow.member.member_id}")
    [message] = mine["messages"]
    assert message == {
        "phone_number": PHONE,
        "code": emu.last_code(flow.member.member_id),
        "member_id": flow.member.member_id,
        "organization_id": flow.org.organization_id,
        "locale": "fr",
        "text": f"Votre code de vérification est {message['code']}.",
        "sent_at": "2026-03-02T10:00:00Z",
    }
    nobody = await _admin(emu, "GET", "/messages?member_id=member-test-nobody")
    assert nobody == {"messages": []}


async def test_the_clock_moves_over_http(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    moved = await _admin(emu, "POST", "/clock", {"advance_seconds": 121})
    assert moved == {"now": "2026-03-02T10:02:01Z"}
    call = sdk.otps.sms.authenticate(**flow.ids, code=code, intermediate_session_token=flow.ist)
    await expect_error(AuthenticationError, "unable_to_auth_otp_code", call)


async def test_faults_are_planned_and_cleared_over_http(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    planned = {"endpoint": "send", "status": 503, "times": None}
    assert await _admin(emu, "POST", "/faults", planned) == {}
    for _ in range(2):
        await expect_error(InternalServerError, "server_unavailable", flow.send(sdk))
    assert await _admin(emu, "DELETE", "/faults") == {}
    await flow.send(sdk)
    assert len(emu.sent_messages) == 1


async def test_a_seed_document_creates_organizations_with_members(emu: Emulator) -> None:
    document = {
        "organizations": [
            {
                "name": "Acme",
                "slug": "acme",
                "external_id": "crm-1",
                "members": [
                    {"email_address": "ada@acme.test", "external_id": "hr-1"},
                    {"email_address": "bob@acme.test", "mfa_phone_number": PHONE},
                ],
            },
            {"name": "Globex"},
        ]
    }
    seeded = await _admin(emu, "POST", "/seed", document)
    acme, globex = seeded["organizations"]
    assert acme["slug"] == "acme"
    assert [m["email_address"] for m in acme["members"]] == ["ada@acme.test", "bob@acme.test"]
    assert (globex["slug"], globex["members"]) == ("globex", [])
    bob = emu.get_member(acme["members"][1]["member_id"])
    assert (bob.organization_id, bob.mfa_phone_number) == (acme["organization_id"], PHONE)


BAD_INPUT = [
    ("POST", "/organizations", b"[]", "The request body must be a JSON object."),
    ("POST", "/organizations", b"{oops", "The request body is not valid JSON."),
    ("POST", "/organizations", {"name": "Acme", "colour": "red"}, "argument 'colour'"),
    ("POST", "/organizations", {"name": ""}, "name must be a string of 1 to 128 characters"),
    ("POST", "/organizations", {"name": "Acme", "mfa_policy": "SOMETIMES"}, "mfa_policy must be"),
    ("POST", "/organizations", {"name": "Dup", "slug": "acme"}, "slug 'acme' already exists"),
    ("POST", "/members", {"email_address": "a@acme.test"}, "organization_id is required"),
    (
        "POST",
        "/members",
        {"organization_id": "organization-test-nope", "email_address": "a@acme.test"},
        "no organization 'organization-test-nope'",
    ),
    ("POST", "/members", {"organization_id": "{org}"}, "argument: 'email_address'"),
    (
        "POST",
        "/members",
        {"organization_id": "{org}", "email_address": "ada@acme.test"},
        "'ada@acme.test' is already a member",
    ),
    ("GET", "/members/member-test-nope", None, "no member 'member-test-nope'"),
    (
        "POST",
        "/intermediate_sessions",
        {"organization_id": "{org}", "member_id": "member-test-nope"},
        "no member 'member-test-nope' in organization",
    ),
    ("POST", "/sessions", {"organization_id": "{org}"}, "member_id is required"),
    ("POST", "/clock", {"advance_seconds": "soon"}, "advance_seconds must be a number"),
    ("POST", "/clock", {"advance_seconds": -1}, "seconds must be a number from 0"),
    ("POST", "/clock", {"advance_seconds": 1e12}, "seconds must be a number from 0"),
    ("POST", "/faults", {"status": 500}, "endpoint is required"),
    ("POST", "/faults", {"endpoint": "send"}, "a fault needs status"),
    ("POST", "/faults", {"endpoint": "send", "status": 500, "bogus": 1}, "argument 'bogus'"),
    ("POST", "/seed", {"orgs": []}, "seed: unknown key(s) orgs"),
    ("POST", "/seed", {"organizations": {}}, "organizations must be a list of objects"),
    (
        "POST",
        "/seed",
        {"organizations": [{"name": "Initech", "colour": 1}]},
        "organizations[0]: unknown key(s) colour",
    ),
    (
        "POST",
        "/seed",
        {"organizations": [{"name": "Initech", "members": [{"email_address": "nope"}]}]},
        "organizations[0].members[0]: email_address must be an email address",
    ),
]


@pytest.mark.parametrize(("method", "route", "body", "message"), BAD_INPUT)
async def test_bad_admin_input_is_a_bad_request_naming_the_problem(
    emu: Emulator, flow: MfaFlow, method: str, route: str, body: object, message: str
) -> None:
    if isinstance(body, bytes):
        reply: RawReply = await raw_request(emu, ADMIN + route, data=body, method=method)
    else:
        text = json.dumps(body).replace("{org}", flow.org.organization_id)
        reply = await _admin(emu, method, route, json.loads(text), ok=False)
    assert_error_body(reply, 400, "bad_request")
    assert message in reply.body["error_message"]


async def test_an_unknown_admin_route_is_not_found(emu: Emulator) -> None:
    reply = await raw_request(emu, ADMIN + "/reset", {})
    assert_error_body(reply, 404, "route_not_found")


async def test_the_sdk_completes_mfa_with_only_admin_seeded_data(
    emu: Emulator, sdk: StytchB2BClient
) -> None:
    document = {
        "organizations": [
            {
                "name": "Acme",
                "mfa_policy": "REQUIRED_FOR_ALL",
                "members": [{"email_address": "ada@acme.test"}],
            }
        ]
    }
    [org] = (await _admin(emu, "POST", "/seed", document))["organizations"]
    ids = {"organization_id": org["organization_id"], "member_id": org["members"][0]["member_id"]}
    ist = (await _admin(emu, "POST", "/intermediate_sessions", ids))["intermediate_session_token"]

    await sdk.otps.sms.send(**ids, mfa_phone_number=PHONE, intermediate_session_token=ist)
    outbox = await _admin(emu, "GET", f"/messages?member_id={ids['member_id']}")
    code = outbox["messages"][-1]["code"]
    reply = await sdk.otps.sms.authenticate(**ids, code=code, intermediate_session_token=ist)

    assert reply.member_session is not None
    assert reply.member_session.member_id == ids["member_id"]
    member = await _admin(emu, "GET", f"/members/{ids['member_id']}")
    assert member["mfa_phone_number_verified"] is True
    assert member["mfa_enrolled"] is True
    assert member["default_mfa_method"] == "sms_otp"
