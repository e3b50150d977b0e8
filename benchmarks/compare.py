"""Side by side: raw aiohttp, this SDK and the official ``stytch`` package.

What it measures
----------------
Three contenders, measured the same way in one run:

- ``raw``: hand-written aiohttp, the floor. One ``aiohttp.ClientSession`` with a
  ``TCPConnector(limit=C)``; the JSON body encoded with ``json.dumps`` (as bulk.py's
  baseline does: every real call has its own member), then
  ``session.post(url, data=<those bytes>, headers=...)`` with
  the headers the SDK sends (Basic ``Authorization``, ``Content-Type``, ``Accept``,
  ``User-Agent``), ``await resp.read()``, ``json.loads``: untyped dicts, no checks;
- ``sdk``: this package, ``StytchB2BClient(project_id, secret, base_url=...,
  max_connections=C).otps.sms.send(organization_id=..., member_id=...,
  mfa_phone_number=...)``: validation, retries, typed replies and errors;
- ``official``: the official SDK (``pip install stytch==15.3.0``), its B2B client
  built with ``environment="http://127.0.0.1:PORT/"`` and ``async_session=`` a
  ``ClientSession(connector=TCPConnector(limit=C))``, calling
  ``client.otps.sms.send_async(...)``. Skipped, with a note, when ``import stytch``
  fails. Its aiohttp ``DeprecationWarning`` s (``BasicAuth``, ``auth=``) are filtered
  by message, so this runs under ``python -W error`` too.

1. Throughput (``--only throughput``): C worker tasks (``--concurrency``, default 32),
   each awaiting one call after another until a run's ``--calls`` (default 10,000)
   are done, against a local server in another process. Each contender is warmed up
   first; then every round (``--rounds``, default 9) runs each contender once, in
   alternating order (forward, then reversed), so drift in the machine's speed hits
   them alike. Per run: requests/s, and the client's CPU time per call
   (``time.process_time()``; the server's CPU is not in it). The result is the MEDIAN
   over the rounds of the same-round ratios ``sdk/raw`` and ``sdk/official``, for
   requests/s (higher is better) and for CPU per call (lower is better).

   The server (``--server``): ``nginx`` (`benchmarks._nginx.NginxServer`: one nginx
   worker, ``return 200`` with ``tests/fixtures/send_response.json``), or ``python``
   (`benchmarks._server.FixedReplyServer`: a bare asyncio server, slower than nginx:
   with it the fast contenders may measure the server); ``auto`` (default) takes nginx
   when it is installed. Only 127.0.0.1 is ever loaded.

2. Parsing (``--only parse``), no network: reply bytes to typed objects, for the send
   and authenticate fixtures (``tests/fixtures/*_response.json``). ``sdk`` runs
   ``stytch_b2b_otp._replies.read_success(body, SmsSendResponse, status=200,
   endpoint=...)``, what the SDK runs on every reply (with the decoder the installed
   extras give it, found by profiling one parse and printed); ``sdk_plain`` is what an
   install without extras runs (`read_with_converter`: ``json.loads``, then cattrs);
   ``official`` runs what its async path runs,
   ``SendResponse.from_json(200, json.loads(body))`` (pydantic); ``raw`` is
   ``json.loads(body)`` alone, for scale. Both typed results are checked to hold the
   fixture's ``member_id`` before timing. Batches of calls (``timeit``-style, garbage
   collector on) are timed in ``--parse-repeats`` (default 15) interleaved repeats;
   the result is the median over repeats of ``official / sdk`` (times faster).

3. Import time (``--only import``): ``import stytch_b2b_otp``, ``import aiohttp`` and
   ``import stytch``, each in a fresh interpreter (``python -c "import X"``) minus an
   empty interpreter (``python -c pass``), interleaved, best of ``--import-runs``
   (default 15). It also checks that ``import stytch_b2b_otp`` loads none of the
   optional parts (the emulator, the CLI, the FastAPI and aiohttp integrations, rich,
   PyJWT, phonenumbers).

A summary at the end compares the medians with the targets: throughput at least
0.90x raw aiohttp and 1.25x the official SDK; parsing at least 3x faster than the
official SDK; import at most 1.3x ``import aiohttp``. PASS or MISS is a report, not the
exit status.

How to run
----------
From the repository root, with the package installed (``pip install -e '.[orjson]'``
and, for the third contender, ``pip install stytch==15.3.0``)::

    python benchmarks/compare.py                   # about 2 minutes on 2 cores
    python benchmarks/compare.py --quick           # a smoke run: a few seconds
    python benchmarks/compare.py --only parse,import --json compare.json
    python benchmarks/compare.py --write-docs      # rewrite docs/benchmarks.md's results

``nox -s bench`` installs everything (matplotlib too) and runs this, then bulk.py.
``--write-docs`` rewrites the results between the marker comments in
docs/benchmarks.md and draws docs/assets/benchmarks.png (needs matplotlib).
``--profile`` prints the top functions of one extra ``sdk`` run under cProfile.

How to read the output
----------------------
Throughput: one line per timed run (requests/s, client CPU per call in microseconds,
time in the garbage collector, how busy the server was: far below 100 % of one core
means the client was the bottleneck, as intended), then a table per round with the
ratios; the ``RATIO`` lines are the result. Parsing: microseconds per reply for each
contender and ``RATIO official/sdk`` (times faster). Import: milliseconds added by each
import and the ratios. Ratios are what to compare: absolute numbers depend on the
machine and its load, ratios taken within a round much less.

It exits 1 if any call failed (the numbers would then mean nothing), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime
import gc
import importlib.metadata
import importlib.util
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if not __package__:  # run as a script (python benchmarks/compare.py): find benchmarks.*
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

import stytch_b2b_otp
from benchmarks._nginx import NginxServer, find_nginx
from benchmarks._server import FIXTURES, SEND_PATH, FixedReplyServer, fetch_stats
from benchmarks.bulk import GcTimer, sdk_headers
from stytch_b2b_otp import SmsAuthenticateResponse, SmsSendResponse, StytchB2BClient
from stytch_b2b_otp._replies import read_success, read_with_converter

REPO = Path(__file__).resolve().parent.parent
DOCS_PAGE = REPO / "docs" / "benchmarks.md"
CHART = REPO / "docs" / "assets" / "benchmarks.png"
RESULTS_START = "<!-- compare.py --write-docs: results start -->"
RESULTS_END = "<!-- compare.py --write-docs: results end -->"

PROJECT_ID = "project-test-00000000-0000-4000-8000-000000000000"
SECRET = "secret-test-benchmark-0000000000000000000000000"
ORGANIZATION_ID = "organization-test-07971b06-ac8b-4cdb-9c15-63b17e653931"
MEMBER_ID = "member-test-32fc5024-9c09-4da3-bd2e-c9ce4da9375f"
PHONE = "+14155550100"
AUTHENTICATE_PATH = "/v1/b2b/otps/sms/authenticate"

CONTENDERS = ("raw", "sdk", "official")
LABELS = {"raw": "raw aiohttp", "sdk": "stytch-b2b-otp", "official": "official stytch"}
PARTS = ("throughput", "parse", "import")
DEFAULT_SIZES = {"rounds": 9, "calls": 10_000, "parse_repeats": 15, "import_runs": 15}
QUICK_SIZES = {"rounds": 2, "calls": 300, "parse_repeats": 3, "import_runs": 3}
WARM_UP_CALLS = 1_000
PARSE_BATCH_SECONDS = {False: 0.15, True: 0.02}  # per batch of the sdk, by --quick

TARGETS = {
    "throughput_vs_raw": 0.90,  # sdk/raw requests/s, at least
    "throughput_vs_official": 1.25,  # sdk/official requests/s, at least
    "parse_vs_official": 3.0,  # official/sdk time per reply, at least
    "import_vs_aiohttp": 1.3,  # sdk/aiohttp import time, at most
}
# What `import stytch_b2b_otp` must not load: the optional parts and their dependencies.
UNWANTED_MODULES = (
    "stytch_b2b_otp.emulator",
    "stytch_b2b_otp._cli",
    "stytch_b2b_otp._bulk_cli",
    "stytch_b2b_otp.fastapi",
    "stytch_b2b_otp.aiohttp",
    "fastapi",
    "rich",
    "jwt",
    "phonenumbers",
)
# The official SDK's warnings on aiohttp 3.14 (each async call, and the client's set-up).
OFFICIAL_WARNINGS = (
    r"BasicAuth is deprecated",
    r"The 'auth' parameter is deprecated",
)

Call = Callable[[], Awaitable[str]]


# --- the official SDK (optional) ---------------------------------------------------------


@contextlib.contextmanager
def official_warnings_filtered() -> Iterator[None]:
    """Ignore the official SDK's known DeprecationWarnings (only those), e.g. under -W error."""
    with warnings.catch_warnings():
        for message in OFFICIAL_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
        yield


