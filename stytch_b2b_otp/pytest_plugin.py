"""pytest fixtures for testing your code against the local Stytch emulator.

Installed with the package (a ``pytest11`` entry point), so any test suite in an
environment with ``stytch-b2b-otp[emulator]`` can ask for them:

```python
async def test_mfa(stytch_emulator, stytch_client):
    org = stytch_emulator.create_organization(name="Acme")
    member = stytch_emulator.create_member(org.organization_id, email_address="a@acme.test")
    ...
```

- ``stytch_emulator``: a fresh, running `Emulator` per test, served from a background
  thread, so it works in async tests, in sync tests, and under test clients that run
  their own event loop (FastAPI's ``TestClient``).
- ``stytch_emulator_config``: the `EmulatorConfig` it starts with; override this
  fixture in a ``conftest.py`` to change the rules (allowed countries, thresholds).
- ``stytch_client``: a `StytchB2BClient` bound to the emulator, closed after the test
  (an async fixture: needs pytest-asyncio, and runs in the test's function-scoped loop).
- ``stytch_emulator_env``: ``STYTCH_PROJECT_ID``, ``STYTCH_SECRET`` and
  ``STYTCH_BASE_URL`` set to the emulator's, for apps that read their settings from the
  environment (the SDK takes ``base_url=`` explicitly; pass your setting through).

Loading the plugin imports only pytest and pytest-asyncio; the emulator and the SDK
are imported when a fixture is first used, so suites that do not use them pay nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from stytch_b2b_otp._client import StytchB2BClient
    from stytch_b2b_otp.emulator import Emulator, EmulatorConfig

__all__ = ["stytch_client", "stytch_emulator", "stytch_emulator_config", "stytch_emulator_env"]


@pytest.fixture
def stytch_emulator_config() -> EmulatorConfig:
    """The emulator's rules; override to change them."""
    from stytch_b2b_otp.emulator import EmulatorConfig

    return EmulatorConfig()


@pytest.fixture
def stytch_emulator(stytch_emulator_config: EmulatorConfig) -> Iterator[Emulator]:
    """A running emulator with empty state, stopped after the test."""
    from stytch_b2b_otp.emulator import Emulator

    with Emulator(config=stytch_emulator_config) as emulator:
        yield emulator


@pytest.fixture
def stytch_emulator_env(stytch_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator, with its credentials and base URL in the environment."""
    monkeypatch.setenv("STYTCH_PROJECT_ID", stytch_emulator.project_id)
    monkeypatch.setenv("STYTCH_SECRET", stytch_emulator.secret)
    monkeypatch.setenv("STYTCH_BASE_URL", stytch_emulator.base_url)
    return stytch_emulator


async def _stytch_client(stytch_emulator: Emulator) -> AsyncIterator[StytchB2BClient]:
    """A client bound to the emulator, closed after the test."""
    async with stytch_emulator.client() as client:
        yield client


def _needs_pytest_asyncio(stytch_emulator: Emulator) -> StytchB2BClient:
    """A client bound to the emulator (needs pytest-asyncio)."""
    raise pytest.UsageError("the stytch_client fixture needs pytest-asyncio installed")


stytch_client: Any
try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixture says what is missing
    stytch_client = pytest.fixture(_needs_pytest_asyncio, name="stytch_client")
else:
    stytch_client = pytest_asyncio.fixture(_stytch_client, name="stytch_client")
