"""No secret leaks: full flows against the emulator, everything captured and searched.

The project secret (and its Basic ``Authorization`` value), every code the emulator
texted or the test typed, intermediate session tokens, session tokens and session JWTs
must never appear in a ``repr``, an error message, an exception chain the SDK builds
(``__cause__``/``__context__``, ``args``, attributes, formatted tracebacks), or any log
record at any level. The emulator's codes are made distinctive (``8642xx``) so that
finding one is meaningful.

The same flows pin the per-attempt log records (Observability): endpoint, status,
``request_id``, attempt number, elapsed time and retry decision, for every attempt.
"""

from __future__ import annotations

import base64
import itertools
import logging
import traceback
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar
from unittest.mock import ANY

import pytest
from aiohttp import web

from stytch_b2b_otp import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    RequestValidationError,
    RetryPolicy,
    SmsAuthenticateRequest,
    SmsAuthenticateResponse,
    SmsSendRequest,
    StytchB2BClient,
    StytchError,
)
from stytch_b2b_otp.emulator import Emulator, EmulatorConfig
from tests.conftest import MemberIds
from tests.servers import FakeStytch

PROJECT_ID = "project-test-5e1c0d9a-7b3f-4c2e-9a8d-0f1e2d3c4b5a"
SECRET = "secret-test-SENTINEL-q7Xw9Lk4Vb8Np3Rt6Yz2Hm5J"
WRONG_SECRET = "secret-test-WRONGSENTINEL-Tq4Lm8Zx2Pw6Rv0B"
FORGED_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJTRU5USU5FTCI6MX0.Rk9SR0VEU0VOVElORUxTSUdOQVRVUkU"
WRONG_CODES = ["864190", "864191", "864192", "864193", "864194", "864195"]
FIRST_CODE = 864_201  # the emulator's codes: 864201, 864202, ...
PHONE = "+12025550162"
SEND = "/v1/b2b/otps/sms/send"
AUTH = "/v1/b2b/otps/sms/authenticate"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)
LOGGERS = ["", "stytch_b2b_otp", "aiohttp", "aiohttp.client", "aiohttp.server", "asyncio"]

E = TypeVar("E", bound=BaseException)


def _basic(project_id: str, secret: str) -> str:
    return base64.b64encode(f"{project_id}:{secret}".encode()).decode()


class Evidence:
    """Every text the SDK produced during the flows, with where it came from."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.errors: list[BaseException] = []

    def add(self, where: str, text: object) -> None:
        self.texts.append((where, text if isinstance(text, str) else repr(text)))

    def error(self, where: str, error: BaseException) -> None:
        self.errors.append(error)
        self.add(f"{where}: formatted", "".join(traceback.format_exception(error)))
        for depth, link in enumerate(_chain(error)):
            label = f"{where}: chain[{depth}] {type(link).__name__}"
            self.add(label + " str", str(link))
            self.add(label + " repr", repr(link))
            self.add(label + " args", link.args)
            self.add(label + " attributes", vars(link) if hasattr(link, "__dict__") else "")
            self.add(label + " notes", getattr(link, "__notes__", ""))

    def records(self, records: list[logging.LogRecord]) -> None:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        for record in records:
            where = f"log {record.name} {record.levelname}"
            self.add(where + " message", record.getMessage())
            self.add(where + " formatted", formatter.format(record))
            self.add(where + " record", record.__dict__)  # extras, args, exc_info

    def find(self, secret: str) -> list[str]:
        return [where for where, text in self.texts if secret in text]


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending = [error]
    while pending:
        link = pending.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        pending.extend(x for x in (link.__cause__, link.__context__) if x is not None)


async def _outcome(call: Awaitable[object]) -> StytchError | None:
    """The SDK error ``call`` raised, or ``None``."""
    try:
        await call
    except StytchError as error:
        return error
    return None


async def _expect(evidence: Evidence, error_class: type[E], call: Awaitable[object]) -> E:
    error = await _outcome(call)
    assert type(error) is error_class, repr(error)
    assert isinstance(error, error_class)
    evidence.error(error_class.__name__, error)
    return error


def _extra(record: logging.LogRecord, name: str) -> Any:
    """A ``stytch_*`` attribute the SDK's ``extra=`` put on a log record."""
    return vars(record)[f"stytch_{name}"]