def load_official() -> Any | None:
    """The ``stytch`` module, or None (with a printed note) when it cannot be imported."""
    try:
        import stytch
    except Exception as exc:  # noqa: BLE001 (any failure means: no third contender)
        print(
            f"note: the official SDK is skipped (import stytch failed: {exc!r}); "
            "pip install stytch==15.3.0 to compare with it"
        )
        return None
    return stytch


def version_of(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


# --- throughput ----------------------------------------------------------------------------


@dataclass
class Run:
    """One timed run of one contender."""

    round: int
    contender: str
    calls: int
    ok: int
    seconds: float
    cpu_seconds: float
    gc_seconds: float
    server_cpu_seconds: float | None = None

    @property
    def requests_per_s(self) -> float:
        return self.calls / self.seconds

    @property
    def cpu_us_per_call(self) -> float:
        return self.cpu_seconds / self.calls * 1e6

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "requests_per_s": self.requests_per_s,
            "client_cpu_us_per_call": self.cpu_us_per_call,
        }


@dataclass
class Throughput:
    """All timed runs, and the same-round ratios of the SDK to the others."""

    runs: list[Run] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def of(self, contender: str) -> list[Run]:
        return [run for run in self.runs if run.contender == contender]

    def contenders(self) -> list[str]:
        return [name for name in CONTENDERS if self.of(name)]

    def ratios(self, other: str, metric: str) -> list[float]:
        """Per round: sdk's metric / other's (``requests_per_s`` or ``cpu_us_per_call``)."""
        theirs = {run.round: getattr(run, metric) for run in self.of(other)}
        return [
            getattr(run, metric) / theirs[run.round]
            for run in self.of("sdk")
            if run.round in theirs
        ]

    def summary(self) -> dict[str, Any]:
        names = self.contenders()

        def median(values: list[float]) -> float:
            return statistics.median(values)

        server: dict[str, float] = {}
        for name in names:
            shares = [
                r.server_cpu_seconds / r.seconds
                for r in self.of(name)
                if r.server_cpu_seconds is not None
            ]
            if shares:
                server[name] = median(shares)
        return {
            "median_requests_per_s": {
                name: median([r.requests_per_s for r in self.of(name)]) for name in names
            },
            "median_client_cpu_us_per_call": {
                name: median([r.cpu_us_per_call for r in self.of(name)]) for name in names
            },
            "median_gc_share_of_wall_time": {
                name: median([r.gc_seconds / r.seconds for r in self.of(name)]) for name in names
            },
            "median_server_cpu_share": server,
            "ratios": {
                f"sdk/{other}": {
                    metric: {
                        "per_round": self.ratios(other, metric),
                        "median": median(self.ratios(other, metric)),
                    }
                    for metric in ("requests_per_s", "cpu_us_per_call")
                }
                for other in names
                if other != "sdk" and "sdk" in names
            },
        }


