"""The example apps under docs/examples, importable by name, and a record of clients made."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stytch_b2b_otp import StytchB2BClient

# The examples are scripts, not a package: `import fastapi_app` finds them here.
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))


@pytest.fixture
def clients_made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[StytchB2BClient]]:
    """Every `StytchB2BClient` constructed during the test, in order.

    After the test, each must be closed: an application never leaves one open.
    """
    made: list[StytchB2BClient] = []
    construct = StytchB2BClient.__init__

    def recording_init(self: StytchB2BClient, *args: Any, **kwargs: Any) -> None:
        construct(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(StytchB2BClient, "__init__", recording_init)
    yield made
    assert all(client.closed for client in made)
