"""Shorter polling in the ServerApp: a ``Grid`` whose ``send_and_receive`` checks for replies every 0.1 s.

flwr 1.41's HTTP grid sleeps a fixed 3 s between pulls while it waits for the nodes' replies (``http_grid.py``),
so every round (and each of SecAgg+'s four stages per round) is rounded up to multiples of 3 s. ``FastGrid``
wraps the grid the ServerApp receives and re-implements only ``send_and_receive`` with the public
``push_messages``/``pull_messages``; everything else is delegated unchanged. Use it at the top of ``main``::

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        grid = FastGrid(grid)
        strategy.start(grid=grid, ...)
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from flwr.app import Message
from flwr.serverapp import Grid

DEFAULT_INTERVAL_S = 0.1


class FastGrid(Grid):
    """Delegates to ``inner``; waits for replies with a ``interval``-second poll instead of flwr's 3 s."""

    def __init__(self, inner: Grid, interval: float = DEFAULT_INTERVAL_S) -> None:
        self._inner = inner
        self._interval = interval

    def set_run(self, run: Any) -> None:
        self._inner.set_run(run)

    @property
    def run(self) -> Any:
        return self._inner.run

    def create_message(self, *args: Any, **kwargs: Any) -> Message:
        return self._inner.create_message(*args, **kwargs)

    def get_node_ids(self) -> Iterable[int]:
        return self._inner.get_node_ids()

    def get_nodes(self) -> Iterable[Any]:
        return self._inner.get_nodes()

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        return self._inner.push_messages(messages)

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        return self._inner.pull_messages(message_ids)

    def send_and_receive(self, messages: Iterable[Message], *, timeout: float | None = None) -> Iterable[Message]:
        """Push ``messages``, then pull replies until all arrived or ``timeout`` seconds passed (None: forever)."""
        pending = set(self._inner.push_messages(messages))
        deadline = None if timeout is None else time.monotonic() + timeout
        replies: list[Message] = []
        while pending:
            got = list(self._inner.pull_messages(pending))
            replies.extend(got)
            pending.difference_update(m.metadata.reply_to_message_id for m in got)
            if not pending or (deadline is not None and time.monotonic() >= deadline):
                break
            time.sleep(self._interval)
        return replies

    def __getattr__(self, name: str) -> Any:  # anything else a concrete grid offers (e.g. close)
        return getattr(self._inner, name)