async def drive(call: Call, calls: int, concurrency: int, errors: list[str]) -> int:
    """``concurrency`` workers awaiting ``call()`` until ``calls`` are made; how many gave
    the fixture's member_id. The first few failures are kept in ``errors``."""
    left = calls
    ok = 0

    async def worker() -> None:
        nonlocal left, ok
        while left > 0:
            left -= 1
            try:
                member_id = await call()
            except Exception as exc:  # noqa: BLE001 (any failure is counted, none is fatal)
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if member_id == MEMBER_ID:
                ok += 1
            elif len(errors) < 5:
                errors.append(f"unexpected member_id {member_id!r}")

    await asyncio.gather(*(worker() for _ in range(min(concurrency, calls))))
    return ok


def send_payload() -> dict[str, str]:
    return {"organization_id": ORGANIZATION_ID, "member_id": MEMBER_ID, "mfa_phone_number": PHONE}


async def measure_throughput(
    url: str,
    *,
    calls: int,
    concurrency: int,
    rounds: int,
    official: Any | None,
    server_cpu: Callable[[], Awaitable[float | None]],
    profile: bool,
) -> tuple[Throughput, str | None]:
    target = url + SEND_PATH
    headers = sdk_headers()
    send_fields = send_payload()
    result = Throughput()
    async with contextlib.AsyncExitStack() as stack:
        raw_session = await stack.enter_async_context(
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))
        )

        async def raw_call() -> str:
            body = json.dumps(send_fields, separators=(",", ":")).encode()
            async with raw_session.post(target, data=body, headers=headers) as response:
                payload = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
            member_id: str = json.loads(payload)["member_id"]
            return member_id

        client = await stack.enter_async_context(
            StytchB2BClient(PROJECT_ID, SECRET, base_url=url, max_connections=concurrency)
        )
        sms = client.otps.sms

        async def sdk_call() -> str:
            reply = await sms.send(
                organization_id=ORGANIZATION_ID, member_id=MEMBER_ID, mfa_phone_number=PHONE
            )
            return reply.member_id

        calls_by_name: dict[str, Call] = {"raw": raw_call, "sdk": sdk_call}
        if official is not None:
            official_session = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))
            )
            official_client = official.B2BClient(
                PROJECT_ID, SECRET, environment=url + "/", async_session=official_session
            )
            official_sms = official_client.otps.sms

            async def official_call() -> str:
                reply = await official_sms.send_async(
                    organization_id=ORGANIZATION_ID, member_id=MEMBER_ID, mfa_phone_number=PHONE
                )
                member_id: str = reply.member_id
                return member_id

            calls_by_name["official"] = official_call

        names = list(calls_by_name)
        for name in names:  # warm up: connections, lazy imports, caches
            warm = await drive(
                calls_by_name[name], min(calls, WARM_UP_CALLS), concurrency, result.errors
            )
            if warm != min(calls, WARM_UP_CALLS):
                print(f"  warm-up of {name}: {warm} of {min(calls, WARM_UP_CALLS)} calls ok")

        for round_number in range(1, rounds + 1):
            order = names if round_number % 2 else names[::-1]
            for name in order:
                gc.collect()
                server_before = await server_cpu()
                with GcTimer() as gc_timer:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    ok = await drive(calls_by_name[name], calls, concurrency, result.errors)
                    seconds = time.perf_counter() - started
                    cpu_seconds = time.process_time() - cpu_started
                server_after = await server_cpu()
                run = Run(round_number, name, calls, ok, seconds, cpu_seconds, gc_timer.seconds)
                if server_before is not None and server_after is not None:
                    run.server_cpu_seconds = server_after - server_before
                result.runs.append(run)
                print_run(run, result)

        report = None
        if profile:
            gc.collect()
            profiler = cProfile.Profile()
            profiler.enable()
            await drive(sdk_call, calls, concurrency, result.errors)
            profiler.disable()
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
            report = text.getvalue()
    return result, report


def print_run(run: Run, result: Throughput) -> None:
    ratio = ""
    if run.contender == "sdk":
        for other in ("raw", "official"):
            same = [r for r in result.of(other) if r.round == run.round]
            if same:
                ratio += f"  {run.requests_per_s / same[0].requests_per_s:5.2f}x {other}"
    server = ""
    if run.server_cpu_seconds is not None:
        server = f"  server CPU {run.server_cpu_seconds / run.seconds:4.0%}"
    failed = f"  FAILED {run.calls - run.ok}" if run.ok != run.calls else ""
    print(
        f"  round {run.round}  {run.contender:<8} {run.requests_per_s:8,.0f} req/s"
        f"  client CPU {run.cpu_us_per_call:5.0f} us/call"
        f" (GC {run.gc_seconds / run.seconds:4.0%}){server}{ratio}{failed}",
        flush=True,
    )


