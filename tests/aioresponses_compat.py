"""Make aioresponses 0.7.9 work on aiohttp >= 3.14, and do nothing on older aiohttp.

aiohttp 3.14.0 made ``stream_writer`` a required keyword argument of
``ClientResponse.__init__``; aioresponses builds its fake responses without one, so
every mocked request fails with a ``TypeError`` (pnuckowski/aioresponses#289). A
fake body over 64 KiB also trips an assertion in ``pause_reading``, because the bare
``ResponseHandler`` aioresponses gives its stream has no parser (PR #292).

Delete this module once aioresponses ships a release that fixes both.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.streams import StreamReader

__all__ = ["install", "needed"]


def needed() -> bool:
    """Whether this aiohttp requires ``stream_writer`` (3.14 and later)."""
    parameter = inspect.signature(aiohttp.ClientResponse.__init__).parameters.get("stream_writer")
    return parameter is not None and parameter.default is inspect.Parameter.empty


class _RequestAlreadySent:
    """The stream writer of a request that aioresponses pretends was written."""

    output_size = 0


class _CompatClientResponse(aiohttp.ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _RequestAlreadySent())
        super().__init__(*args, **kwargs)


class _NoFlowControlHandler(ResponseHandler):
    """The fake body is fed at once and there is no socket to pause or resume."""

    def pause_reading(self) -> None:
        pass

    def resume_reading(self, resume_parser: bool = True) -> None:
        pass


def _stream_reader_factory(loop: asyncio.AbstractEventLoop | None = None) -> StreamReader:
    return StreamReader(_NoFlowControlHandler(loop=loop), limit=2**16, loop=loop)  # type: ignore[arg-type]


def install() -> None:
    """Patch aioresponses in place when this aiohttp needs it; idempotent."""
    if not needed():
        return
    import aioresponses.core as core

    core.ClientResponse = _CompatClientResponse  # type: ignore[attr-defined]
    core.stream_reader_factory = _stream_reader_factory  # type: ignore[attr-defined]
