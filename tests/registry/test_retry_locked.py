"""retry_when_locked: a unit of work that SQLite refused with "database is locked" runs again, nothing else does."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from resonance.registry.db import retry_when_locked


def _locked() -> OperationalError:
    return OperationalError("INSERT INTO jobs ...", {}, sqlite3.OperationalError("database is locked"))


def test_a_locked_attempt_runs_again_and_the_result_comes_back() -> None:
    calls = []

    def work() -> int:
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return 42

    assert retry_when_locked(work, pause=0.0) == 42
    assert len(calls) == 3


def test_other_errors_and_the_last_locked_attempt_are_raised() -> None:
    other = []

    def broken() -> None:
        other.append(1)
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: jobs"))

    with pytest.raises(OperationalError, match="no such table"):
        retry_when_locked(broken, pause=0.0)
    assert len(other) == 1  # not retried
    tries = []

    def always_locked() -> None:
        tries.append(1)
        raise _locked()

    with pytest.raises(OperationalError, match="database is locked"):
        retry_when_locked(always_locked, attempts=4, pause=0.0)
    assert len(tries) == 4
