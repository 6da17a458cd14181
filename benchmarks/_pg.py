"""Helpers of the benchmarks: a throw-away PostgreSQL database, and the CPU time of processes.

``scratch_database`` creates a database with a unique name on the server of an admin URL (the same
``postgresql://postgres@127.0.0.1:5432/test`` the tests use) and drops it ``WITH (FORCE)`` when the block
ends: normally, on an exception, on Ctrl-C and on SIGTERM (turned into KeyboardInterrupt for the block).
"""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import psycopg

DEFAULT_ADMIN_URL = os.environ.get("RESONANCE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def conninfo(admin_url: str, dbname: str) -> str:
    """The admin URL with its database name replaced (libpq form, for psycopg)."""
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{dbname}"


def sqlalchemy_url(admin_url: str, dbname: str) -> str:
    """The same, with the psycopg 3 driver SQLAlchemy needs."""
    return conninfo(admin_url, dbname).replace("postgresql://", "postgresql+psycopg://", 1)


def admin(admin_url: str) -> psycopg.Connection:
    return psycopg.connect(admin_url, autocommit=True, connect_timeout=5)


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def scratch_database(admin_url: str = DEFAULT_ADMIN_URL, prefix: str = "resonance_bench") -> Iterator[str]:
    """Yield the name of a new, empty database; drop it at the end whatever happens."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with admin(admin_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            # a second Ctrl-C while dropping would leave the database behind: ignore it for that moment
            sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                with admin(admin_url) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                signal.signal(signal.SIGINT, sigint)
    finally:
        signal.signal(signal.SIGTERM, previous)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc); None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15 of stat(5)


def backend_pids(admin_url: str, dbname: str) -> list[int]:
    """The server processes currently connected to ``dbname``."""
    with admin(admin_url) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (dbname,)).fetchall()
    return [int(r[0]) for r in rows]
