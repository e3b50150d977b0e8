"""nginx on 127.0.0.1 answering the send endpoint with a fixed reply, for benchmarks.

`NginxServer` has the same public shape as `benchmarks._server.FixedReplyServer`
(``url``, ``start``/``stop``, a context manager, loopback addresses only), but the server
is nginx: C, one worker process, so it answers far faster than one Python core and the
client under test is what a benchmark measures. Install it with ``apt-get install -y
nginx`` (installing it starts no service; this module runs its own copy).

What it does:

- finds the executable (``shutil.which("nginx")``, else ``/usr/sbin/nginx``; `find_nginx`);
- writes a configuration into a new temporary folder (`render_config`): the pid file,
  the error log and every temporary path live in that folder; ``access_log off``,
  ``worker_processes 1``, keep-alive for a million requests or five minutes, and
  ``listen`` on a free port of a loopback address;
- answers ``POST /v1/b2b/otps/sms/send`` (any method, in fact) with
  ``tests/fixtures/send_response.json`` (status 200, ``application/json``) through
  ``return 200 '...'``: nginx's static-file module refuses ``POST``. The body is quoted
  for nginx's configuration syntax (`nginx_quote`). A ``$`` in a ``return`` text would
  start a variable and a quoted parameter is limited to 4 KiB, so a body with a ``$``,
  or a long one, is served from ``geo`` variables (whose values are literal) of at most
  ~3 KiB each, joined in the ``return``; any other path gets a 404 JSON reply;
- runs nginx in the foreground (``daemon off``) as a child process, so its master pid
  is known, and stops it with ``SIGQUIT`` (graceful), then ``SIGTERM``, then ``SIGKILL``,
  waiting each time. The stop runs on exit from the ``with`` block, also on errors
  and ``KeyboardInterrupt``; on Linux the master also gets ``SIGTERM`` if this process
  dies first (``PR_SET_PDEATHSIG``);
- `NginxServer.cpu_seconds` adds up the CPU time of the master and its workers from
  ``/proc/<pid>/stat`` (Linux; ``None`` elsewhere).

Use it like ``FixedReplyServer``::

    with NginxServer() as server:
        run_client_against(server.url)  # e.g. "http://127.0.0.1:41234"
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from benchmarks._server import DEFAULT_ROUTES, require_loopback

__all__ = ["NginxServer", "find_nginx", "nginx_quote", "render_config"]

FALLBACK_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
# nginx reads a configuration in 4 KiB buffers and refuses a longer parameter.
MAX_PARAMETER_BYTES = 4_000
CHUNK_BYTES = 3_000  # each geo value of a body that is not one literal
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NOT_FOUND = (
    '{"status_code":404,"request_id":"request-id-benchmark","error_type":"not_found",'
    '"error_message":"No such path on the benchmark server.","error_url":""}'
)


def find_nginx() -> str | None:
    """The nginx executable: on ``PATH``, else at a usual place; ``None`` if absent."""
    found = shutil.which("nginx")
    if found:
        return found
    for path in FALLBACK_PATHS:
        if os.access(path, os.X_OK):
            return path
    return None


def nginx_quote(text: str) -> str:
    """``text`` as one single-quoted nginx parameter (quote marks included).

    Backslashes, single quotes, tabs and line breaks are escaped as nginx's parser
    undoes them. This does not stop a ``$`` from starting a variable in directives
    that take variables (such as ``return``): `render_config` keeps ``$`` out of those.

    Raises:
        ValueError: ``text`` holds another control character (nginx has no escape for
            it), or is longer than nginx accepts in one parameter.
    """
    bad = sorted({char for char in text if ord(char) < 0x20 and char not in _ESCAPES})
    if bad or "\x7f" in text:
        raise ValueError(f"control characters cannot be quoted for nginx: {bad!r}")
    quoted = "'" + "".join(_ESCAPES.get(char, char) for char in text) + "'"
    if len(quoted.encode()) > MAX_PARAMETER_BYTES:
        raise ValueError(f"a parameter of {len(quoted.encode())} bytes is too long for nginx")
    return quoted


def _chunks(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces whose quoted form is at most about ``limit`` bytes."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        cost = len(_ESCAPES.get(char, char).encode())
        if current and size + cost > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += cost
    if current or not pieces:
        pieces.append("".join(current))
    return pieces


def render_config(
    folder: Path,
    *,
    host: str,
    port: int,
    routes: Mapping[str, bytes],
    chunk_bytes: int = CHUNK_BYTES,
) -> str:
    """The nginx configuration that serves ``routes`` (``{path: body}``) on host:port.

    Every file nginx writes goes inside ``folder``. A body is UTF-8 JSON text; one
    without ``$`` that fits in one parameter is returned as a literal, any other is
    joined from literal ``geo`` variables (of about ``chunk_bytes`` bytes each).

    Raises:
        ValueError: ``host`` is not a loopback address, a path is not a plain absolute
            path, or a body is not UTF-8 or holds a control character nginx cannot quote.
    """
    require_loopback(host)
    listen = f"[{host.strip('[]')}]" if ":" in host else host
    variables: list[str] = []
    locations: list[str] = []
    for number, (path, body) in enumerate(routes.items()):
        if not path.startswith("/") or any(c in path for c in " \t\r\n;{}'\"\\$#"):
            raise ValueError(f"not a plain absolute path for nginx: {path!r}")
        text = body.decode("utf-8")
        literal = len(_chunks(text, MAX_PARAMETER_BYTES - 2)) == 1  # 2: the quote marks
        if "$" not in text and literal:
            reply = nginx_quote(text)
        else:
            pieces = _chunks(text, chunk_bytes)
            names = [f"stytch_bench_{number}_{index}" for index in range(len(pieces))]
            for name, piece in zip(names, pieces, strict=True):
                # geo values are literal: no variables in them, so "$" is just a byte
                variables.append(f"    geo ${name} {{ default {nginx_quote(piece)}; }}")
            reply = "'" + "".join(f"${{{name}}}" for name in names) + "'"
        locations.append(
            f"        location = {path} {{\n            return 200 {reply};\n        }}"
        )
    temp = {
        f"{prefix}_temp_path": folder / name
        for prefix, name in (
            ("client_body", "body"),
            ("proxy", "proxy"),
            ("fastcgi", "fastcgi"),
            ("uwsgi", "uwsgi"),
            ("scgi", "scgi"),
        )
    }
    lines = [
        "# Written by benchmarks/_nginx.py for one benchmark run; deleted after it.",
        "worker_processes 1;",
        "daemon off;",
        "master_process on;",
        f"pid {nginx_quote(str(folder / 'nginx.pid'))};",
        f"error_log {nginx_quote(str(folder / 'error.log'))} warn;",
        "events {",
        "    worker_connections 4096;",
        "}",
        "http {",
        "    access_log off;",
        "    server_tokens off;",
        "    default_type application/json;",
        "    charset off;",
        "    keepalive_requests 1000000;",
        "    keepalive_timeout 300s;",
        "    client_body_buffer_size 64k;",
        *(f"    {directive} {nginx_quote(str(path))};" for directive, path in temp.items()),
        *variables,
        "    server {",
        f"        listen {listen}:{port} backlog=4096;",
        *locations,
        "        location / {",
        f"            return 404 {nginx_quote(_NOT_FOUND)};",
        "        }",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host.strip("[]"), 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGTERM the child when this process dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def set_death_signal() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return set_death_signal


def _clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):
        return 100


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rpartition(")")[2].split()


class NginxServer:
    """nginx in a temporary folder, answering the send endpoint; stopped on exit.

    Args:
        routes: ``{path: file}`` to answer (default: the send endpoint with
            ``tests/fixtures/send_response.json``).
        host: A loopback address to listen on.
        executable: The nginx to run (default: `find_nginx`).

    Raises:
        ValueError: ``host`` is not a loopback address.
    """

    def __init__(
        self,
        routes: Mapping[str, Path] | None = None,
        host: str = "127.0.0.1",
        executable: str | None = None,
    ) -> None:
        require_loopback(host)
        self._routes = dict(routes or DEFAULT_ROUTES)
        self._host = host
        self._executable = executable
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self.port = 0
        self.error_log = ""
        """What nginx wrote to its error log (kept after `stop`)."""

    @property
    def url(self) -> str:
        """The base URL, such as ``http://127.0.0.1:41234``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def folder(self) -> Path | None:
        """The temporary folder with the configuration and logs (deleted by `stop`)."""
        return Path(self._folder.name) if self._folder is not None else None

    @property
    def pid(self) -> int | None:
        """The master process's id while it runs."""
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = 10.0) -> None:
        """Write the configuration, start nginx and wait until it accepts connections.

        Raises:
            FileNotFoundError: nginx is not installed.
            RuntimeError: nginx did not start (its error log is in the message).
        """
        executable = self._executable or find_nginx()
        if executable is None:
            raise FileNotFoundError("nginx is not installed (apt-get install -y nginx)")
        bodies = {path: file.read_bytes() for path, file in self._routes.items()}
        try:
            for _attempt in range(3):  # the free port may be taken before nginx binds it
                if self._launch(executable, bodies, timeout):
                    return
                if "Address already in use" not in self.error_log:
                    break
        except BaseException:
            self.stop()
            raise
        log = self.error_log
        self.stop()
        raise RuntimeError(f"nginx did not start:\n{log}")

    def _launch(self, executable: str, bodies: Mapping[str, bytes], timeout: float) -> bool:
        self._cleanup()
        self._folder = tempfile.TemporaryDirectory(prefix="stytch-bench-nginx-")
        folder = Path(self._folder.name)
        folder.chmod(0o755)  # workers run as an unprivileged user when nginx runs as root
        self.port = _free_port(self._host)
        config = folder / "nginx.conf"
        config.write_text(
            render_config(folder, host=self._host, port=self.port, routes=bodies),
            encoding="utf-8",
        )
        error_log = folder / "error.log"
        command = [executable, "-p", str(folder), "-e", str(error_log), "-c", str(config)]
        with (folder / "stderr.log").open("wb") as output:  # what it says before logging
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._read_log()
                self._process = None
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self._host.strip("[]"), self.port), timeout=0.5),
            ):
                return True
            time.sleep(0.02)
        self._read_log()
        self._terminate()
        return False

    def _read_log(self) -> None:
        folder = self.folder
        if folder is not None:
            logs = []
            for name in ("stderr.log", "error.log"):
                with contextlib.suppress(OSError):
                    logs.append((folder / name).read_text(errors="replace"))
            self.error_log = "".join(logs)

    def _terminate(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for signum, wait in ((signal.SIGQUIT, timeout), (signal.SIGTERM, 5.0), (None, 5.0)):
            if process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                if signum is None:
                    process.kill()
                else:
                    process.send_signal(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(wait)
        process.wait()

    def _cleanup(self) -> None:
        folder, self._folder = self._folder, None
        if folder is not None:
            folder.cleanup()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop nginx (SIGQUIT, then SIGTERM, then SIGKILL) and delete its folder."""
        try:
            if self._process is not None:
                self._terminate(timeout)
                self._read_log()
        finally:
            self._cleanup()

    def processes(self) -> list[int]:
        """The master's pid and its workers' (Linux; just the master elsewhere)."""
        master = self.pid
        if master is None:
            return []
        found = [master]
        with contextlib.suppress(OSError):
            for entry in os.scandir("/proc"):
                if entry.name.isdigit() and entry.name != str(master):
                    fields = _stat_fields(int(entry.name))
                    if fields and len(fields) > 1 and fields[1] == str(master):
                        found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the master and its workers (dead workers included).

        ``None`` where ``/proc`` does not tell (not Linux) or when not running.
        """
        master = self.pid
        if master is None:
            return None
        ticks = 0
        for pid in self.processes():
            fields = _stat_fields(pid)
            if fields is None:
                if pid == master:
                    return None
                continue  # a worker that just exited: its time is in the master's cutime
            # after the command name: state is field 3, utime 14, stime 15, cutime 16,
            # cstime 17 (1-based, in proc(5)); here index = field - 3
            wanted = (11, 12, 13, 14) if pid == master else (11, 12)
            ticks += sum(int(fields[index]) for index in wanted)
        return ticks / _clock_ticks()

    def __enter__(self) -> NginxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
