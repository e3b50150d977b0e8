"""Credentials and base-URL rules, checked when the client is constructed (no I/O)."""

from __future__ import annotations

import base64
import ipaddress
import os
import re
from urllib.parse import urlsplit

from stytch_b2b_otp import _constants

__all__ = ["authorization_header", "resolve_base_url", "resolve_credential"]

# C0, DEL, C1 (NEL is a line break to str.splitlines) and the Unicode line and paragraph
# separators: the project id is written into every log line, so none may split one.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def resolve_credential(value: str | None, *, argument: str, env: str) -> str:
    """The credential passed as ``argument``, else the ``env`` variable.

    Raises:
        ValueError: Missing, empty, or holding control characters (a stray newline
            from a secrets file is the usual culprit). The message names the
            argument and the variable, never the value.
        TypeError: Not a string.
    """
    source = argument
    if value is None:
        value = os.environ.get(env)
        source = env
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{argument} must be a string")
    if value is None:
        raise ValueError(
            f"{argument} is missing: pass {argument}= or set the {env} environment variable"
        )
    if not value.strip():
        if source == env:
            raise ValueError(
                f"the {env} environment variable is empty: set it, or pass {argument}="
            )
        raise ValueError(
            f"{argument} is empty: pass a non-empty {argument}=, or leave it out to read "
            f"the {env} environment variable"
        )
    if _CONTROL.search(value):
        raise ValueError(f"{source} contains a control character (a stray newline?)")
    if value != value.strip():
        raise ValueError(f"{source} has whitespace around it")
    return value


def authorization_header(project_id: str, secret: str) -> str:
    """HTTP Basic ``project_id:secret``, built here (aiohttp 3.14 deprecates BasicAuth).

    Raises:
        ValueError: ``project_id`` contains ``:``, which Basic auth cannot carry.
    """
    if ":" in project_id:
        raise ValueError("project_id must not contain ':'")
    token = base64.b64encode(f"{project_id}:{secret}".encode()).decode("ascii")
    return f"Basic {token}"


def resolve_base_url(project_id: str, base_url: str | None) -> str:
    """Where requests go, without a trailing slash.

    ``project-live-*`` ids go to ``https://api.stytch.com``, every other id to
    ``https://test.stytch.com``. An explicit ``base_url`` wins (a custom domain,
    or the emulator): it must be ``https://``, or ``http://`` on a loopback host.

    Raises:
        ValueError: The URL is malformed, carries credentials, a query or a
            fragment, or is plain ``http://`` to a host that is not loopback.
    """
    if base_url is None:
        if project_id.startswith(_constants.LIVE_PROJECT_PREFIX):
            return _constants.LIVE_BASE_URL
        return _constants.TEST_BASE_URL
    if not isinstance(base_url, str) or _WHITESPACE_OR_CONTROL.search(base_url):
        raise ValueError("base_url must be a URL string without whitespace")
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError:
        raise ValueError("base_url is not a valid URL (bad port or brackets?)") from None
    if port == 0:
        raise ValueError("base_url has port 0, which no server listens on")
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("base_url must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("base_url must not carry credentials; pass project_id and secret")
    if parts.query or parts.fragment:
        raise ValueError("base_url must not have a query or a fragment")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError(
            "base_url must use https:// (plain http:// is accepted only for loopback "
            "hosts such as the emulator: 127.0.0.0/8, ::1, localhost)"
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or an address in 127.0.0.0/8 or ``::1``."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
