"""aiohttp's exceptions, mapped to the SDK's in one place: checked by table, no network."""

from __future__ import annotations

import asyncio
import ssl
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from stytch_b2b_otp import APIConnectionError, APITimeoutError
from stytch_b2b_otp._retry import Failure as RetryFailure
from stytch_b2b_otp._retry import FailureKind, RetryPolicy
from stytch_b2b_otp._transport import DEFAULT_TIMEOUT, _map_failure, _without_credentials

KEY: Any = SimpleNamespace(host="test.stytch.com", port=443, ssl=True, is_ssl=True)
PATH = "/v1/b2b/otps/sms/send"
PROXY_URL = URL("http://127.0.0.1:3128")
PROXY_INFO = aiohttp.RequestInfo(PROXY_URL, "CONNECT", CIMultiDictProxy(CIMultiDict()), PROXY_URL)

# (aiohttp exception, kind, SDK class, request_sent)
TABLE: list[tuple[BaseException, FailureKind, type[APIConnectionError], bool]] = [
    (
        aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(111, "refused")),
        FailureKind.CONNECT,
        APIConnectionError,
        False,
    ),
    (
        aiohttp.ClientConnectorDNSError(KEY, OSError(-2, "Name or service not known")),
        FailureKind.CONNECT,
        APIConnectionError,
        False,
    ),
    (
        aiohttp.ClientConnectorSSLError(KEY, ssl.SSLEOFError(8, "EOF in violation")),
        FailureKind.CONNECT,
        APIConnectionError,
        False,
    ),
    (
        aiohttp.ClientConnectorCertificateError(
            KEY, ssl.SSLCertVerificationError(1, "certificate verify failed")
        ),
        FailureKind.TLS,
        APIConnectionError,
        False,
    ),
    (
        aiohttp.ServerFingerprintMismatch(b"a" * 32, b"b" * 32, "test.stytch.com", 443),
        FailureKind.TLS,
        APIConnectionError,
        False,
    ),
    (  # the proxy refused the tunnel: nothing reached Stytch
        aiohttp.ClientHttpProxyError(PROXY_INFO, (), status=407, message="Proxy Auth Required"),
        FailureKind.CONNECT,
        APIConnectionError,
        False,
    ),
    (aiohttp.ConnectionTimeoutError("pool"), FailureKind.CONNECT_TIMEOUT, APITimeoutError, False),
    (aiohttp.SocketTimeoutError("read"), FailureKind.TIMEOUT, APITimeoutError, True),
    (asyncio.TimeoutError(), FailureKind.TIMEOUT, APITimeoutError, True),
    (aiohttp.ServerDisconnectedError(), FailureKind.DISCONNECT, APIConnectionError, True),
    (aiohttp.ClientPayloadError("short"), FailureKind.DISCONNECT, APIConnectionError, True),
    (aiohttp.ClientOSError(104, "reset"), FailureKind.DISCONNECT, APIConnectionError, True),
    (
        aiohttp.ClientConnectionResetError("Cannot write to closing transport"),
        FailureKind.DISCONNECT,
        APIConnectionError,
        True,
    ),
]


@pytest.mark.parametrize(("exception", "kind", "cls", "request_sent"), TABLE)
def test_each_aiohttp_failure_maps_to_one_kind_and_error(
    exception: BaseException,
    kind: FailureKind,
    cls: type[APIConnectionError],
    request_sent: bool,
) -> None:
    mapped_kind, error = _map_failure(exception, PATH, DEFAULT_TIMEOUT)
    assert mapped_kind is kind
    assert type(error) is cls
    assert error.request_sent is request_sent
    assert error.endpoint == PATH
    assert PATH in str(error)


@pytest.mark.parametrize(("exception", "kind", "cls", "request_sent"), TABLE)
def test_only_failures_before_sending_are_retried(
    exception: BaseException,
    kind: FailureKind,
    cls: type[APIConnectionError],
    request_sent: bool,
) -> None:
    decision = RetryPolicy().decide(1, RetryFailure(kind))
    if request_sent:
        assert not decision.retry
    else:
        assert decision.retry is (kind is not FailureKind.TLS)


def test_a_chained_response_error_loses_the_authorization_header() -> None:
    headers = CIMultiDictProxy(CIMultiDict({"Authorization": "Basic c2VjcmV0", "X": "1"}))
    url = URL("https://test.stytch.com" + PATH)
    info = aiohttp.RequestInfo(url, "POST", headers, url)
    original = aiohttp.ClientResponseError(info, (), status=400, message="Bad HTTP")
    clean = _without_credentials(original)
    assert type(clean) is aiohttp.ClientResponseError
    assert isinstance(clean, aiohttp.ClientResponseError)
    assert "Authorization" not in clean.request_info.headers
    assert clean.status == 400
    assert clean.request_info.url == url
    assert "c2VjcmV0" not in repr(clean.request_info)


def test_other_exceptions_are_chained_as_they_are() -> None:
    original = aiohttp.ServerDisconnectedError()
    assert _without_credentials(original) is original
