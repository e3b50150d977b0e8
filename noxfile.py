"""Development sessions: ``nox`` runs tests (every Python 3.10-3.13 found), lint, typecheck,
docs and the demo.

Run ``python -m pip install 'nox[uv]' && python -m nox`` (the README's test command;
``.ci/run`` runs the same). A Python that is not installed is skipped, never fatal,
even with ``CI`` set. uv creates the environments when it is available (about 5x
faster than venv + pip) and is told never to download an interpreter.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
LOWEST_PYTHON = "3.10"
MAIN_PYTHON = "3.11"  # the CI machine's own Python
# What depends on the JSON decoder: reply parsing, error bodies, strict structuring of
# the emulator's replies, and the fuzz tests.
ORJSON_PATHS = [
    "tests/test_models.py",
    "tests/test_otp_sms.py",
    "tests/test_errors.py",
    "tests/test_failure_mapping.py",
    "tests/emulator/test_lifecycle.py",
    "tests/reliability/test_fuzz.py",
]

# The slow tests that depend on aiohttp's version: run at the lowest versions too.
LOWEST_SLOW_PATHS = ["tests/reliability/test_soak.py", "tests/reliability/test_cancellation.py"]

# And what only the msgspec extra exercises: the fast path, and what gets imported.
MSGSPEC_PATHS = ["tests/test_fast_path.py", "tests/test_package.py"]

nox.options.default_venv_backend = "uv|venv"
nox.options.error_on_missing_interpreters = False
nox.options.sessions = [
    "tests",
    "tests_orjson",
    "tests_msgspec",
    "tests_lowest",
    "lint",
    "typecheck",
    "docs",
    "demo",
]
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


def _expose_pyenv_pythons() -> None:
    """Let nox find pyenv-installed 3.10-3.13 that the current pyenv version hides."""
    pyenv = shutil.which("pyenv")
    if pyenv is None or ":" in os.environ.get("PYENV_VERSION", ""):
        return

    def run(*args: str) -> str:
        done = subprocess.run([pyenv, *args], capture_output=True, text=True, check=False)
        return done.stdout

    current = [v for v in run("version-name").strip().split(":") if v]
    newest: dict[int, tuple[int, ...]] = {}
    for version in run("versions", "--bare").split():
        match = re.fullmatch(r"3\.(\d+)\.(\d+)", version)
        if match and 10 <= int(match[1]) <= 13:
            minor, parts = int(match[1]), tuple(map(int, version.split(".")))
            newest[minor] = max(newest.get(minor, parts), parts)
    extra = [".".join(map(str, parts)) for _, parts in sorted(newest.items())]
    if current and extra:
        os.environ["PYENV_VERSION"] = ":".join(dict.fromkeys([*current, *extra]))


_expose_pyenv_pythons()


def _install(session: nox.Session, *args: str) -> None:
    if session.venv_backend != "uv":  # pip learned --group in 25.1
        session.run("python", "-m", "pip", "install", "--quiet", "pip>=25.1")
    session.install(*args)


@nox.session(python=PYTHONS, download_python="never")
def tests(session: nox.Session) -> None:
    """The test suite under -W error, on every supported Python that is installed.

    The slow load and property tests run on the main Python (and the aiohttp-bound
    ones in tests_lowest on 3.10); on the other versions they would only repeat the
    same proof, at a minute of CI each. ``nox -s tests-3.12 -- tests`` runs everything there too.
    """
    _install(session, "--group", "test", ".[emulator]")
    quick = [] if session.python == MAIN_PYTHON else ["-m", "not slow"]
    session.run("python", "-m", "pytest", "-W", "error", *(session.posargs or quick))


@nox.session
def tests_orjson(session: nox.Session) -> None:
    """The tests that decode replies, with the orjson extra (the others use plain json).

    orjson changes only how reply bytes become Python objects, so the rest of the suite
    (transport, emulator rules, bulk, CLI) would only repeat what the other sessions
    prove; ``nox -s tests_orjson -- tests`` runs everything with it.
    """
    _install(session, "--group", "test", ".[orjson,emulator]")
    paths = session.posargs or ORJSON_PATHS
    session.run("python", "-m", "pytest", "-W", "error", *paths)


@nox.session
@nox.parametrize("resolution", ["highest", "lowest-direct"])
def tests_msgspec(session: nox.Session, resolution: str) -> None:
    """The tests that decode replies, through msgspec's fast path (the msgspec extra).

    Run with the newest msgspec and with the oldest the extra allows, since msgspec
    parses timestamps itself and the tests hold it to `parse_timestamp`.
    """
    if resolution != "highest" and session.venv_backend != "uv":
        session.skip("needs uv for --resolution lowest-direct")
    options = ["--resolution", resolution] if session.venv_backend == "uv" else []
    _install(session, *options, "--group", "test", ".[msgspec,emulator]")
    paths = session.posargs or [*ORJSON_PATHS, *MSGSPEC_PATHS]
    session.run("python", "-m", "pytest", "-W", "error", *paths)


@nox.session(python=LOWEST_PYTHON, download_python="never")
def tests_lowest(session: nox.Session) -> None:
    """The test suite against the lowest dependency versions pyproject.toml allows.

    Of the slow tests, the soak and the thousand cancellations run here too: they
    exercise aiohttp's pool, which changes between releases. The fuzz tests run at
    these versions in tests_msgspec (lowest-direct); bulk pacing and accounting are
    this package's own logic, proven on the main Python. ``nox -s tests_lowest --
    tests`` runs everything.
    """
    if session.venv_backend != "uv":
        session.skip("needs uv for --resolution lowest-direct")
    session.install("--resolution", "lowest-direct", "--group", "test", ".[orjson,emulator]")
    if session.posargs:
        session.run("python", "-m", "pytest", "-W", "error", *session.posargs)
        return
    session.run("python", "-m", "pytest", "-W", "error", "-m", "not slow")
    session.run("python", "-m", "pytest", "-W", "error", *LOWEST_SLOW_PATHS)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: the explicit rule set in pyproject.toml, and formatting."""
    _install(session, "--group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, the tests and this file (as Python 3.10)."""
    _install(session, "--group", "typecheck", ".[emulator]")
    session.run("mypy", "--strict")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, built offline with ``mkdocs build --strict``, and its checks.

    tests/test_docs.py runs here too, with griffe installed, so that the check that
    the API reference's signatures are the real ones runs (the other sessions skip it).
    ruff (the lint group) lets mkdocstrings lay out long signatures.
    """
    _install(
        session, "--group", "docs", "--group", "lint", "--group", "test", ".[emulator,fastapi]"
    )
    site = session.create_tmp() + "/site"
    session.run("mkdocs", "build", "--strict", "--site-dir", site, env={"NO_MKDOCS_2_WARNING": "1"})
    session.run("python", "-m", "pytest", "-W", "error", "tests/test_docs.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The README's main-job command: the demo against the built-in emulator."""
    _install(session, ".[emulator]")
    session.run("stytch-b2b-otp", "demo")


def _bench_options(session: nox.Session, script: str) -> set[str]:
    """The --options a benchmark script lists in its --help."""
    output = session.run("python", script, "--help", silent=True)
    return set(re.findall(r"--[a-z][a-z-]*", output)) if isinstance(output, str) else set()


def _split_bench_args(session: nox.Session, args: list[str]) -> tuple[list[str], list[str]]:
    """Route ``nox -s bench -- ARGS`` to compare.py and bulk.py.

    ``--quick`` goes to both; an option compare.py knows goes to it (shared ones such as
    ``--rounds`` or ``--json`` too, so the two never write one file); one only bulk.py
    knows goes to bulk.py; the words after an option go with it.
    """
    if not args:
        return [], []
    compare_options = _bench_options(session, "benchmarks/compare.py")
    bulk_options = _bench_options(session, "benchmarks/bulk.py")
    compare: list[str] = []
    bulk: list[str] = []
    target = compare
    for word in args:
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            if name == "--quick":
                compare.append(word)
                bulk.append(word)
                target = compare
                continue
            only_bulk = name in bulk_options and name not in compare_options
            target = bulk if only_bulk else compare
        target.append(word)
    return compare, bulk


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, not run by default: ``nox -s bench`` (about 4 minutes) or
    ``nox -s bench -- --quick`` (a smoke run of a few seconds per script).

    First ``benchmarks/compare.py``: raw aiohttp, this SDK and the official ``stytch``
    SDK side by side (throughput against nginx when it is installed, else against
    benchmarks/_server.py; reply parsing; import time); then ``benchmarks/bulk.py``
    (bulk sends and memory). Both print same-run ratios. Options after ``--`` go to the
    script that knows them (see `_split_bench_args`), e.g. ``nox -s bench -- --quick
    --only parse`` or ``nox -s bench -- --write-docs`` (compare.py rewrites the results
    in docs/benchmarks.md and its chart; matplotlib is installed here for it).
    """
    _install(session, ".[orjson,msgspec]", "stytch==15.3.0", "matplotlib")
    compare_args, bulk_args = _split_bench_args(session, list(session.posargs))
    session.run("python", "benchmarks/compare.py", *compare_args)
    session.run("python", "benchmarks/bulk.py", *bulk_args)
