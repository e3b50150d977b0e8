"""Bulk sends: throughput against raw aiohttp, and memory while streaming 100,000 sends.

What it measures
----------------
1. Throughput, in requests per second, of sending N codes (``--items``, default 20,000)
   with C requests in flight (``--concurrency``, default 32) through:

   - ``baseline``: what people write by hand. One ``aiohttp.ClientSession`` with a
     ``TCPConnector(limit=C)``, and ``asyncio.gather`` over N coroutines, each guarded by
     an ``asyncio.Semaphore(C)``, that encodes its JSON body, POSTs it with the headers the
     SDK sends (Basic ``Authorization``, ``Content-Type``, ``Accept``, ``User-Agent``),
     reads the reply and decodes it with ``json.loads``;
   - ``send_many``: ``StytchB2BClient(max_connections=C).otps.sms.send_many(requests,
     concurrency=C)`` over a list of prebuilt ``SmsSendRequest``s (validation, retries,
     typed replies and errors, outcomes in input order);
   - ``send_stream``: the same through ``send_stream``, consuming outcomes as they come.

   Each contender is warmed up once; then the contenders run one after the other in
   every round (``--rounds``, default 5), in alternating order (forward, then reversed),
   so that drift in the machine's speed hits all of them alike. The figure of merit is
   the MEDIAN over the rounds of ``contender / baseline`` measured in the same round.

2. Memory: ``send_stream`` over a generator that makes 100,000 ``SmsSendRequest``s
   lazily (``--stream-items``), outcomes discarded, in a fresh process. After the
   client's warm-up it notes the RSS and resets the kernel's peak-RSS mark (``VmHWM``,
   via /proc/self/clear_refs); at the end it reports that peak, its growth over the
   warmed-up RSS, and the RSS after every tenth of the run (flat means memory does not
   grow with N). ``getrusage`` ``ru_maxrss`` is reported too, but on Linux a child
   inherits its parent's peak in it, so it is the lifetime peak, not the run's. For
   contrast it runs ``send_many`` on a list (``--many-items``, default 10,000): that
   memory grows with N by design (every request and outcome is held). A third fresh
   process repeats the stream under ``tracemalloc`` (``--trace-items``, default 5,000;
   slower, so fewer items): the peak of Python allocations live at once.

The server is `benchmarks._server.FixedReplyServer`: a bare asyncio HTTP/1.1 server in
a separate process on 127.0.0.1, answering with ``tests/fixtures/send_response.json``
(3.4 KB, status 200). ``--server-url http://127.0.0.1:PORT`` uses a server you started
instead (e.g. nginx with ``return 200 '...'``); only loopback addresses are accepted.

How to run
----------
From the repository root, with the package installed (``pip install -e .``)::

    python benchmarks/bulk.py                 # about 2 minutes on 2 cores
    python benchmarks/bulk.py --quick         # a smoke run: a few seconds
    python benchmarks/bulk.py --json bulk.json --profile

``--profile`` also prints the top functions of one ``send_many`` run under cProfile.

How to read the output
----------------------
While it runs, one line per timed run: requests/s, the client's CPU time per request,
the share of wall time spent in Python's cyclic garbage collector, how busy the server
process was (well under 100 % means the client was the bottleneck, as intended), how
many new connections the server saw (0 once the pool is warm; the pool drops
connections idle for 15 s), and the ratio to the baseline of the same round.

Then a table: requests/s per contender per round and the ratios; the "median" row and
the ``RATIO`` lines are the result (higher is better; 1.00 is as fast as the
hand-written baseline). "client CPU" is the steadier figure on a loaded machine.
"Memory" gives RSS in MiB for the runs described above. ``--contenders
baseline,send_stream,raw_workers`` adds ``raw_workers``: C worker tasks pulling from one
iterator on raw aiohttp, a tougher baseline than ``gather`` over N tasks.

It exits 1 if any request failed (the numbers would then mean nothing), 0 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if not __package__:  # run as a script (python benchmarks/bulk.py): find benchmarks._server
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

import stytch_b2b_otp
from benchmarks._server import (
    SEND_PATH,
    FixedReplyServer,
    fetch_stats,
    require_loopback,
)
from stytch_b2b_otp import SmsSendRequest, StytchB2BClient

PROJECT_ID = "project-test-00000000-0000-4000-8000-000000000000"
SECRET = "secret-test-benchmark-0000000000000000000000000"
ORGANIZATION_ID = "organization-test-07971b06-ac8b-4cdb-9c15-63b17e653931"
CONTENDERS = ("baseline", "send_many", "send_stream", "raw_workers")
DEFAULT_CONTENDERS = ("baseline", "send_many", "send_stream")
DEFAULT_SIZES = {
    "items": 20_000,
    "rounds": 5,
    "stream_items": 100_000,
    "many_items": 10_000,
    "trace_items": 5_000,
}
QUICK_SIZES = {
    "items": 500,
    "rounds": 2,
    "stream_items": 2_000,
    "many_items": 500,
    "trace_items": 300,
}
WARM_UP_ITEMS = 2_000
MIB = 1024.0

Loads = Callable[[bytes], Any]


# --- inputs -------------------------------------------------------------------------


def payload(i: int) -> dict[str, str]:
    """The JSON body of the i-th send (the baseline encodes it; the SDK builds it)."""
    return {
        "organization_id": ORGANIZATION_ID,
        "member_id": f"member-test-{i:012d}",
        "mfa_phone_number": f"+1415{i % 10_000_000:07d}",
    }


def send_request(i: int) -> SmsSendRequest:
    """The i-th send as the SDK's validated request object."""
    return SmsSendRequest(**payload(i))


