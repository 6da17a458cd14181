"""Federated training against its references, and our Flower app's round time against a bare Flower app.

What is measured against what (issue 5, item 10)
    1. Accuracy, AI4I 2020 split by product type over three enterprises (L, M, H): a real job with the
       ``ai4i`` preset through ``demo.world.train`` (space API, TLS SuperLink and SuperNodes as processes,
       contracts checked at every node), against ``baselines.centralized`` (all training rows pooled) and each
       ``baselines.local_only`` model, all on the same pooled test rows (the parts are read from the nodes' own
       CSVs with ``load_local``). Goal: federated ≥ 0.99 × centralized and better than every local-only model
       (``metrics.ratio``: AUC_fed / AUC_ref; for RMSE, RMSE_ref / RMSE_fed).
    2. The same on C-MAPSS FD001 (RUL regression; 100 engines split over four enterprises E1..E4 by
       ``bundled.cmapss_parts(4)``, each written as a CSV in its node home and registered with
       ``register_local``), ``cmapss_fd001`` preset.
    3. Per-round wall time on the AI4I world's SuperLink and SuperNodes: the median seconds per round of our
       job (differences of the ``t`` of its ``progress.jsonl`` round events) against a bare Flower app
       (``bare_fedavg/``: ``flwr.serverapp.strategy.FedAvg.start``, the same model family and preset, the node's
       CSV read on every message, no contract mod, no cache), run before and after our job (its two medians
       show the noise; their mean is the reference). Both ServerApps poll for replies every 0.1 s
       (``FastGrid``) and both run on the same SuperNodes, whose idle poll is capped by ``_fast_supernode``.
       Goal: ≤ 1.25 × bare.
    4. SecAgg+ overhead with 3 and 6 nodes, of **our job app** (``--secagg-app ours``): the same ``ai4i`` job with
       ``training.secagg`` off, on, and off again (the two plain runs show the drift; their pooled median is the
       reference), per-round seconds from each job's ``progress.jsonl``. Plain rounds are our Message-API round
       trip; SecAgg+ rounds run flwr's legacy ``SecAggPlusWorkflow`` (``federation/secure.py``: four message
       stages per round). And of **Flower's** SecAgg+ on the bare app (``--secagg-app bare``): legacy FedAvg in
       ``DefaultWorkflow`` with and without ``SecAggPlusWorkflow`` (shares = nodes, threshold ⌈2n/3⌉). Six
       nodes: three more enterprises join holding the L, M and H rows again, with contracts. Goal: ≤ 2 ×.

Run from the repository root::

    .venv/bin/python benchmarks/federation.py --timing-rounds 3 --json out.json   # everything (~45 min, 2 busy cores)
    .venv/bin/python benchmarks/federation.py --quick            # AI4I only, 3 rounds, SecAgg+ on 3 nodes
    .venv/bin/python benchmarks/federation.py --only cmapss   # one part: ai4i (+ round time, SecAgg+), cmapss or secagg
    .venv/bin/python benchmarks/federation.py --only secagg --secagg-nodes 6
    .venv/bin/python benchmarks/federation.py --only secagg --secagg-app ours --timing-rounds 4   # our app, 3 and 6

Every process (API, SuperLink, SuperNodes) is stopped at the end, also on Ctrl-C or SIGTERM. The exit status is
0 when every goal is met, 1 when one is not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

# this folder comes first on sys.path when the script runs, and its profile.py would shadow the standard library's
# (torch imports cProfile → profile): look here last
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in (_HERE, "")] + [_HERE]

import _fed_report as report  # noqa: E402
import _fed_timing as timing  # noqa: E402
import _fed_worlds as fed  # noqa: E402


def _rounds(args: argparse.Namespace, preset_name: str) -> int:
    """``--rounds``, or the preset's rounds."""
    from resonance.federation.learning.presets import preset

    return int(args.rounds or preset(preset_name)["rounds"])


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _job(
    world: Any, orgs: list[str], preset_name: str, rounds: int, name: str, *, secagg: bool = False
) -> tuple[dict, Path]:
    from resonance.demo import world as worlds
    from resonance.federation import jobs

    spec = fed.job_spec(world, orgs, preset_name, rounds, name, secagg=secagg)
    outcome = worlds.train(world, spec, timeout=3600)
    if outcome.get("status") != "completed":
        raise RuntimeError(f"job {name} ended {outcome.get('status')}: {outcome.get('reason')}")
    return outcome, jobs.job_dir(world.home, outcome["job"]) / "progress.jsonl"


