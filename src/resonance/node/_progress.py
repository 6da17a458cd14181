"""Progress of a profile: phase by phase, with DuckDB's own query progress polled from a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb


class Tracker:
    """Reports (phase, overall fraction) to a callback, polling DuckDB's query progress from a thread."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, callback: Callable[[str, float], None] | None, phases: list[str]
    ):
        self.con, self.callback, self.phases = con, callback, phases
        self.current, self.steps, self.done_steps = 0, 1, 0

    def report(self, fraction_in_phase: float) -> None:
        if self.callback is not None:
            overall = (self.current + min(max(fraction_in_phase, 0.0), 1.0)) / len(self.phases)
            self.callback(self.phases[self.current], overall)

    def step(self) -> None:
        """One of the phase's queries finished."""
        self.at((self.done_steps + 1) / self.steps)

    def at(self, fraction_in_phase: float) -> None:
        """The phase is this far along (0..1)."""
        self.done_steps = fraction_in_phase * self.steps
        self.report(fraction_in_phase)

    @property
    def within(self) -> float:
        return self.done_steps / self.steps

    @contextmanager
    def phase(self, name: str, steps: int = 1) -> Iterator[None]:
        self.current, self.steps, self.done_steps = self.phases.index(name), max(steps, 1), 0
        self.report(0.0)
        if self.callback is None:
            yield
            return
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.2):
                try:
                    percent = self.con.query_progress()
                except duckdb.Error:
                    return
                if percent >= 0:
                    self.report((self.done_steps + percent / 100) / self.steps)

        poller = threading.Thread(target=poll, name="profile-progress", daemon=True)
        poller.start()
        try:
            yield
        finally:
            stop.set()
            poller.join()
        self.report(1.0)

    def done(self) -> None:
        if self.callback is not None:
            self.callback("done", 1.0)