def lazy_requests(count: int, start: int = 0) -> Iterator[SmsSendRequest]:
    """``count`` requests, each made only when the consumer asks for it."""
    for i in range(start, start + count):
        yield send_request(i)


def sdk_headers() -> dict[str, str]:
    """The headers the SDK sends, for the baseline to send too."""
    token = base64.b64encode(f"{PROJECT_ID}:{SECRET}".encode()).decode("ascii")
    return {
        "Authorization": f"Basic {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": (
            f"stytch-b2b-otp/{stytch_b2b_otp.__version__} "
            f"Python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
        ),
    }


def new_client(url: str, concurrency: int) -> StytchB2BClient:
    return StytchB2BClient(PROJECT_ID, SECRET, base_url=url, max_connections=concurrency)


# --- contenders (each returns how many requests succeeded) ---------------------------


async def run_baseline(
    session: aiohttp.ClientSession,
    url: str,
    payloads: Sequence[dict[str, str]],
    concurrency: int,
    headers: dict[str, str],
    loads: Loads,
) -> int:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(body: dict[str, str]) -> Any:
        async with semaphore:
            data = json.dumps(body, separators=(",", ":")).encode()
            async with session.post(url, data=data, headers=headers) as response:
                raw = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"status {response.status}")
                return loads(raw)

    results = await asyncio.gather(*(one(body) for body in payloads), return_exceptions=True)
    return sum(1 for result in results if isinstance(result, dict))


async def run_raw_workers(
    session: aiohttp.ClientSession,
    url: str,
    payloads: Sequence[dict[str, str]],
    concurrency: int,
    headers: dict[str, str],
    loads: Loads,
) -> int:
    """A tougher raw-aiohttp baseline (opt-in): C workers pulling from one iterator."""
    results: list[Any] = [None] * len(payloads)
    work = iter(enumerate(payloads))

    async def worker() -> None:
        for index, body in work:
            data = json.dumps(body, separators=(",", ":")).encode()
            try:
                async with session.post(url, data=data, headers=headers) as response:
                    raw = await response.read()
                    if response.status == 200:
                        results[index] = loads(raw)
            except aiohttp.ClientError:
                pass

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sum(1 for result in results if isinstance(result, dict))


