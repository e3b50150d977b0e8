"""The admin API under ``/_emulator/``: seed data and read the outbox over HTTP.

For a test suite in another process or language. It takes the same Basic credentials
as Stytch's routes, so nothing else on the machine can read codes from it.

| Route | Does |
|---|---|
| ``POST /_emulator/organizations`` | `Emulator.create_organization` (JSON keywords) |
| ``POST /_emulator/members`` | `Emulator.create_member` (with ``organization_id``) |
| ``GET /_emulator/members/{member_id}`` | the member as it is now |
| ``POST /_emulator/intermediate_sessions`` | ``{"intermediate_session_token": ...}`` |
| ``POST /_emulator/sessions`` | ``{"session_token": ..., "session_jwt": ...}`` |
| ``GET /_emulator/messages[?member_id=]`` | the outbox, codes included |
| ``POST /_emulator/clock`` | ``{"advance_seconds": n}`` moves the clock |
| ``POST /_emulator/faults``, ``DELETE /_emulator/faults`` | plan or clear faults |
| ``POST /_emulator/seed`` | a seed document (see ``_seed``) |
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web

from stytch_b2b_otp.emulator._catalogue import EmulatorError
from stytch_b2b_otp.emulator._http import EMULATOR_KEY, json_response, read_json
from stytch_b2b_otp.emulator._render import timestamp
from stytch_b2b_otp.emulator._seed import seed

__all__ = ["ADMIN_PREFIX", "admin_routes"]

ADMIN_PREFIX = "/_emulator"
_Handler = Callable[[web.Request], Awaitable[web.Response]]


def _admin(handler: Callable[[web.Request, Any], Any]) -> _Handler:
    """JSON in, JSON out; a test's mistake (ValueError, KeyError, TypeError) is a 400."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        body = await read_json(request) if request.can_read_body else None
        if request.method == "POST" and not isinstance(body, dict):
            raise EmulatorError("bad_request", "The request body must be a JSON object.")
        try:
            result = handler(request, body)
        except KeyError as exc:  # str() would quote it: the message is its argument
            raise EmulatorError("bad_request", str(exc.args[0]) if exc.args else None) from None
        except (LookupError, TypeError, ValueError) as exc:
            raise EmulatorError("bad_request", str(exc)) from None
        return json_response(result)

    return wrapped


def _take(body: dict[str, Any], key: str) -> Any:
    """Remove and return a required key of the body."""
    if key not in body:
        raise ValueError(f"{key} is required")
    return body.pop(key)


@_admin
def _organizations(request: web.Request, body: dict[str, Any]) -> Any:
    org = request.app[EMULATOR_KEY].create_organization(**body)
    return {"organization_id": org.organization_id, "organization_slug": org.organization_slug}


@_admin
def _members(request: web.Request, body: dict[str, Any]) -> Any:
    organization_id = _take(body, "organization_id")
    member = request.app[EMULATOR_KEY].create_member(organization_id, **body)
    return {"member_id": member.member_id, "organization_id": member.organization_id}


@_admin
def _member(request: web.Request, _: object) -> Any:
    member_id = request.match_info["member_id"]
    try:
        member = request.app[EMULATOR_KEY].get_member(member_id)
    except KeyError:
        raise LookupError(f"no member {member_id!r}") from None
    return {
        "member_id": member.member_id,
        "mfa_phone_number": member.mfa_phone_number,
        "mfa_phone_number_verified": member.mfa_phone_number_verified,
        "mfa_enrolled": member.mfa_enrolled,
        "default_mfa_method": member.default_mfa_method,
        "is_locked": member.is_locked,
        "status": member.status,
    }


@_admin
def _intermediate_sessions(request: web.Request, body: dict[str, Any]) -> Any:
    token = request.app[EMULATOR_KEY].create_intermediate_session(
        _take(body, "organization_id"), _take(body, "member_id"), **body
    )
    return {"intermediate_session_token": token}


@_admin
def _sessions(request: web.Request, body: dict[str, Any]) -> Any:
    token, jwt = request.app[EMULATOR_KEY].create_session(
        _take(body, "organization_id"), _take(body, "member_id"), **body
    )
    return {"session_token": token, "session_jwt": jwt}


@_admin
def _messages(request: web.Request, _: object) -> Any:
    member_id = request.query.get("member_id")
    return {
        "messages": [
            {
                "phone_number": m.phone_number,
                "code": m.code,
                "member_id": m.member_id,
                "organization_id": m.organization_id,
                "locale": m.locale,
                "text": m.text,
                "sent_at": timestamp(m.sent_at),
            }
            for m in request.app[EMULATOR_KEY].sent_messages
            if member_id is None or m.member_id == member_id
        ]
    }


@_admin
def _clock(request: web.Request, body: dict[str, Any]) -> Any:
    seconds = body.get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError("advance_seconds must be a number")
    emulator = request.app[EMULATOR_KEY]
    emulator.advance_time(seconds)
    return {"now": timestamp(emulator.clock.now())}


@_admin
def _add_fault(request: web.Request, body: dict[str, Any]) -> Any:
    request.app[EMULATOR_KEY].inject_fault(_take(body, "endpoint"), **body)
    return {}


@_admin
def _clear_faults(request: web.Request, _: object) -> Any:
    request.app[EMULATOR_KEY].clear_faults()
    return {}


@_admin
def _seed(request: web.Request, body: dict[str, Any]) -> Any:
    return {"organizations": [attrs.asdict(org) for org in seed(request.app[EMULATOR_KEY], body)]}


def admin_routes(prefix: str) -> list[web.RouteDef]:
    """The admin routes under ``prefix``."""
    return [
        web.post(f"{prefix}/organizations", _organizations),
        web.post(f"{prefix}/members", _members),
        web.get(f"{prefix}/members/{{member_id}}", _member),
        web.post(f"{prefix}/intermediate_sessions", _intermediate_sessions),
        web.post(f"{prefix}/sessions", _sessions),
        web.get(f"{prefix}/messages", _messages),
        web.post(f"{prefix}/clock", _clock),
        web.post(f"{prefix}/faults", _add_fault),
        web.delete(f"{prefix}/faults", _clear_faults),
        web.post(f"{prefix}/seed", _seed),
    ]