def print_throughput(result: Throughput) -> None:
    summary = result.summary()
    names = result.contenders()
    ratios = summary["ratios"]
    print("\nThroughput (requests/s, higher is better; ratios within the same round)")
    header = "round " + "".join(f"{name:>11}" for name in names)
    header += "".join(f"{pair:>15}" for pair in ratios)
    print(header)
    for number in sorted({run.round for run in result.runs}):
        line = f"{number:>5} "
        for name in names:
            run = next(r for r in result.of(name) if r.round == number)
            line += f"{run.requests_per_s:11,.0f}"
        for pair in ratios.values():
            line += f"{pair['requests_per_s']['per_round'][number - 1]:15.3f}"
        print(line)
    line = "median"
    for name in names:
        line += f"{summary['median_requests_per_s'][name]:11,.0f}"
    for pair in ratios.values():
        line += f"{pair['requests_per_s']['median']:15.3f}"
    print(line)
    cpu = summary["median_client_cpu_us_per_call"]
    print(
        "client CPU per call (median, us; lower is better): "
        + ", ".join(f"{name} {cpu[name]:.0f}" for name in names)
    )
    gc_share = summary["median_gc_share_of_wall_time"]
    print(
        "time in the garbage collector (median share of wall time): "
        + ", ".join(f"{name} {gc_share[name]:.0%}" for name in names)
    )
    if summary["median_server_cpu_share"]:
        print(
            "server CPU (median share of one core): "
            + ", ".join(f"{n} {v:.0%}" for n, v in summary["median_server_cpu_share"].items())
        )
    for pair, values in ratios.items():
        for metric, label in (("requests_per_s", "req/s"), ("cpu_us_per_call", "CPU/call")):
            rounds = ", ".join(f"{v:.3f}" for v in values[metric]["per_round"])
            print(f"RATIO {pair} {label}: median {values[metric]['median']:.3f} (rounds: {rounds})")


# --- parsing -------------------------------------------------------------------------------


def parse_cases(official: Any | None) -> dict[str, dict[str, Callable[[bytes], Any]]]:
    """Per fixture, per contender: a function from reply bytes to the parsed reply."""
    cases: dict[str, dict[str, Callable[[bytes], Any]]] = {}
    official_models: dict[str, Any] = {}
    if official is not None:
        from stytch.b2b.models import otp_sms

        official_models = {
            "send": otp_sms.SendResponse,
            "authenticate": otp_sms.AuthenticateResponse,
        }
    ours: dict[str, tuple[type[Any], str]] = {
        "send": (SmsSendResponse, SEND_PATH),
        "authenticate": (SmsAuthenticateResponse, AUTHENTICATE_PATH),
    }
    for fixture, (cls, endpoint) in ours.items():

        def sdk(body: bytes, cls: type[Any] = cls, endpoint: str = endpoint) -> Any:
            return read_success(body, cls, status=200, endpoint=endpoint)

        def sdk_plain(body: bytes, cls: type[Any] = cls, endpoint: str = endpoint) -> Any:
            return read_with_converter(body, cls, status=200, endpoint=endpoint, loads=json.loads)

        functions: dict[str, Callable[[bytes], Any]] = {
            "raw": json.loads,
            "sdk": sdk,
            "sdk_plain": sdk_plain,
        }
        model = official_models.get(fixture)
        if model is not None:

            def official_parse(body: bytes, model: Any = model) -> Any:
                return model.from_json(200, json.loads(body))

            functions["official"] = official_parse
        cases[fixture] = functions
    return cases


def time_batch(function: Callable[[bytes], Any], body: bytes, number: int) -> float:
    """Seconds per call over ``number`` calls."""
    started = time.perf_counter()
    for _ in range(number):
        function(body)
    return (time.perf_counter() - started) / number