async def run_send_many(
    client: StytchB2BClient, requests: Sequence[SmsSendRequest], concurrency: int
) -> int:
    outcomes = await client.otps.sms.send_many(requests, concurrency=concurrency)
    return sum(1 for outcome in outcomes if outcome.ok)


async def run_send_stream(
    client: StytchB2BClient, requests: Sequence[SmsSendRequest], concurrency: int
) -> int:
    ok = 0
    stream = client.otps.sms.send_stream(requests, concurrency=concurrency)
    async with contextlib.aclosing(stream):
        async for outcome in stream:
            ok += outcome.ok
    return ok


# --- throughput ---------------------------------------------------------------------


class GcTimer:
    """Time spent in the cyclic garbage collector while active (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full_collections = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full_collections += info["generation"] == 2

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self)


@dataclass
class Run:
    """One timed run of one contender."""

    round: int
    contender: str
    items: int
    ok: int
    seconds: float
    cpu_seconds: float
    gc_seconds: float
    server_cpu_seconds: float | None = None
    connections_opened: int | None = None
    server_requests: int | None = None

    @property
    def requests_per_s(self) -> float:
        return self.items / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "requests_per_s": self.requests_per_s}


@dataclass
class Throughput:
    """All timed runs, and the per-round ratios to the baseline."""

    runs: list[Run] = field(default_factory=list)

    def of(self, contender: str) -> list[Run]:
        return [run for run in self.runs if run.contender == contender]

    def ratios(self, contender: str) -> list[float]:
        baseline = {run.round: run.requests_per_s for run in self.of("baseline")}
        return [run.requests_per_s / baseline[run.round] for run in self.of(contender)]

    def summary(self) -> dict[str, Any]:
        contenders = [name for name in CONTENDERS if self.of(name)]
        return {
            "median_requests_per_s": {
                name: statistics.median(run.requests_per_s for run in self.of(name))
                for name in contenders
            },
            "median_gc_share_of_wall_time": {
                name: statistics.median(run.gc_seconds / run.seconds for run in self.of(name))
                for name in contenders
            },
            "median_client_cpu_us_per_request": {
                name: statistics.median(run.cpu_seconds / run.items * 1e6 for run in self.of(name))
                for name in contenders
            },
            "ratios_to_baseline": {
                name: {
                    "per_round": self.ratios(name),
                    "median": statistics.median(self.ratios(name)),
                }
                for name in contenders
                if name != "baseline"
            },
        }


async def measure_throughput(
    url: str,
    *,
    items: int,
    concurrency: int,
    rounds: int,
    contenders: Sequence[str],
    baseline_loads: Loads,
    server_stats: bool,
    profile: bool,
) -> tuple[Throughput, str | None]:
    target = url + SEND_PATH
    headers = sdk_headers()
    requests = [send_request(i) for i in range(items)]
    payloads = [payload(i) for i in range(items)]
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        new_client(url, concurrency) as client,
    ):

        def runner(name: str, count: int) -> Awaitable[int]:
            if name == "baseline":
                return run_baseline(
                    session, target, payloads[:count], concurrency, headers, baseline_loads
                )
            if name == "raw_workers":
                return run_raw_workers(
                    session, target, payloads[:count], concurrency, headers, baseline_loads
                )
            if name == "send_many":
                return run_send_many(client, requests[:count], concurrency)
            return run_send_stream(client, requests[:count], concurrency)

        for name in contenders:  # warm up: connections, lazy imports, caches
            await runner(name, min(items, WARM_UP_ITEMS))

        result = Throughput()
        for round_number in range(1, rounds + 1):
            order = contenders if round_number % 2 else contenders[::-1]
            for name in order:
                gc.collect()
                before = await fetch_stats(url) if server_stats else None
                with GcTimer() as gc_timer:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    ok = await runner(name, items)
                    seconds = time.perf_counter() - started
                    cpu_seconds = time.process_time() - cpu_started
                run = Run(round_number, name, items, ok, seconds, cpu_seconds, gc_timer.seconds)
                if before is not None:
                    after = await fetch_stats(url)
                    run.server_cpu_seconds = after["cpu_seconds"] - before["cpu_seconds"]
                    # minus one: the stats request's own connection
                    run.connections_opened = (
                        after["connections_opened"] - before["connections_opened"] - 1
                    )
                    run.server_requests = (
                        after["requests"][SEND_PATH] - before["requests"][SEND_PATH]
                    )
                result.runs.append(run)
                print_run(run, result)

        report = None
        if profile:
            gc.collect()
            profiler = cProfile.Profile()
            profiler.enable()
            await run_send_many(client, requests, concurrency)
            profiler.disable()
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text)
            stats.sort_stats("tottime").print_stats(25)
            report = text.getvalue()
    return result, report


# --- memory (in a fresh process each) ------------------------------------------------


def _status_kib(name: str) -> int | None:
    """A ``kB`` line of /proc/self/status (Linux), e.g. VmRSS or VmHWM; else None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def rss_now_kib() -> int | None:
    """The current resident set size (Linux), or None."""
    return _status_kib("VmRSS")


