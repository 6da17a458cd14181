"""Per-round wall times: of our job (its ``progress.jsonl``) and of the bare Flower app (its ``rounds.jsonl``).

Both are seconds between consecutive "a round's aggregate is ready" moments inside the ServerApp process, so the
SuperLink, the SuperNodes and the ClientApp processes are inside every figure and nothing outside the run is.
"""

from __future__ import annotations

import json
import statistics
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

from resonance.errors import ResonanceError
from resonance.federation import runner

BARE_APP = Path(__file__).parent / "bare_fedavg"


def our_round_seconds(progress: Path) -> list[float]:
    """Seconds of each train round of our job: differences between consecutive ``round`` events.

    Our ServerApp logs round r-1's evaluation when round r's replies are in (one round trip does both), and a
    last ``evaluate``-only round trip after the final round; that last difference is left out."""
    events = [json.loads(line) for line in progress.read_text(encoding="utf-8").splitlines() if line.strip()]
    times = [float(e["t"]) for e in events if e.get("event") == "round"]
    return [b - a for a, b in pairwise(times[:-1])]


def run_bare(
    space_home: Path,
    out: Path,
    *,
    task: dict[str, Any],
    workflow: str = "message",
    rounds: int = 5,
    nodes: int = 3,
    fast_grid: bool = True,
    timeout: float = 1800,
) -> list[float]:
    """Run the bare app on the space's SuperLink to its end; return its per-round seconds.

    ``workflow``: ``message`` (FedAvg.start), ``legacy`` (legacy FedAvg, DefaultWorkflow) or ``secagg`` (the same
    with SecAggPlusWorkflow; ``nodes`` shares, threshold ⌈2/3 · nodes⌉). ``out`` must not exist yet."""
    if out.exists():
        raise ResonanceError(what=f"{out} exists", where="run_bare", fix="give each bare run a fresh folder")
    config = {
        "workflow": workflow,
        "task": json.dumps(task),
        "num-rounds": rounds,
        "min-nodes": nodes,
        "fast-grid": fast_grid,
        "num-shares": nodes,
        "threshold": max(2, -(-2 * nodes // 3)),
        "out": str(out),
    }
    handle = runner.submit(space_home, BARE_APP, config, name=f"bare-{out.name}-{time.monotonic_ns()}")
    try:
        state = handle.wait(timeout=timeout, poll=1.0)
    except BaseException:
        handle.stop()
        raise
    if state != "finished:completed" or not (out / "done.json").is_file():
        raise ResonanceError(
            what=f"the bare {workflow} run ended {state}",
            where=str(handle.workdir),
            fix="read its log: " + "\n".join(handle.logs().splitlines()[-15:]),
        )
    lines = [json.loads(line) for line in (out / "rounds.jsonl").read_text(encoding="utf-8").splitlines() if line]
    times = [float(e["t"]) for e in lines]
    return [b - a for a, b in pairwise(times)]


def median(values: list[float]) -> float:
    """The median, or NaN for no values (a run that did not get two rounds far)."""
    return statistics.median(values) if values else float("nan")