def ai4i(args: argparse.Namespace, home: Path, results: dict[str, Any]) -> None:
    from resonance.federation.learning.presets import preset

    task = preset("ai4i")["task"]
    _say("AI4I: space, three enterprises, contracts, SuperNodes")
    world = fed.ai4i_world(home, _rounds(args, "ai4i"))
    try:
        if args.only != "secagg":
            accuracy_and_round_time(args, world, home, task, results)
        if not args.skip_secagg:
            with _section("secagg", results):
                for nodes in args.secagg_nodes:
                    if nodes > len(world.nodes):
                        _say(f"{nodes - len(world.nodes)} more enterprises join (L, M, H rows again) for SecAgg+")
                        fed.add_ai4i_nodes(world, nodes - len(world.nodes))
                    if args.secagg_app in ("ours", "both"):
                        secagg_ours(args, world, results, nodes=nodes)
                    if args.secagg_app in ("bare", "both"):
                        secagg(args, world, home, _bare_task(task), results, nodes=nodes)
    finally:
        world.close()


def accuracy_and_round_time(
    args: argparse.Namespace, world: Any, home: Path, task: dict, results: dict[str, Any]
) -> None:
    """Bare app (first), our job, bare app (last) on the same SuperNodes; then the references.
    ``--skip-round-time`` runs our job and the references only."""
    from resonance.demo.nodes import ENTERPRISES

    def bare(tag: str) -> list[float]:
        _say(f"bare Flower FedAvg ({tag}), {args.timing_rounds} rounds, 3 nodes")
        return timing.run_bare(home, home / "bare" / tag, task=_bare_task(task), rounds=args.timing_rounds)

    first = [] if args.skip_round_time else bare("first")
    rounds = _rounds(args, "ai4i")
    _say(f"our job, ai4i preset, {rounds} rounds")
    orgs = [org for _, org in ENTERPRISES]
    outcome, progress = _job(world, orgs, "ai4i", rounds, "基准：AI4I 联邦训练")
    ours = timing.our_round_seconds(progress)
    results["load_after_job"] = _load()
    if not args.skip_round_time:
        last = bare("last")
        results["round_seconds"] = {"bare_first": first, "ours": ours, "bare_last": last}
        results["round_time"] = report.timing(timing.median(ours), timing.median(first), timing.median(last))
        results["load_after_timing"] = _load()
    _say("AI4I references: centralized and local-only on the nodes' CSVs")
    refs = fed.references(fed.ai4i_files(world), task, rounds, world)
    results["ai4i"] = report.accuracy("classification", outcome["final"], refs["centralized"], refs["local"])


def _bare_task(task: dict[str, Any]) -> dict[str, Any]:
    """The bare app reads its CSV with the standard library and knows no derived or categorical features: it
    trains the preset's model on the declared numeric features (3 inputs fewer for ``ai4i``; a round's time is
    dominated by a fresh ClientApp process per message, not by the width of the first layer)."""
    return {k: v for k, v in task.items() if k not in ("derived", "categorical", "vocabularies")}


def secagg_ours(args: argparse.Namespace, world: Any, results: dict[str, Any], nodes: int) -> None:
    """Our job app with SecAgg+ off, then on, then off again (drift), on the first ``nodes`` enterprises of the
    same world: per-round seconds from each job's ``progress.jsonl``."""
    orgs = list(world.nodes)[:nodes]
    runs: dict[str, list[float]] = {}
    finals: dict[str, Any] = {}
    for tag, secure in (("plain-first", False), ("secagg", True), ("plain-last", False)):
        _say(f"our job, SecAgg+ {'on' if secure else 'off'} ({tag}), {nodes} nodes, {args.timing_rounds} rounds")
        outcome, progress = _job(world, orgs, "ai4i", args.timing_rounds, f"基准：SecAgg+ {tag} {nodes}", secagg=secure)
        runs[tag] = timing.our_round_seconds(progress)
        finals[tag] = outcome.get("final", {})
    plain = timing.median(runs["plain-first"] + runs["plain-last"])
    results.setdefault("secagg_ours_seconds", {})[str(nodes)] = {**runs, "final": finals}
    results.setdefault("secagg_ours", {})[str(nodes)] = {
        **report.secagg(plain, timing.median(runs["secagg"])),
        "plain_drift": report.drift(timing.median(runs["plain-first"]), timing.median(runs["plain-last"])),
        "load": _load(),
    }


def secagg(args: argparse.Namespace, world: Any, home: Path, task: dict, results: dict[str, Any], nodes: int) -> None:
    runs = {}
    for workflow in ("legacy", "secagg"):  # once each: on this machine a SecAgg+ run takes minutes
        tag = f"{workflow}-{nodes}-{len(runs)}"
        _say(f"bare app, {workflow} workflow, {nodes} nodes, {args.timing_rounds} rounds")
        runs[tag] = timing.run_bare(
            home, home / "bare" / tag, task=task, workflow=workflow, rounds=args.timing_rounds, nodes=nodes
        )
    plain = [s for tag, values in runs.items() if tag.startswith("legacy") for s in values]
    secure = [s for tag, values in runs.items() if tag.startswith("secagg") for s in values]
    results.setdefault("secagg_seconds", {})[str(nodes)] = runs
    results.setdefault("secagg", {})[str(nodes)] = report.secagg(timing.median(plain), timing.median(secure))