def ru_maxrss_kib() -> int:
    """``getrusage`` ``ru_maxrss`` in KiB: the process's lifetime peak RSS.

    On Linux it also carries the peak of the process that started this one (it
    survives fork + exec), so a child of a big parent reports at least the parent's
    peak: use `reset_peak_rss` and ``VmHWM`` for a peak of this process alone.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (``VmHWM``) to its current RSS (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def memory_child(
    mode: str, url: str, items: int, concurrency: int, trace: bool
) -> dict[str, Any]:
    async with new_client(url, concurrency) as client:
        warm_up = min(items, WARM_UP_ITEMS)
        stream = client.otps.sms.send_stream(lazy_requests(warm_up), concurrency=concurrency)
        async with contextlib.aclosing(stream):
            async for _ in stream:
                pass
        gc.collect()
        if trace:
            tracemalloc.start()
        rss_before, maxrss_before = rss_now_kib(), ru_maxrss_kib()
        hwm_reset = reset_peak_rss()
        checkpoints = {items * tenth // 10 for tenth in range(1, 11)}
        samples: list[tuple[int, int | None]] = []
        started = time.perf_counter()
        ok = 0
        if mode == "stream":
            done = 0
            stream = client.otps.sms.send_stream(
                lazy_requests(items, start=warm_up), concurrency=concurrency
            )
            async with contextlib.aclosing(stream):
                async for outcome in stream:
                    ok += outcome.ok
                    done += 1
                    if done in checkpoints:
                        samples.append((done, rss_now_kib()))
        else:
            requests = list(lazy_requests(items, start=warm_up))
            outcomes = await client.otps.sms.send_many(requests, concurrency=concurrency)
            ok = sum(1 for outcome in outcomes if outcome.ok)
            samples.append((items, rss_now_kib()))
        seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
        tracemalloc.stop()
        maxrss = ru_maxrss_kib()
        hwm = _status_kib("VmHWM") if hwm_reset else None
    # The peak of this run: VmHWM since the reset, else ru_maxrss (which may be older).
    peak = hwm if hwm is not None else maxrss
    base = rss_before if rss_before is not None else maxrss_before
    return {
        "mode": mode,
        "items": items,
        "ok": ok,
        "seconds": seconds,
        "tracemalloc": trace,
        "rss_after_warm_up_kib": base,
        "peak_rss_kib": peak,
        "peak_rss_source": "VmHWM reset after warm-up" if hwm is not None else "ru_maxrss",
        "peak_rss_growth_kib": peak - base,
        "ru_maxrss_after_warm_up_kib": maxrss_before,
        "ru_maxrss_kib": maxrss,
        "ru_maxrss_growth_kib": maxrss - maxrss_before,
        "rss_samples_kib": samples,
        "tracemalloc_peak_kib": None if traced_peak is None else traced_peak / 1024,
    }


def measure_memory(
    mode: str, url: str, items: int, concurrency: int, *, trace: bool = False
) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-child", mode]
    command += ["--server-url", url, "--items", str(items), "--concurrency", str(concurrency)]
    if trace:
        command.append("--trace")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the memory run failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- output -------------------------------------------------------------------------


def environment(url: str, own_server: bool) -> dict[str, Any]:
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    decoder = getattr(getattr(stytch_b2b_otp, "_json", None), "loads", None)
    revision = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = Path(__file__).resolve().parent.parent
        git = ["git", "-C", str(root)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "stytch_b2b_otp"], capture_output=True
        )
        if head.returncode == 0:
            revision = head.stdout.decode().strip()
            revision += " (package has uncommitted changes)" if dirty.stdout.strip() else ""
    return {
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "aiohttp": aiohttp.__version__,
        "stytch_b2b_otp": f"{stytch_b2b_otp.__version__} at {revision}",
        "sdk_reply_decoder": getattr(decoder, "__module__", "?"),
        "server": url if not own_server else f"{url} (benchmarks/_server.py, own process)",
    }


def print_run(run: Run, result: Throughput) -> None:
    ratio = ""
    if run.contender != "baseline":
        baseline = [b for b in result.of("baseline") if b.round == run.round]
        if baseline:
            ratio = f"{run.requests_per_s / baseline[0].requests_per_s:6.2f}x baseline"
    server = ""
    if run.server_cpu_seconds is not None:
        server = (
            f"  server CPU {run.server_cpu_seconds / run.seconds:4.0%}"
            f"  new conns {run.connections_opened}"
        )
    failed = f"  FAILED {run.items - run.ok}" if run.ok != run.items else ""
    if run.server_requests is not None and run.server_requests != run.items:
        failed += f"  (the server saw {run.server_requests:,} requests: retries?)"
    print(
        f"  round {run.round}  {run.contender:<11} {run.requests_per_s:8,.0f} req/s"
        f"  client CPU {run.cpu_seconds / run.items * 1e6:4.0f} us/req"
        f" (GC {run.gc_seconds / run.seconds:4.0%})"
        f"{server}  {ratio}{failed}",
        flush=True,
    )


def print_summary(result: Throughput) -> None:
    summary = result.summary()
    contenders = list(summary["median_requests_per_s"])
    print("\nThroughput (requests/s, higher is better; ratio = contender / baseline, same round)")
    header = "round " + "".join(f"{name:>13}" for name in contenders)
    header += "".join(f"{name + '/base':>18}" for name in contenders if name != "baseline")
    print(header)
    rounds = sorted({run.round for run in result.runs})
    for number in rounds:
        line = f"{number:>5} "
        for name in contenders:
            run = next(r for r in result.of(name) if r.round == number)
            line += f"{run.requests_per_s:13,.0f}"
        for name in contenders:
            if name != "baseline":
                line += f"{result.ratios(name)[number - 1]:18.3f}"
        print(line)
    line = "median"
    for name in contenders:
        line += f"{summary['median_requests_per_s'][name]:13,.0f}"
    for name in contenders:
        if name != "baseline":
            line += f"{summary['ratios_to_baseline'][name]['median']:18.3f}"
    print(line)
    cpu = summary["median_client_cpu_us_per_request"]
    print(
        "client CPU per request (median, us): "
        + ", ".join(f"{name} {value:.0f}" for name, value in cpu.items())
    )
    gc_share = summary["median_gc_share_of_wall_time"]
    print(
        "time in the garbage collector (median share of wall time): "
        + ", ".join(f"{name} {value:.0%}" for name, value in gc_share.items())
    )
    for name, ratio in summary["ratios_to_baseline"].items():
        per_round = ", ".join(f"{value:.3f}" for value in ratio["per_round"])
        print(f"RATIO {name}/baseline: median {ratio['median']:.3f} (rounds: {per_round})")


def mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / MIB:,.1f} MiB"


def print_memory(memory: dict[str, Any]) -> None:
    print("\nMemory (each in a fresh process, after the client's warm-up; RSS in MiB)")
    stream = memory.get("stream")
    if stream:
        per_item = stream["peak_rss_growth_kib"] * 1024 / stream["items"]
        print(
            f"  send_stream, {stream['items']:,} lazily generated requests, outcomes discarded"
            f" ({stream['items'] / stream['seconds']:,.0f} req/s):"
        )
        print(
            f"    RSS after warm-up {mib(stream['rss_after_warm_up_kib'])}; "
            f"peak RSS {mib(stream['peak_rss_kib'])}; "
            f"growth {mib(stream['peak_rss_growth_kib'])} ({per_item:.1f} bytes/item)"
        )
        print(
            f"    ru_maxrss: {mib(stream['ru_maxrss_after_warm_up_kib'])} after warm-up,"
            f" {mib(stream['ru_maxrss_kib'])} at the end"
            f" (growth {mib(stream['ru_maxrss_growth_kib'])})"
        )
        samples = ", ".join(f"{done:,}: {mib(kib)}" for done, kib in stream["rss_samples_kib"])
        print(f"    RSS after each tenth: {samples}")
    many = memory.get("many")
    if many:
        per_item = many["peak_rss_growth_kib"] / many["items"]
        print(
            f"  contrast, send_many on a list of {many['items']:,} (it holds every request"
            " and outcome, so it grows with N by design):"
        )
        print(
            f"    RSS after warm-up {mib(many['rss_after_warm_up_kib'])}; peak RSS"
            f" {mib(many['peak_rss_kib'])}; growth {mib(many['peak_rss_growth_kib'])}"
            f" ({per_item:.2f} KiB/item)"
        )
    traced = memory.get("stream_tracemalloc")
    if traced:
        print(
            f"  send_stream under tracemalloc (a separate, slower run of {traced['items']:,}):"
            f" peak of Python allocations live at once {traced['tracemalloc_peak_kib']:,.0f} KiB"
        )


# --- main ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Bulk-send throughput against raw aiohttp, and streaming memory.",
        epilog="See the module docstring (benchmarks/bulk.py) for how to read the output.",
    )
    sizes = "default %s, --quick %s"
    parser.add_argument(
        "--items",
        type=int,
        help="sends per timed run (" + sizes % ("20,000", "500") + ")",
    )
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument(
        "--rounds", type=int, help="timed rounds, median taken (" + sizes % (5, 2) + ")"
    )
    parser.add_argument(
        "--stream-items",
        type=int,
        help="sends in the streaming memory run; 0 skips it (" + sizes % ("100,000", "2,000") + ")",
    )
    parser.add_argument(
        "--many-items",
        type=int,
        help="sends in the send_many memory contrast; 0 skips it ("
        + sizes % ("10,000", "500")
        + ")",
    )
    parser.add_argument(
        "--trace-items",
        type=int,
        help="sends under tracemalloc; 0 skips it (" + sizes % ("5,000", "300") + ")",
    )
    parser.add_argument(
        "--contenders",
        default=",".join(DEFAULT_CONTENDERS),
        help=f"comma-separated, from {','.join(CONTENDERS)} (default: %(default)s; "
        "baseline always runs; raw_workers is a tougher hand-written aiohttp baseline)",
    )
    parser.add_argument(
        "--baseline-decoder",
        choices=("json", "orjson"),
        default="json",
        help="what the baseline decodes replies with (default: json.loads)",
    )
    parser.add_argument("--server-url", help="an http://127.0.0.1:PORT server to use instead")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results here")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one send_many run and print it"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run of a few seconds (small numbers)"
    )
    parser.add_argument("--memory-child", choices=("stream", "many"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name, size in (QUICK_SIZES if args.quick else DEFAULT_SIZES).items():
        if getattr(args, name) is None:  # what is given explicitly wins over --quick
            setattr(args, name, size)
    names = [name.strip() for name in args.contenders.split(",") if name.strip()]
    unknown = set(names) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown contenders: {', '.join(sorted(unknown))}")
    args.contender_list = ["baseline", *[name for name in CONTENDERS[1:] if name in names]]
    if args.items < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--items, --concurrency and --rounds must be positive")
    if min(args.stream_items, args.many_items, args.trace_items) < 0:
        parser.error("--stream-items, --many-items and --trace-items must be 0 or more")
    if args.server_url:
        parts = urlsplit(args.server_url)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            parser.error("--server-url must look like http://127.0.0.1:PORT")
        try:
            require_loopback(parts.hostname)
        except ValueError as exc:
            parser.error(str(exc))
        args.server_url = args.server_url.rstrip("/")
    return args


def baseline_decoder(name: str) -> Loads:
    if name == "orjson":
        import orjson

        return orjson.loads
    return json.loads


def benchmark(args: argparse.Namespace, url: str, own_server: bool) -> dict[str, Any]:
    env = environment(url, own_server)
    parameters = {
        "items": args.items,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "contenders": args.contender_list,
        "baseline_decoder": args.baseline_decoder,
        "stream_items": args.stream_items,
        "many_items": args.many_items,
        "trace_items": args.trace_items,
        "quick": args.quick,
    }
    print("stytch_b2b_otp bulk benchmark")
    for key, value in env.items():
        print(f"  {key}: {value}")
    print(
        f"  {args.items:,} sends per run, concurrency {args.concurrency}, {args.rounds} rounds"
        f" after one warm-up; baseline decodes with {args.baseline_decoder}.loads\n"
    )
    # Memory first, while this process is small: on Linux a child's ru_maxrss starts at
    # its parent's peak (see ru_maxrss_kib).
    memory: dict[str, Any] = {}
    if args.stream_items:
        print(f"measuring memory: send_stream over {args.stream_items:,} sends ...", flush=True)
        memory["stream"] = measure_memory("stream", url, args.stream_items, args.concurrency)
    if args.many_items:
        print(f"measuring memory: send_many over {args.many_items:,} sends ...", flush=True)
        memory["many"] = measure_memory("many", url, args.many_items, args.concurrency)
    if args.trace_items:
        print(f"measuring memory: tracemalloc over {args.trace_items:,} sends ...", flush=True)
        memory["stream_tracemalloc"] = measure_memory(
            "stream", url, args.trace_items, args.concurrency, trace=True
        )
    print("measuring throughput ...", flush=True)
    throughput, profile = asyncio.run(
        measure_throughput(
            url,
            items=args.items,
            concurrency=args.concurrency,
            rounds=args.rounds,
            contenders=args.contender_list,
            baseline_loads=baseline_decoder(args.baseline_decoder),
            server_stats=own_server,
            profile=args.profile,
        )
    )
    print_summary(throughput)
    if memory:
        print_memory(memory)
    if profile:
        print("\ncProfile of one send_many run (sorted by own time):")
        print(profile)
    return {
        "benchmark": "bulk",
        "environment": env,
        "parameters": parameters,
        "throughput": {
            "runs": [run.as_dict() for run in throughput.runs],
            **throughput.summary(),
        },
        "memory": memory,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_child:
        if not args.server_url:
            raise SystemExit("--memory-child needs --server-url")
        result = asyncio.run(
            memory_child(
                args.memory_child, args.server_url, args.items, args.concurrency, args.trace
            )
        )
        print(json.dumps(result))
        return 0
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if args.server_url:
            url, own_server = args.server_url, False
        else:
            url, own_server = stack.enter_context(FixedReplyServer()).url, True
        results = benchmark(args, url, own_server)
    results["runtime_seconds"] = time.perf_counter() - started
    failed = sum(run["items"] - run["ok"] for run in results["throughput"]["runs"])
    failed += sum(run["items"] - run["ok"] for run in results["memory"].values())
    results["failed_requests"] = failed
    print(f"\nruntime {results['runtime_seconds']:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"results written to {args.json}")
    if failed:
        print(f"{failed} requests failed: these numbers are not valid", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