def measure_parsing(official: Any | None, repeats: int, quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for fixture, functions in parse_cases(official).items():
        body = (FIXTURES / f"{fixture}_response.json").read_bytes()
        expected = json.loads(body)["member_id"]
        for name, function in functions.items():  # sanity first (and a warm-up)
            parsed = function(body)
            member_id = parsed["member_id"] if name == "raw" else parsed.member_id
            if member_id != expected:
                raise RuntimeError(f"{name} parsed {fixture} to member_id {member_id!r}")
        # Calibrate on the sdk: a batch takes at least PARSE_BATCH_SECONDS.
        number = 1
        while time_batch(functions["sdk"], body, number) * number < PARSE_BATCH_SECONDS[quick]:
            number *= 2
        names = list(functions)
        per_repeat: dict[str, list[float]] = {name: [] for name in names}
        for repeat in range(repeats):
            for name in names if repeat % 2 == 0 else names[::-1]:
                gc.collect()
                per_repeat[name].append(time_batch(functions[name], body, number) * 1e6)
        ratios, plain_ratios = (_over_official(per_repeat, ours) for ours in ("sdk", "sdk_plain"))
        results[fixture] = {
            "bytes": len(body),
            "batch": number,
            "us_per_reply": per_repeat,
            "median_us_per_reply": {n: statistics.median(v) for n, v in per_repeat.items()},
            "official_over_sdk": {
                "per_repeat": ratios,
                "median": statistics.median(ratios) if ratios else None,
            },
            "official_over_sdk_plain": {
                "per_repeat": plain_ratios,
                "median": statistics.median(plain_ratios) if plain_ratios else None,
            },
        }
        medians = results[fixture]["median_us_per_reply"]
        line = f"  {fixture:<12} ({len(body):,} bytes, {number:,} per batch): " + ", ".join(
            f"{name} {medians[name]:.1f} us" for name in names
        )
        print(line, flush=True)
    return results


def _over_official(per_repeat: Mapping[str, list[float]], ours: str) -> list[float]:
    """Per repeat, the official SDK's time over ``ours`` (times as fast)."""
    if "official" not in per_repeat:
        return []
    pairs = zip(per_repeat["official"], per_repeat[ours], strict=True)
    return [official_us / ours_us for official_us, ours_us in pairs]


def print_parsing(parsing: Mapping[str, Any]) -> None:
    for fixture, result in parsing.items():
        ratio = result["official_over_sdk"]
        if ratio["median"] is not None:
            values = ", ".join(f"{v:.2f}" for v in ratio["per_repeat"])
            print(
                f"RATIO official/sdk parse {fixture}: median {ratio['median']:.2f}"
                f" (the sdk is {ratio['median']:.2f}x as fast; repeats: {values})"
            )
        plain = result.get("official_over_sdk_plain", {}).get("median")
        if plain is not None:
            print(
                f"RATIO official/sdk_plain parse {fixture}: median {plain:.2f}"
                " (without the msgspec extra: the converter, plain json)"
            )


# --- import time -----------------------------------------------------------------------------


def interpreter_seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
    return time.perf_counter() - started


def loaded_modules(module: str) -> list[str]:
    """The modules ``import module`` adds in a fresh interpreter."""
    code = (
        "import sys, json; before = set(sys.modules); import " + module + "; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    found: list[str] = json.loads(done.stdout)
    return found


def measure_imports(runs: int, with_official: bool) -> dict[str, Any]:
    modules = {"sdk": "stytch_b2b_otp", "raw": "aiohttp"}
    if with_official:
        modules["official"] = "stytch"
    codes = {"empty": "pass", **{name: f"import {module}" for name, module in modules.items()}}
    for code in codes.values():  # warm up: bytecode caches, the page cache
        interpreter_seconds(code)
    seconds: dict[str, list[float]] = {name: [] for name in codes}
    names = list(codes)
    for run in range(runs):
        for name in names if run % 2 == 0 else names[::-1]:
            seconds[name].append(interpreter_seconds(codes[name]))
    best = {name: min(values) for name, values in seconds.items()}
    ms = {name: (best[name] - best["empty"]) * 1e3 for name in modules}
    loaded = {name: loaded_modules(module) for name, module in modules.items()}
    unwanted = [
        m for m in loaded["sdk"] if m in UNWANTED_MODULES or m.split(".")[0] in UNWANTED_MODULES
    ]
    result: dict[str, Any] = {
        "runs": runs,
        "modules": modules,
        "best_interpreter_seconds": best,
        "import_ms": ms,
        "modules_loaded": {name: len(found) for name, found in loaded.items()},
        "sdk_unwanted_modules": unwanted,
        "sdk_over_raw": ms["sdk"] / ms["raw"],
        "sdk_over_official": ms["sdk"] / ms["official"] if "official" in ms else None,
    }
    for name, module in modules.items():
        print(
            f"  import {module:<15} {ms[name]:7.1f} ms"
            f"  ({result['modules_loaded'][name]} modules loaded)"
        )
    print(f"  (an empty interpreter: {best['empty'] * 1e3:.1f} ms; best of {runs}, interleaved)")
    return result


def print_imports(imports: Mapping[str, Any]) -> None:
    print(f"RATIO import sdk/aiohttp: {imports['sdk_over_raw']:.2f}")
    if imports["sdk_over_official"] is not None:
        print(f"RATIO import sdk/stytch: {imports['sdk_over_official']:.2f}")
    unwanted = imports["sdk_unwanted_modules"]
    if unwanted:
        print(f"import stytch_b2b_otp loaded optional parts: {', '.join(unwanted)}")
    else:
        print("import stytch_b2b_otp loaded none of: " + ", ".join(UNWANTED_MODULES))


# --- targets -----------------------------------------------------------------------------------


def targets(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and PASS, MISS or n/a (not measured)."""
    rows: list[dict[str, Any]] = []

    def add(name: str, wanted: str, value: float | None, passed: bool | None) -> None:
        verdict = "n/a" if value is None or passed is None else ("PASS" if passed else "MISS")
        rows.append({"target": name, "wanted": wanted, "value": value, "result": verdict})

    ratios = results.get("throughput", {}).get("ratios", {})
    for other, key, label in (
        ("raw", "throughput_vs_raw", "raw aiohttp"),
        ("official", "throughput_vs_official", "the official SDK"),
    ):
        value = ratios.get(f"sdk/{other}", {}).get("requests_per_s", {}).get("median")
        goal = TARGETS[key]
        add(
            f"throughput vs {label}",
            f">= {goal:.2f}x",
            value,
            None if value is None else value >= goal,
        )
    for fixture, parsed in results.get("parse", {}).items():
        value = parsed["official_over_sdk"]["median"]
        goal = TARGETS["parse_vs_official"]
        add(
            f"parsing the {fixture} reply vs the official SDK",
            f">= {goal:g}x as fast",
            value,
            None if value is None else value >= goal,
        )
    imports = results.get("import")
    value = imports["sdk_over_raw"] if imports else None
    goal = TARGETS["import_vs_aiohttp"]
    add(
        "import time vs import aiohttp",
        f"<= {goal:g}x",
        value,
        None if value is None else value <= goal,
    )
    return rows


def print_targets(rows: Sequence[Mapping[str, Any]]) -> None:
    print("\nSummary (targets)")
    for row in rows:
        value = "not measured" if row["value"] is None else f"{row['value']:.2f}x"
        print(f"  {row['result']:<4}  {row['target']:<52} {value:>12}  (target {row['wanted']})")


# --- environment and docs ------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def os_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.partition('=')[2].strip(chr(34))} (Linux {platform.release()})"
    return f"{platform.system()} {platform.release()}"


def nginx_version(executable: str) -> str:
    done = subprocess.run([executable, "-v"], capture_output=True, text=True, check=False)
    return (done.stderr or done.stdout).strip().rpartition("/")[2] or "?"


DECODER_MARKS = (("msgspec", "msgspec"), ("orjson", "orjson"), ("json", "json/decoder.py"))


def reply_decoder() -> str:
    """Which JSON decoder the SDK's reply parsing runs: seen by profiling one parse.

    Falls back to ``stytch_b2b_otp._json.loads.__module__`` when profiling is not possible.
    """
    body = (FIXTURES / "send_response.json").read_bytes()
    profiler = cProfile.Profile()
    try:
        profiler.runcall(read_success, body, SmsSendResponse, status=200, endpoint=SEND_PATH)
    except (RuntimeError, ValueError):  # another profiler is active
        decoder = getattr(getattr(stytch_b2b_otp, "_json", None), "loads", None)
        return str(getattr(decoder, "__module__", "?"))
    called = [f"{file}:{name}" for file, _, name in pstats.Stats(profiler).stats]  # type: ignore[attr-defined]
    found = [label for label, mark in DECODER_MARKS if any(mark in name for name in called)]
    return ", ".join(found) or "?"


def environment(server: str) -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": os_name(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": {
            name: version_of(name)
            for name in (
                "stytch-b2b-otp",
                "aiohttp",
                "attrs",
                "cattrs",
                "orjson",
                "msgspec",
                "stytch",
            )
        },
        "sdk_reply_decoder": reply_decoder(),
        "server": server,
        "date": datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
    }


TIMES = "\N{MULTIPLICATION SIGN}"
NONE = "\N{EN DASH}"


def _fmt(value: float | None, spec: str) -> str:
    return NONE if value is None else format(value, spec)


def render_results(results: Mapping[str, Any], chart: str | None) -> str:
    """The Markdown between the markers of docs/benchmarks.md."""
    env = results["environment"]
    params = results["parameters"]
    throughput = results.get("throughput")
    parsing = results.get("parse", {})
    imports = results.get("import")
    lines = [
        "| Measure | raw aiohttp | stytch-b2b-otp | official stytch | stytch-b2b-otp vs others |",
        "|---|---:|---:|---:|---|",
    ]
    if throughput:
        rps = throughput["median_requests_per_s"]
        cpu = throughput["median_client_cpu_us_per_call"]
        ratios = throughput["ratios"]

        def pair(metric: str) -> str:
            parts = [
                f"{ratios[key][metric]['median']:.2f}{TIMES} {LABELS[key[4:]]}"
                for key in ("sdk/raw", "sdk/official")
                if key in ratios
            ]
            return ", ".join(parts)

        lines.append(
            f"| Throughput, requests/s (higher is better) | {_fmt(rps.get('raw'), ',.0f')} | "
            f"{_fmt(rps.get('sdk'), ',.0f')} | {_fmt(rps.get('official'), ',.0f')} | "
            f"{pair('requests_per_s')} |"
        )
        lines.append(
            f"| Client CPU per call, µs (lower is better) | {_fmt(cpu.get('raw'), '.0f')} | "
            f"{_fmt(cpu.get('sdk'), '.0f')} | {_fmt(cpu.get('official'), '.0f')} | "
            f"{pair('cpu_us_per_call')} |"
        )
    for fixture, parsed in parsing.items():
        us = parsed["median_us_per_reply"]
        ratio = parsed["official_over_sdk"]["median"]
        lines.append(
            f"| Parsing the {fixture} reply ({parsed['bytes']:,} bytes), µs "
            f"(raw: `json.loads` alone) | {_fmt(us.get('raw'), '.1f')} | "
            f"{_fmt(us.get('sdk'), '.1f')} | {_fmt(us.get('official'), '.1f')} | "
            + (NONE if ratio is None else f"{ratio:.2f}{TIMES} as fast as official")
            + " |"
        )
        plain = parsed.get("official_over_sdk_plain", {}).get("median")
        if us.get("sdk_plain") is not None:
            lines.append(
                f"| Parsing the {fixture} reply without extras (plain `json`, cattrs), µs | "
                f"{NONE} | {_fmt(us.get('sdk_plain'), '.1f')} | "
                f"{_fmt(us.get('official'), '.1f')} | "
                + (NONE if plain is None else f"{plain:.2f}{TIMES} as fast as official")
                + " |"
            )
    if imports:
        ms = imports["import_ms"]
        official_ratio = imports["sdk_over_official"]
        lines.append(
            "| Import time, ms (raw: `import aiohttp`) | "
            f"{ms['raw']:.0f} | {ms['sdk']:.0f} | {_fmt(ms.get('official'), '.0f')} | "
            f"{imports['sdk_over_raw']:.2f}{TIMES} aiohttp"
            + ("" if official_ratio is None else f", {official_ratio:.2f}{TIMES} official")
            + " |"
        )
    lines += ["", "| Target | Wanted | Measured | Result |", "|---|---|---:|---|"]
    for row in results["targets"]:
        value = NONE if row["value"] is None else f"{row['value']:.2f}{TIMES}"
        wanted = row["wanted"].replace(">=", "≥").replace("<=", "≤").replace("x", TIMES)
        lines.append(f"| {row['target']} | {wanted} | {value} | {row['result']} |")
    versions = env["versions"]
    listed = ", ".join(
        f"{name} {version}" for name, version in versions.items() if version is not None
    )
    machine = (
        f"Measured on {env['date']}: {env['cpu']}, {env['cores']} cores, {env['os']}, "
        f"{env['python']}; {listed}; the SDK decoded replies with `{env['sdk_reply_decoder']}`; "
        f"server: {env['server']}. Throughput: the median of {params['rounds']} rounds of "
        f"{params['calls']:,} calls per contender with {params['concurrency']} in flight; "
        f"parsing: the median of {params['parse_repeats']} repeats; imports: the best of "
        f"{params['import_runs']} fresh interpreters."
    )
    lines += ["", machine]
    if chart:
        lines += ["", f"![Throughput, parsing and import time of the three contenders]({chart})"]
    return "\n".join(lines)


def replace_results(page: str, block: str) -> str:
    """``page`` with ``block`` between the result markers.

    Raises:
        ValueError: The markers are missing or out of order.
    """
    start, end = page.find(RESULTS_START), page.find(RESULTS_END)
    if start < 0 or end < start:
        raise ValueError(f"docs/benchmarks.md lacks the markers {RESULTS_START} ... {RESULTS_END}")
    return page[: start + len(RESULTS_START)] + "\n\n" + block + "\n\n" + page[end:]


def relative_throughput(runs: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Per contender, the median over rounds of its requests/s over raw's, same round."""
    raw = {run["round"]: run["requests_per_s"] for run in runs if run["contender"] == "raw"}
    ratios: dict[str, list[float]] = {}
    for run in runs:
        if run["round"] in raw:
            ratios.setdefault(run["contender"], []).append(
                run["requests_per_s"] / raw[run["round"]]
            )
    return {name: statistics.median(values) for name, values in ratios.items()}


def write_chart(results: Mapping[str, Any], path: Path) -> None:
    """Three panels: throughput, parse time, import time; one bar per contender."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"raw": "#9e9e9e", "sdk": "#1f77b4", "sdk_plain": "#9ecae1", "official": "#ff7f0e"}
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.6), layout="constrained")
    throughput = results.get("throughput")
    if throughput:
        values = relative_throughput(throughput["runs"])
        names = [n for n in CONTENDERS if n in values]
        bars = axes[0].bar(
            [LABELS[n] for n in names], [values[n] for n in names], color=[colors[n] for n in names]
        )
        axes[0].bar_label(bars, fmt="{:.2f}" + TIMES, fontsize=8)
    # Same-round ratios: absolute requests/s drift with the machine between rounds.
    axes[0].set_title("Throughput relative to raw aiohttp (higher is better)", fontsize=10)
    parsing = results.get("parse", {})
    fixtures = list(parsing)
    width = 0.2
    parse_labels = {
        **LABELS,
        "raw": "json.loads alone",
        "sdk_plain": "stytch-b2b-otp, no extras",
    }
    for offset, name in enumerate(("raw", "sdk", "sdk_plain", "official")):
        heights = [parsing[f]["median_us_per_reply"].get(name) for f in fixtures]
        if all(h is not None for h in heights) and fixtures:
            bars = axes[1].bar(
                [i + (offset - 1.5) * width for i in range(len(fixtures))],
                heights,
                width,
                label=parse_labels[name],
                color=colors[name],
            )
            axes[1].bar_label(bars, fmt="{:.0f}", fontsize=8)
    axes[1].set_xticks(range(len(fixtures)), [f"{f} reply" for f in fixtures])
    axes[1].set_title("Parsing (µs per reply, lower is better)", fontsize=10)
    axes[1].legend(fontsize=8)
    imports = results.get("import")
    if imports:
        ms = imports["import_ms"]
        names = [n for n in ("raw", "sdk", "official") if n in ms]
        labels = {"raw": "aiohttp", "sdk": "stytch_b2b_otp", "official": "stytch"}
        bars = axes[2].bar(
            [labels[n] for n in names], [ms[n] for n in names], color=[colors[n] for n in names]
        )
        axes[2].bar_label(bars, fmt="{:.0f}", fontsize=8)
    axes[2].set_title("Import time (ms, lower is better)", fontsize=10)
    for axis in axes:
        axis.margins(y=0.12)  # room for the labels on the bars
        axis.tick_params(labelsize=8)
        axis.grid(axis="y", alpha=0.3)
        axis.set_axisbelow(True)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_docs(results: Mapping[str, Any], page: Path = DOCS_PAGE, chart: Path = CHART) -> None:
    write_chart(results, chart)
    relative = os.path.relpath(chart, page.parent)
    page.write_text(replace_results(page.read_text(), render_results(results, relative)))
    print(f"results written to {page.relative_to(REPO)} and {chart.relative_to(REPO)}")


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Raw aiohttp, this SDK and the official stytch SDK, side by side: "
        "throughput, reply parsing and import time.",
        epilog="See the module docstring (benchmarks/compare.py) for how to read the output.",
    )
    sizes = "default %s, --quick %s"
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, from {','.join(PARTS)} (default: all)",
    )
    parser.add_argument(
        "--server",
        choices=("auto", "nginx", "python"),
        default="auto",
        help="the throughput server: nginx, benchmarks/_server.py (python), or nginx when "
        "installed (auto, the default)",
    )
    parser.add_argument(
        "--rounds", type=int, help="throughput rounds, median taken (" + sizes % (9, 2) + ")"
    )
    parser.add_argument(
        "--calls",
        type=int,
        help="calls per contender per round (" + sizes % ("10,000", 300) + ")",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="calls in flight, and each contender's connection pool size (default 32)",
    )
    parser.add_argument(
        "--parse-repeats",
        type=int,
        help="interleaved parsing repeats, median taken (" + sizes % (15, 3) + ")",
    )
    parser.add_argument(
        "--import-runs",
        type=int,
        help="fresh interpreters per import, best taken (" + sizes % (15, 3) + ")",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results here")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one extra sdk run and print it"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="rewrite the results in docs/benchmarks.md and docs/assets/benchmarks.png "
        "(needs matplotlib, every part and the official SDK; not with --quick)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run of a few seconds (small numbers)"
    )
    args = parser.parse_args(argv)
    for name, size in (QUICK_SIZES if args.quick else DEFAULT_SIZES).items():
        if getattr(args, name) is None:  # what is given explicitly wins over --quick
            setattr(args, name, size)
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown or not parts:
        parser.error(f"--only takes parts from {','.join(PARTS)}, not {args.only!r}")
    args.parts = [part for part in PARTS if part in parts]
    if min(args.rounds, args.calls, args.concurrency, args.parse_repeats, args.import_runs) < 1:
        parser.error(
            "--rounds, --calls, --concurrency, --parse-repeats and --import-runs must be positive"
        )
    if args.write_docs and (args.quick or args.parts != list(PARTS)):
        parser.error("--write-docs publishes a full run: not with --quick or --only")
    if args.write_docs and importlib.util.find_spec("stytch") is None:
        parser.error("--write-docs compares with the official SDK: pip install stytch==15.3.0")
    if args.write_docs and importlib.util.find_spec("matplotlib") is None:
        parser.error(
            "--write-docs draws its chart with matplotlib: pip install matplotlib "
            "(nox -s bench installs it)"
        )
    return args


@contextlib.contextmanager
def throughput_server(
    choice: str,
) -> Iterator[tuple[str, str, Callable[[], Awaitable[float | None]]]]:
    """The server's URL, a description, and how to read its CPU time so far."""
    executable = find_nginx() if choice in ("auto", "nginx") else None
    if choice == "nginx" and executable is None:
        raise SystemExit(
            "error: --server nginx, but nginx is not installed (apt-get install -y nginx)"
        )
    if executable is not None:
        with NginxServer(executable=executable) as nginx:

            async def nginx_cpu() -> float | None:
                return nginx.cpu_seconds()

            description = f"nginx {nginx_version(executable)}, 1 worker process"
            yield nginx.url, description, nginx_cpu
        return
    if choice == "auto":
        print(
            "note: nginx is not installed (apt-get install -y nginx): "
            "using the slower benchmarks/_server.py"
        )
    with FixedReplyServer() as python_server:

        async def python_cpu() -> float | None:
            stats = await fetch_stats(python_server.url)
            return float(stats["cpu_seconds"])

        yield python_server.url, "benchmarks/_server.py (Python asyncio, 1 process)", python_cpu


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "compare",
        "parameters": {
            "parts": args.parts,
            "rounds": args.rounds,
            "calls": args.calls,
            "concurrency": args.concurrency,
            "parse_repeats": args.parse_repeats,
            "import_runs": args.import_runs,
            "quick": args.quick,
        },
    }
    with official_warnings_filtered():
        official = load_official()
        results["official_available"] = official is not None
        server_name = "not used"
        print("stytch_b2b_otp side-by-side benchmark (raw aiohttp, this SDK, official stytch)")
        if "throughput" in args.parts:
            with throughput_server(args.server) as (url, server_name, server_cpu):
                env = environment(server_name)
                print_environment(env)
                print(
                    f"\nThroughput: {args.calls:,} calls per contender per round, "
                    f"{args.concurrency} in flight, {args.rounds} rounds after a warm-up; "
                    f"server {url}",
                    flush=True,
                )
                throughput, profile = asyncio.run(
                    measure_throughput(
                        url,
                        calls=args.calls,
                        concurrency=args.concurrency,
                        rounds=args.rounds,
                        official=official,
                        server_cpu=server_cpu,
                        profile=args.profile,
                    )
                )
            print_throughput(throughput)
            if throughput.errors:
                print("first failures: " + "; ".join(throughput.errors))
            if profile:
                print(f"\ncProfile of one sdk run of {args.calls:,} calls (by own time):")
                print(profile)
            results["throughput"] = {
                "runs": [r.as_dict() for r in throughput.runs],
                "errors": throughput.errors,
                **throughput.summary(),
            }
            results["failed_calls"] = sum(r.calls - r.ok for r in throughput.runs)
        else:
            env = environment(server_name)
            print_environment(env)
        results["environment"] = env
        if "parse" in args.parts:
            print(
                f"\nParsing: bytes to typed replies, median of {args.parse_repeats} "
                f"interleaved repeats (the SDK decodes with {env['sdk_reply_decoder']})",
                flush=True,
            )
            results["parse"] = measure_parsing(official, args.parse_repeats, args.quick)
            print_parsing(results["parse"])
    if "import" in args.parts:
        print(f"\nImport time: fresh interpreters, best of {args.import_runs}", flush=True)
        results["import"] = measure_imports(args.import_runs, official is not None)
        print_imports(results["import"])
    results["targets"] = targets(results)
    print_targets(results["targets"])
    return results


def print_environment(env: Mapping[str, Any]) -> None:
    for key, value in env.items():
        if key == "versions":
            value = ", ".join(f"{k} {v}" for k, v in value.items() if v is not None)
        print(f"  {key}: {value}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    results = run(args)
    results["runtime_seconds"] = time.perf_counter() - started
    print(f"\nruntime {results['runtime_seconds']:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"results written to {args.json}")
    failed = results.get("failed_calls", 0)
    if failed:
        print(f"{failed} calls failed: these numbers are not valid", file=sys.stderr)
        return 1
    if args.write_docs:
        if not results["official_available"]:
            print(
                "--write-docs needs the official SDK: pip install stytch==15.3.0", file=sys.stderr
            )
            return 2
        write_docs(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
