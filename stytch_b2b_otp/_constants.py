"""Defaults gathered in one place, with the reasons behind each value.

Everything here is a plain value: the transport turns the timeouts into an
``aiohttp.ClientTimeout``, the client and ``RetryPolicy`` read the rest.
"""

from __future__ import annotations

from typing import Final

LIVE_BASE_URL: Final = "https://api.stytch.com"
TEST_BASE_URL: Final = "https://test.stytch.com"
LIVE_PROJECT_PREFIX: Final = "project-live-"

PROJECT_ID_ENV: Final = "STYTCH_PROJECT_ID"
SECRET_ENV: Final = "STYTCH_SECRET"  # noqa: S105 (a variable name, not a secret)

SMS_SEND_PATH: Final = "/v1/b2b/otps/sms/send"
SMS_AUTHENTICATE_PATH: Final = "/v1/b2b/otps/sms/authenticate"

# Stytch bounds a request at about 30 s on its side (its Ruby SDK settled on 31 s,
# "one more second for latency"), so waiting longer than that for a reply is pointless.
STYTCH_REPLY_BUDGET: Final = 31.0
# Opening a TCP + TLS connection to Stytch takes milliseconds; seconds mean trouble.
DEFAULT_SOCK_CONNECT_TIMEOUT: Final = 5.0
# Waiting for a free pooled connection *plus* opening it. A request that times out
# here never left this process, so the retry policy may safely try it again.
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
# The whole attempt: the connection budget, then Stytch's. One timer bounds it: a
# separate "no data for N s" (sock_read) timer would be re-armed on every read of
# every reply (about 2 % of a call's CPU) to catch a stall only 10 s sooner.
DEFAULT_TOTAL_TIMEOUT: Final = DEFAULT_CONNECT_TIMEOUT + STYTCH_REPLY_BUDGET

DEFAULT_MAX_CONNECTIONS: Final = 100

DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_INITIAL_DELAY: Final = 0.5
DEFAULT_MAX_DELAY: Final = 8.0
DEFAULT_MAX_RETRY_AFTER: Final = 10.0

# Stytch's replies are a few KiB. Anything past this is not a Stytch reply, and an
# SDK must never buffer an endless body.
MAX_REPLY_BYTES: Final = 4 * 1024 * 1024
# How much of a non-JSON error body (a proxy's HTML page) an error message quotes.
ERROR_EXCERPT_CHARS: Final = 200