def cmapss(args: argparse.Namespace, home: Path, results: dict[str, Any]) -> None:
    from resonance.federation.learning.presets import preset

    _say("C-MAPSS FD001: space, four enterprises E1..E4, contracts, SuperNodes")
    rounds = _rounds(args, "cmapss_fd001")
    world, files = fed.cmapss_world(home, rounds)
    try:
        _say(f"our job, cmapss_fd001 preset, {rounds} rounds")
        outcome, _ = _job(world, list(files), "cmapss_fd001", rounds, "基准：C-MAPSS 联邦训练")
        _say("C-MAPSS references: centralized and local-only on the nodes' CSVs")
        refs = fed.references(files, preset("cmapss_fd001")["task"], rounds)
        results["cmapss"] = report.accuracy("regression", outcome["final"], refs["centralized"], refs["local"])
    finally:
        world.close()


@contextmanager
def _section(name: str, results: dict[str, Any]) -> Iterator[None]:
    """A part that fails is reported (and fails the run) without losing the figures of the other parts."""
    try:
        yield
    except Exception as exc:
        _say(f"{name} failed: {type(exc).__name__}: {exc}")
        results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "flwr": metadata.version("flwr"),
        "torch": metadata.version("torch"),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def run(args: argparse.Namespace) -> int:
    from resonance.demo import world as worlds

    root = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="resonance-fedbench-"))
    results: dict[str, Any] = {"machine": _machine(), "load_start": _load(), "args": vars(args)}
    started = time.perf_counter()
    try:
        if args.only in (None, "ai4i", "secagg"):
            with worlds.space_home(root / "ai4i"), _section("ai4i", results):
                ai4i(args, root / "ai4i", results)
        if not args.quick and args.only in (None, "cmapss"):
            with worlds.space_home(root / "cmapss"), _section("cmapss", results):
                cmapss(args, root / "cmapss", results)
    finally:
        results["load_end"] = _load()
        results["seconds"] = round(time.perf_counter() - started, 1)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), "utf-8")
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print(report.table(results))
    print(f"\nload average at start {results['load_start']}, at end {results['load_end']}; {results['seconds']} s")
    for section, error in results.get("errors", {}).items():
        print(f"{section}: not measured, {error}")
    verdicts = [not results.get("errors")]
    verdicts += [results[k]["met"] for k in ("ai4i", "cmapss", "round_time") if k in results]
    verdicts += [s["met"] for s in results.get("secagg", {}).values()]
    verdicts += [s["met"] for s in results.get("secagg_ours", {}).values()]
    return 0 if all(verdicts) else 1


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds through every ``finally``: worlds closed, processes stopped


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--rounds", type=int, default=None, help="rounds of our jobs and of the references (default: the preset's)"
    )
    parser.add_argument("--timing-rounds", type=int, default=5, help="rounds of each bare-app run (5)")
    parser.add_argument("--quick", action="store_true", help="AI4I only, 3 rounds, SecAgg+ with 3 nodes only")
    parser.add_argument("--only", choices=["ai4i", "cmapss", "secagg"], help="one part only")
    parser.add_argument(
        "--secagg-nodes",
        type=lambda text: sorted(int(x) for x in text.split(",")),
        default=[3, 6],
        help="node counts of the SecAgg+ runs, each ≥ 3 (default 3,6)",
    )
    parser.add_argument("--skip-secagg", action="store_true", help="leave the SecAgg+ runs out")
    parser.add_argument("--skip-round-time", action="store_true", help="AI4I: no bare-app round-time runs")
    parser.add_argument(
        "--secagg-app",
        choices=["ours", "bare", "both"],
        default="both",
        help="SecAgg+ overhead of our job app, of the bare Flower app, or both (default both)",
    )
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--home", help="where the worlds live (default: a fresh temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the worlds' folders (logs) at the end")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = min(args.rounds or 3, 3)
        args.timing_rounds = min(args.timing_rounds, 3)
        args.secagg_nodes = [3]
    if any(n < 3 for n in args.secagg_nodes):
        parser.error("--secagg-nodes: SecAgg+ needs at least 3 nodes")
    if (args.rounds is not None and args.rounds < 3) or args.timing_rounds < 2:
        parser.error("--rounds must be ≥ 3 and --timing-rounds ≥ 2 (a per-round time needs two rounds)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
