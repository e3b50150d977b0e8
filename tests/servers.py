"""Real servers on 127.0.0.1 for transport tests (aioresponses bypasses the transport)."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures"
SEND_BODY = (FIXTURES / "send_response.json").read_bytes()


@attrs.frozen
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: bytes
    peer_port: int

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class Scripted:
    """One scripted reply."""

    status: int = 200
    body: bytes = SEND_BODY
    headers: dict[str, str] = attrs.Factory(dict)
    delay: float = 0.0
    content_type: str = "application/json"


class FakeStytch:
    """An ``aiohttp.web`` stand-in for Stytch, answering from a script.

    Queue replies with `reply`; with the queue empty it answers 200 with the send
    fixture. It records every request, the peer port (one per TCP connection) and
    the most requests it ever had in flight at once.
    """

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.script: deque[Scripted] = deque()
        self.in_flight = 0
        self.max_in_flight = 0
        self.handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def reply(
        self,
        status: int = 200,
        *,
        body: bytes | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        content_type: str = "application/json",
        times: int = 1,
    ) -> None:
        data = body if body is not None else SEND_BODY
        if json_body is not None:
            data = json.dumps(json_body).encode()
        for _ in range(times):
            self.script.append(Scripted(status, data, dict(headers or {}), delay, content_type))

    @property
    def peers(self) -> set[int]:
        """Client ports seen: the number of distinct TCP connections used."""
        return {seen.peer_port for seen in self.seen}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.seen.append(Seen(request.path, dict(request.headers), body, peer[1] if peer else 0))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.handler is not None:
                return await self.handler(request)
            scripted = self.script.popleft() if self.script else Scripted()
            if scripted.delay:
                await asyncio.sleep(scripted.delay)
            return web.Response(
                status=scripted.status,
                body=scripted.body,
                headers=scripted.headers,
                content_type=scripted.content_type,
            )
        finally:
            self.in_flight -= 1

    async def __aenter__(self) -> FakeStytch:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # Cancel a handler when its client hangs up, so in_flight shows what clients hold.
        self._runner = web.AppRunner(app, handle_signals=False, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