def _attempts(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """The per-attempt records: one for each HTTP attempt, whatever its outcome."""
    return [r for r in records if r.name == "stytch_b2b_otp" and hasattr(r, "stytch_elapsed_ms")]


class Attempts:
    """Reads the attempt records logged since the previous check."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.seen = 0

    def new(self) -> list[logging.LogRecord]:
        records = self.caplog.records[self.seen :]
        self.seen = len(self.caplog.records)
        return records

    def check(
        self,
        endpoint: str,
        outcomes: list[tuple[int | None, str | None, bool | None]],
    ) -> list[logging.LogRecord]:
        """Each attempt since the last check: (status, request_id, retry decision)."""
        records = self.new()
        attempts = _attempts(records)
        assert [
            (_extra(r, "status"), _extra(r, "request_id"), _extra(r, "retry")) for r in attempts
        ] == outcomes
        for number, record in enumerate(attempts, start=1):
            assert record.levelno == logging.DEBUG
            assert _extra(record, "endpoint") == endpoint
            assert _extra(record, "attempt") == number
            assert _extra(record, "project_id") == PROJECT_ID
            assert isinstance(_extra(record, "elapsed_ms"), float)
            assert _extra(record, "elapsed_ms") >= 0
            message = record.getMessage()
            assert f"POST {endpoint} attempt {number}:" in message
            assert " ms " in message
        return records


@pytest.fixture
def distinctive_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's codes become 864201, 864202...: easy to search for."""
    counter = itertools.count(FIRST_CODE)
    monkeypatch.setattr("stytch_b2b_otp.emulator._rules.secrets.randbelow", lambda _: next(counter))


@pytest.mark.usefixtures("distinctive_codes")
async def test_no_secret_appears_anywhere_across_every_outcome(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    evidence = Evidence()
    attempts = Attempts(caplog)
    secrets = {"secret": SECRET, "wrong secret": WRONG_SECRET, "forged jwt": FORGED_JWT}
    secrets["authorization"] = _basic(PROJECT_ID, SECRET)
    secrets["wrong authorization"] = _basic(PROJECT_ID, WRONG_SECRET)
    secrets.update({f"typed code {code}": code for code in WRONG_CODES})

    config = EmulatorConfig(lock_threshold=4)
    async with Emulator(PROJECT_ID, SECRET, config=config) as emu:
        org = emu.create_organization(name="Acme", slug="acme")
        member = emu.create_member(org.organization_id, email_address="ada@acme.test")
        ids: MemberIds = {"organization_id": org.organization_id, "member_id": member.member_id}
        ist = emu.create_intermediate_session(org.organization_id, member.member_id)
        secrets["ist"] = ist
        async with emu.client(retry=FAST) as client:
            sms = client.otps.sms
            evidence.add("client repr", repr(client))
            evidence.add("view repr", repr(client.with_options(timeout=3)))

            # Success: send, then authenticate with the intermediate session token.
            sent = await sms.send(**ids, mfa_phone_number=PHONE, intermediate_session_token=ist)
            evidence.add("send reply", repr(sent))
            attempts.check(SEND, [(200, sent.request_id, None)])
            first_code = emu.last_code(member.member_id)
            assert first_code == str(FIRST_CODE)
            request = SmsAuthenticateRequest(**ids, code=first_code, intermediate_session_token=ist)
            evidence.add("authenticate request", repr(request))
            evidence.add("authenticate request str", str(request))
            session = await sms.authenticate(**ids, code=first_code, intermediate_session_token=ist)
            attempts.check(AUTH, [(200, session.request_id, None)])
            secrets["session token"] = session.session_token
            secrets["session jwt"] = session.session_jwt
            secrets["session jwt signature"] = session.session_jwt.rsplit(".", 1)[1]
            evidence.add("authenticate reply", repr(session))
            evidence.add("authenticate reply str", str(session))
            evidence.add("member session", repr(session.member_session))
            evidence.add(
                "send request", repr(SmsSendRequest(**ids, session_jwt=session.session_jwt))
            )
            step_up: dict[str, Any] = {"session_token": session.session_token}
            by_jwt: dict[str, Any] = {"session_jwt": session.session_jwt}
            error: APIStatusError

            # 404: a wrong code (step-up by session token).
            await sms.send(**ids, **step_up)
            attempts.new()
            error = await _expect(
                evidence, NotFoundError, sms.authenticate(**ids, code=WRONG_CODES[0], **by_jwt)
            )
            assert error.error_type == "otp_code_not_found"
            attempts.check(AUTH, [(404, error.request_id, False)])

            # 401: a code replaced by a newer one.
            replaced = emu.last_code(member.member_id)
            await sms.send(**ids, **by_jwt)
            attempts.new()
            error = await _expect(
                evidence, AuthenticationError, sms.authenticate(**ids, code=replaced, **step_up)
            )
            assert error.error_type == "unable_to_auth_otp_code"
            attempts.check(AUTH, [(401, error.request_id, False)])
            code = emu.last_code(member.member_id)

            # 401: a session JWT the emulator did not sign.
            error = await _expect(
                evidence,
                AuthenticationError,
                sms.authenticate(**ids, code=code, session_jwt=FORGED_JWT),
            )
            attempts.check(AUTH, [(401, error.request_id, False)])

            # 400 from the server (the SDK's own checks pass): an unsupported locale.
            error = await _expect(
                evidence, BadRequestError, sms.send(**ids, locale="xx", **step_up)
            )
            assert error.error_type == "invalid_locale"
            attempts.check(SEND, [(400, error.request_id, False)])

            # 5xx: not retried by default.
            emu.inject_fault("authenticate", status=503)
            error = await _expect(
                evidence, InternalServerError, sms.authenticate(**ids, code=code, **step_up)
            )
            attempts.check(AUTH, [(503, error.request_id, False)])

            # A 429 with Retry-After: 0 is retried, then succeeds.
            emu.inject_fault("authenticate", status=429, retry_after=0)
            again = await sms.authenticate(**ids, code=code, **step_up)
            records = attempts.check(AUTH, [(429, ANY, True), (200, again.request_id, None)])
            assert _extra(_attempts(records)[0], "request_id").startswith("request-id-test-")
            (retrying,) = [r for r in records if r.levelno == logging.INFO]
            assert _extra(retrying, "attempt") == 1
            assert _extra(retrying, "endpoint") == AUTH
            assert _extra(retrying, "retry_delay") >= 0
            assert "retrying" in retrying.getMessage()
            secrets["stepped-up jwt"] = again.session_jwt
            evidence.add("stepped-up reply", repr(again))

            # No reply in time: the send is not retried (it may have been processed).
            emu.inject_fault("send", delay=0.3)
            await _expect(
                evidence, APITimeoutError, client.with_options(timeout=0.1).otps.sms.send(**ids)
            )
            attempts.check(SEND, [(None, None, False)])

            # The connection dropped without a reply.
            emu.inject_fault("send", drop=True)
            await _expect(evidence, APIConnectionError, sms.send(**ids, **step_up))
            attempts.check(SEND, [(None, None, False)])

            # A 200 that is not JSON.
            emu.inject_fault("send", malformed=True)
            await _expect(evidence, InvalidResponseError, sms.send(**ids, **step_up))
            attempts.check(SEND, [(200, None, False)])

            # Bad input carrying secrets: refused before any I/O, the values not echoed.
            calls = emu.calls("send") + emu.calls("authenticate")
            for bad in (
                sms.authenticate(**ids, code=code + " ", **step_up),
                sms.authenticate(**ids, code=code, session_token=" " + session.session_token),
                sms.authenticate(**ids, code=code, session_jwt=session.session_jwt + "\n"),
                sms.authenticate(**ids, code=code, intermediate_session_token=ist + "\r\n"),
                sms.send(**ids, intermediate_session_token=ist, session_token=SECRET),
                sms.authenticate(**ids, code=SECRET, **step_up),
            ):
                await _expect(evidence, RequestValidationError, bad)
            assert emu.calls("send") + emu.calls("authenticate") == calls
            assert _attempts(attempts.new()) == []

            # 429: wrong codes until the member is locked (a 1-hour Retry-After: no retry).
            locked: RateLimitError | None = None
            for wrong in WRONG_CODES[1:]:
                failed = await _outcome(sms.authenticate(**ids, code=wrong, **step_up))
                assert failed is not None
                evidence.error(type(failed).__name__, failed)
                if isinstance(failed, RateLimitError):
                    locked = failed
                    break
                assert isinstance(failed, NotFoundError)
            assert locked is not None, "the member was never locked"
            assert locked.error_type == "user_lock_limit_reached"
            assert locked.retry_after is not None
            assert locked.retry_after > FAST.max_retry_after
            assert _extra(_attempts(attempts.new())[-1], "retry") is False

        # 401: wrong credentials.
        async with Emulator(PROJECT_ID, SECRET) as other:
            wrong_client = StytchB2BClient(
                PROJECT_ID, WRONG_SECRET, base_url=other.base_url, retry=FAST
            )
            async with wrong_client:
                evidence.add("wrong client repr", repr(wrong_client))
                error = await _expect(
                    evidence, AuthenticationError, wrong_client.otps.sms.send(**ids)
                )
                assert error.error_type == "unauthorized_credentials"
                attempts.check(SEND, [(401, error.request_id, False)])

        codes = {m.code for m in emu.sent_messages}
        assert len(codes) >= 3
        evidence.add("outbox repr", repr(emu.sent_messages))

    secrets.update({f"sent code {c}": c for c in codes})
    evidence.records(caplog.records)
    assert len(evidence.errors) >= 14
    assert len(_attempts(caplog.records)) >= 15

    leaks = {name: evidence.find(value) for name, value in secrets.items()}
    assert {name: where for name, where in leaks.items() if where} == {}
    # The search is not vacuous: the public parts are there to be found.
    assert evidence.find(PROJECT_ID)
    assert evidence.find("otp_code_not_found")


@pytest.mark.usefixtures("distinctive_codes")
async def test_a_reply_object_keeps_its_secrets_out_of_repr_and_str() -> None:
    async with Emulator(PROJECT_ID, SECRET) as emu:
        org = emu.create_organization(name="Acme", slug="acme")
        member = emu.create_member(org.organization_id, email_address="ada@acme.test")
        ids: MemberIds = {"organization_id": org.organization_id, "member_id": member.member_id}
        ist = emu.create_intermediate_session(org.organization_id, member.member_id)
        async with emu.client(retry=FAST) as client:
            await client.otps.sms.send(
                **ids, mfa_phone_number=PHONE, intermediate_session_token=ist
            )
            code = emu.last_code(member.member_id)
            reply: SmsAuthenticateResponse = await client.otps.sms.authenticate(
                **ids, code=code, intermediate_session_token=ist
            )
    texts = [repr(reply), str(reply), f"{reply}", f"{reply!r}", repr(reply.member_session)]
    for secret in (reply.session_token, reply.session_jwt, ist, code, SECRET):
        assert not [text for text in texts if secret in text]
    # The secrets are still there for the caller, of course.
    assert reply.raw["session_token"] == reply.session_token


ECHO_IST = "intermediate-session-SENTINEL-w3Rt8Yq1Lp5Zx9Kc"


async def test_an_error_reply_echoing_the_request_is_redacted_everywhere(
    fake_stytch: FakeStytch, caplog: pytest.LogCaptureFixture
) -> None:
    """A gateway or a future Stytch message quoting the request back (the code, the
    token, the Authorization header) shows none of it in errors or log lines."""

    async def echo(request: web.Request) -> web.Response:
        basic = request.headers["Authorization"]
        credentials = base64.b64decode(basic.removeprefix("Basic ")).decode()
        sent = f"{basic} ({credentials}) {(await request.read()).decode()}"
        if len(fake_stytch.seen) == 1:  # a retried 429, so a retry log line is written too
            return web.json_response(
                {"status_code": 429, "error_type": "too_many_requests", "error_message": sent},
                status=429,
                headers={"Retry-After": "0"},
            )
        if request.path == SEND:
            return web.Response(status=502, text=f"<pre>{sent}</pre>", content_type="text/html")
        error = {"status_code": 404, "error_type": "otp_code_not_found", "error_message": sent}
        return web.json_response({**error, "error_details": {"sent": sent}}, status=404)

    fake_stytch.handler = echo
    evidence = Evidence()
    secrets = [SECRET, _basic(PROJECT_ID, SECRET), WRONG_CODES[0], ECHO_IST]
    with caplog.at_level(logging.DEBUG):
        async with StytchB2BClient(
            PROJECT_ID, SECRET, base_url=fake_stytch.base_url, retry=FAST
        ) as client:
            ids: dict[str, Any] = {
                "organization_id": "organization-test-1",
                "member_id": "member-test-1",
            }
            auth = client.otps.sms.authenticate(
                **ids, code=WRONG_CODES[0], intermediate_session_token=ECHO_IST
            )
            not_found = await _expect(evidence, NotFoundError, auth)
            send = client.otps.sms.send(**ids, intermediate_session_token=ECHO_IST)
            bad_gateway = await _expect(evidence, InternalServerError, send)
    evidence.records(caplog.records)
    for error in (not_found, bad_gateway):
        evidence.add("body", error.body)
        assert "<redacted>" in str(error)
    assert "retrying" in caplog.text  # the 429 was retried, and logged
    assert len(fake_stytch.seen) == 3
    for secret in secrets:
        assert evidence.find(secret) == [], secret
