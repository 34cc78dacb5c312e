"""Automation: `nox -s lint typing tests` is the test command (README, .ci/run)."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typing", "tests"]

PATHS = ("simwood_async", "tests", "benchmarks", "examples", "noxfile.py")


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.8")
    session.run("ruff", "check", *PATHS)
    session.run("ruff", "format", "--check", *PATHS)


@nox.session
def typing(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "simwood_async")
    session.run("mypy", "--strict", "tests/typing")
    session.run("interrogate", "-q", "tests")


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[tests]")
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        *session.posargs,
        env={"COVERAGE_PROCESS_START": "pyproject.toml"},
    )
    session.run("coverage", "combine", success_codes=[0, 1])
    session.run("coverage", "report", "--fail-under=0")


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-e", ".[bench]")
    names = session.posargs or sorted(p.stem for p in Path("benchmarks").glob("bench_*.py"))
    for name in names:
        session.run("python", f"benchmarks/{name}.py")


@nox.session
def chaos(session: nox.Session) -> None:
    """The chaos run: every fault at once against the loopback sandbox (`--quick` for CI)."""
    session.install("-e", ".[tests]")
    session.run("python", "benchmarks/chaos.py", *session.posargs)
