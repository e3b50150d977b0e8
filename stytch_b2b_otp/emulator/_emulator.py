"""`Emulator`: a local, stateful Stytch B2B SMS OTP, served by aiohttp on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

from stytch_b2b_otp._client import StytchB2BClient
from stytch_b2b_otp._config import is_loopback
from stytch_b2b_otp._converter import structure
from stytch_b2b_otp._member import Member
from stytch_b2b_otp._organization import Organization
from stytch_b2b_otp.emulator._clock import Clock
from stytch_b2b_otp.emulator._config import EmulatorConfig
from stytch_b2b_otp.emulator._directory import Directory
from stytch_b2b_otp.emulator._faults import Endpoint, Fault, FaultPlan
from stytch_b2b_otp.emulator._jwt import SigningKey
from stytch_b2b_otp.emulator._records import SentMessage, new_id
from stytch_b2b_otp.emulator._render import (
    email_factor,
    member_json,
    organization_json,
    session_json,
)
from stytch_b2b_otp.emulator._rules import OtpRules
from stytch_b2b_otp.emulator._server import JWKS_PATH, build_app
from stytch_b2b_otp.emulator._sessions import SessionStore
from stytch_b2b_otp.emulator._validation import parse_authenticate, parse_send

__all__ = ["DEFAULT_PROJECT_ID", "DEFAULT_SECRET", "Emulator"]

DEFAULT_PROJECT_ID = "project-test-00000000-0000-4000-8000-000000000000"
DEFAULT_SECRET = "secret-test-emulator-not-a-real-secret-000000"  # noqa: S105 (public, fake)
PrimaryFactor = Literal["magic_link", "email_otp", "password"]
_PRIMARY_DELIVERY = {"magic_link": "email", "email_otp": "email", "password": "knowledge"}
_STARTUP_TIMEOUT = 30.0


class Emulator:
    """Stytch's two SMS OTP endpoints (and the session JWKS), on your machine.

    Serve it in the running event loop:

    ```python
    async with Emulator() as emu:
        org = emu.create_organization(name="Acme")
    ```

    or in a background thread, for synchronous tests and for apps whose test client
    runs its own loop (FastAPI's ``TestClient``):

    ```python
    with Emulator() as emu: ...
    ```

    The state (organizations, members, codes, sessions, the outbox) lives in memory and
    is safe to read and seed from any thread while requests are served.

    Args:
        project_id: The project id clients must present (a ``project-test-`` id by
            default, which also makes ids and request ids ``*-test-*``).
        secret: The secret clients must present. The default is a fixed, public,
            fake value: the emulator guards nothing real.
        host: Where to listen (loopback by default).
        port: ``0`` picks a free port.
        config: The rules' thresholds (`EmulatorConfig`).
        clock: The emulator's time (`Clock`); frozen clocks make timestamps exact.
    """

    def __init__(
        self,
        project_id: str = DEFAULT_PROJECT_ID,
        secret: str = DEFAULT_SECRET,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        config: EmulatorConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not project_id or not secret:
            raise ValueError("project_id and secret must not be empty")
        if not host:
            raise ValueError("host must not be empty (127.0.0.1 serves this machine only)")
        if secret == DEFAULT_SECRET and not is_loopback(host):
            # The default secret is public: beyond loopback, anyone could read the codes.
            raise ValueError(f"serving on {host} needs a secret of your own, not the default")
        self.project_id = project_id
        self.secret = secret
        self.host = host
        self.port = port
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.environment = "live" if project_id.startswith("project-live-") else "test"
        self._lock = threading.RLock()
        self._faults = FaultPlan()
        self._calls: Counter[str] = Counter()
        self._busy: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()
        self._directory = Directory(self.environment, self.clock)
        self._sessions = SessionStore(
            project_id=project_id,
            environment=self.environment,
            config=self.config,
            clock=self.clock,
            key=SigningKey(new_id("jwk", self.environment)),
        )
        self._rules = OtpRules(
            directory=self._directory,
            sessions=self._sessions,
            config=self.config,
            clock=self.clock,
        )
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"Emulator(project_id={self.project_id!r}, base_url={where!r})"

    # Lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, once started.

        Raises:
            RuntimeError: The emulator is not serving.
        """
        if self._base_url is None:
            raise RuntimeError("the emulator is not started: use `async with` or `with`")
        return self._base_url

    @property
    def jwks_url(self) -> str:
        """Where the session JWT signing keys are served."""
        return self.base_url + JWKS_PATH.format(project_id=self.project_id)

    async def start(self) -> None:
        """Start serving in the running event loop.

        Raises:
            RuntimeError: Already serving.
            OSError: The address is taken.
        """
        if self._runner is not None:
            raise RuntimeError("the emulator is already serving")
        runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            # A deep accept queue: bulk tests open hundreds of connections at once.
            site = web.TCPSite(runner, self.host, self.port, backlog=1024)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        port = runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._runner, self._base_url = runner, f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop serving (idempotent). The state stays readable."""
        runner, self._runner = self._runner, None
        self._base_url = None  # not serving any more: base_url raises again
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __enter__(self) -> Emulator:
        """Serve from a background thread with its own event loop."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._run_loop, args=(loop,), name="stytch-emulator", daemon=True
        )
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(_STARTUP_TIMEOUT)
        except BaseException:
            self._stop_thread(loop, thread)
            raise
        self._thread_loop, self._thread = loop, thread
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        loop, thread = self._thread_loop, self._thread
        self._thread_loop = self._thread = None
        if loop is not None and thread is not None:
            try:
                asyncio.run_coroutine_threadsafe(self.close(), loop).result(_STARTUP_TIMEOUT)
            finally:
                self._stop_thread(loop, thread)

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        # The loop is finished off in its own thread: the thread that entered `with` may
        # be running a loop of its own (an async test), where run_until_complete fails.
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    @staticmethod
    def _stop_thread(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()

    def client(self, **options: Any) -> StytchB2BClient:
        """A `StytchB2BClient` bound to this emulator (``options`` go to the client)."""
        return StytchB2BClient(self.project_id, self.secret, base_url=self.base_url, **options)

    # Seeding --------------------------------------------------------------------------

    def create_organization(
        self,
        name: str,
        *,
        slug: str | None = None,
        external_id: str | None = None,
        mfa_policy: Literal["OPTIONAL", "REQUIRED_FOR_ALL"] = "OPTIONAL",
        mfa_methods: Literal["ALL_ALLOWED", "RESTRICTED"] = "ALL_ALLOWED",
        allowed_mfa_methods: Sequence[str] = (),
    ) -> Organization:
        """Add an organization.

        Raises:
            ValueError: A bad value, or the slug or external id is taken.
        """
        with self._lock:
            org = self._directory.add_organization(
                name=name,
                slug=slug,
                external_id=external_id,
                mfa_policy=mfa_policy,
                mfa_methods=mfa_methods,
                allowed_mfa_methods=allowed_mfa_methods,
            )
            return structure(organization_json(org), Organization)

    def create_member(
        self,
        organization_id: str,
        *,
        email_address: str,
        name: str = "",
        mfa_phone_number: str | None = None,
        phone_verified: bool = False,
        mfa_enrolled: bool = False,
        external_id: str | None = None,
        status: Literal["active", "pending", "invited", "deleted"] = "active",
        roles: Sequence[str] = (),
        is_breakglass: bool = False,
    ) -> Member:
        """Add a member.

        With ``phone_verified=True`` the member already has an active MFA factor, as
        after an earlier MFA, so a send then needs a session argument.

        Raises:
            ValueError: Unknown organization, a bad value, or a duplicate email,
                external id or phone number within the organization.
        """
        with self._lock:
            member = self._directory.add_member(
                organization_id,
                email_address=email_address,
                name=name,
                mfa_phone_number=mfa_phone_number,
                phone_verified=phone_verified,
                mfa_enrolled=mfa_enrolled,
                external_id=external_id,
                status=status,
                roles=roles,
                is_breakglass=is_breakglass,
            )
            return structure(member_json(member, self.clock.now()), Member)

    def get_member(self, member_id: str) -> Member:
        """The member as it is now (phone, verification, enrollment, lock).

        Raises:
            KeyError: No such member.
        """
        with self._lock:
            return structure(
                member_json(self._directory.members[member_id], self.clock.now()), Member
            )

    def create_intermediate_session(
        self,
        organization_id: str,
        member_id: str,
        *,
        primary_factor: PrimaryFactor = "magic_link",
    ) -> str:
        """An intermediate session token, as a primary login that needs MFA leaves.

        It carries the primary factor into the session that authenticate creates, and
        (as primary authentication does) turns a pending or invited member active.

        Raises:
            KeyError: Unknown member, or a member of another organization.
            ValueError: Unknown ``primary_factor``.
        """
        if primary_factor not in _PRIMARY_DELIVERY:
            raise ValueError(f"primary_factor must be one of {', '.join(_PRIMARY_DELIVERY)}")
        with self._lock:
            member = self._member_of(organization_id, member_id)
            if member.status in ("pending", "invited"):
                member.status = "active"
            factor = email_factor(primary_factor, member, self.clock.now())
            factor["delivery_method"] = _PRIMARY_DELIVERY[primary_factor]
            return self._sessions.start_intermediate(member, [factor])

    def create_session(
        self,
        organization_id: str,
        member_id: str,
        *,
        session_duration_minutes: int | None = None,
        custom_claims: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        """A full member session (primary factor: email magic link), for step-up.

        Returns:
            ``(session_token, session_jwt)``.

        Raises:
            KeyError: Unknown member, or a member of another organization.
        """
        with self._lock:
            member = self._member_of(organization_id, member_id)
            org = self._directory.organizations[member.organization_id]
            factor = email_factor("magic_link", member, self.clock.now())
            session = self._sessions.start(
                member, [factor], minutes=session_duration_minutes, custom_claims=custom_claims
            )
            return session.token, self._sessions.jwt(session, org, member.roles)

    def _member_of(self, organization_id: str, member_id: str) -> Any:
        member = self._directory.members.get(member_id)
        if member is None or member.organization_id != organization_id:
            raise KeyError(f"no member {member_id!r} in organization {organization_id!r}")
        return member

    # Reading the outbox, moving time, injecting faults -------------------------------

    @property
    def sent_messages(self) -> list[SentMessage]:
        """Every SMS "sent", oldest first (a copy)."""
        with self._lock:
            return list(self._rules.outbox)

    def last_code(self, member_id: str) -> str:
        """The code in the last SMS sent to the member (valid or not any more).

        Raises:
            LookupError: No SMS was sent to that member.
        """
        with self._lock:
            code = self._rules.last_code(member_id)
        if code is None:
            raise LookupError(f"no SMS was sent to member {member_id!r}")
        return code

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward: codes, sessions and locks expire."""
        self.clock.advance(seconds)

    def inject_fault(
        self,
        endpoint: Endpoint,
        *,
        status: int | None = None,
        error_type: str | None = None,
        retry_after: float | str | None = None,
        delay: float = 0.0,
        drop: bool = False,
        malformed: bool = False,
        after_processing: bool = False,
        times: int | None = 1,
    ) -> None:
        """Make the next ``times`` calls of ``endpoint`` misbehave (see `Fault`).

        Raises:
            ValueError: An impossible fault.
        """
        fault = Fault(
            endpoint=endpoint,
            status=status,
            error_type=error_type,
            retry_after=retry_after,
            delay=delay,
            drop=drop,
            malformed=malformed,
            after_processing=after_processing,
            times=times,
        )
        with self._lock:
            self._faults.add(fault)

    def clear_faults(self) -> None:
        """Forget every fault not yet used."""
        with self._lock:
            self._faults.clear()

    def peak_in_flight(self, endpoint: Endpoint) -> int:
        """The most requests to ``endpoint`` the emulator was handling at one time."""
        with self._lock:
            return self._peak[endpoint]

    @contextlib.contextmanager
    def handling(self, endpoint: str) -> Iterator[None]:
        """Count a request as being handled (the HTTP layer wraps each one in this)."""
        with self._lock:
            self._busy[endpoint] += 1
            self._peak[endpoint] = max(self._peak[endpoint], self._busy[endpoint])
        try:
            yield
        finally:
            with self._lock:
                self._busy[endpoint] -= 1

    def calls(self, endpoint: Endpoint) -> int:
        """How many authenticated requests ``endpoint`` received (faulty ones included)."""
        with self._lock:
            return self._calls[endpoint]

    def jwks(self) -> dict[str, Any]:
        """The JWKS reply: the public key that verifies every ``session_jwt`` issued."""
        return {
            "keys": [self._sessions.key.jwk()],
            "request_id": self.new_request_id(),
            "status_code": 200,
        }

    # Called by the HTTP layer ---------------------------------------------------------

    def new_request_id(self) -> str:
        """A fresh ``request_id``, shaped like Stytch's."""
        return new_id("request-id", self.environment)

    def take_fault(self, endpoint: str) -> Fault | None:
        """Count a call of ``endpoint`` and hand out the fault planned for it, if any."""
        with self._lock:
            self._calls[endpoint] += 1
            return self._faults.take(endpoint)

    def handle(self, endpoint: str, body: object) -> dict[str, Any]:
        """Run one request through the rules; the reply body on success.

        Raises:
            EmulatorError: A rule refused it.
        """
        with self._lock:
            now = self.clock.now()
            if endpoint == "send":
                member, org = self._rules.send(parse_send(body, self.config))
                return self._reply(member_json(member, now), organization_json(org))
            result = self._rules.authenticate(parse_authenticate(body, self.config))
            org = result.organization
            reply = self._reply(member_json(result.member, now), organization_json(org))
            reply.update(
                organization_id=org.organization_id,
                session_token=result.session.token,
                session_jwt=result.session_jwt,
                member_session=session_json(result.session, org, result.member.roles),
                member_device=None,
            )
            return reply

    def _reply(self, member: dict[str, Any], organization: dict[str, Any]) -> dict[str, Any]:
        return {
            "request_id": self.new_request_id(),
            "status_code": 200,
            "member_id": member["member_id"],
            "member": member,
            "organization": organization,
        }
