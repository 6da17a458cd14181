"""Contribution estimates: accuracy (Spearman with exact Shapley) against cost (trainings, evaluations, seconds).

What is measured against what
    The constructed AI4I games of ``resonance.evaluation._games`` (clean providers of different sizes, one with
    35% flipped labels, one holding a copy of another's rows; logistic model; utility = test log-loss skill):
    ``--players 5`` (the tests' game) and ``--players 8`` (three more clean providers). Two utilities:
    "central" (one model trained on the coalition's pooled rows) and "federated" (FedAvg over the coalition's
    members, 10 rounds), whose exact Shapley values (2^n trainings) are the reference.
    Each estimator runs with ``--seeds`` seeds; reported: mean and worst Spearman with exact, mean trainings
    (= cost as a multiple of one training: distinct coalitions whose model was trained), mean evaluations, and
    mean wall seconds as a multiple of one training's wall seconds measured in the same run. GTG-Shapley
    (federated only) trains nothing: it evaluates models rebuilt from one FedAvg run's round updates.

    .venv/bin/python benchmarks/contribution.py                  # 5 and 8 players, 5 seeds (a few minutes)
    .venv/bin/python benchmarks/contribution.py --players 5 --seeds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from resonance.evaluation._games import SIZES, ai4i_game, central_utility, fedavg, federated_utility, skill
from resonance.evaluation.contribution import (
    Contribution,
    exact_shapley,
    gtg_shapley,
    leave_one_out,
    monte_carlo_shapley,
    spearman,
    stratified_shapley,
)

EIGHT = {**SIZES, "clean-d": 900, "clean-e": 300, "clean-f": 1200}


def timed(run: Callable[[], Contribution]) -> tuple[Contribution, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def one_training_seconds(utility: Callable[[frozenset], float], everyone: frozenset, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        utility(everyone)
        times.append(time.perf_counter() - start)
    return min(times)


def bench(players: int, seeds: int) -> list[dict]:
    game = ai4i_game(sizes=SIZES if players == 5 else EIGHT)
    names = list(game.providers)
    everyone = frozenset(names)
    rows = []
    for kind, make in (("central", central_utility), ("federated", federated_utility)):
        utility = make(game)
        unit = one_training_seconds(utility, everyone)
        exact, exact_s = timed(lambda utility=utility: exact_shapley(names, utility))
        rows.append(_row(players, kind, "exact", [exact], [exact_s], exact, unit))
        loo, loo_s = timed(lambda utility=utility: leave_one_out(names, utility))
        rows.append(_row(players, kind, "leave-one-out", [loo], [loo_s], exact, unit))
        n = len(names)
        for label, run in (
            (f"TMC {n} perms", lambda s, u=utility, n=n: monte_carlo_shapley(names, u, permutations=n, seed=s)),
            (f"TMC {2 * n} perms", lambda s, u=utility, n=n: monte_carlo_shapley(names, u, permutations=2 * n, seed=s)),
            (
                f"TMC {2 * n} perms, tol 0.02",
                lambda s, u=utility, n=n: monte_carlo_shapley(names, u, permutations=2 * n, tolerance=0.02, seed=s),
            ),
            ("stratified, 1/size", lambda s, u=utility: stratified_shapley(names, u, samples=1, seed=s)),
            ("stratified, 2/size", lambda s, u=utility: stratified_shapley(names, u, samples=2, seed=s)),
        ):
            results, seconds = zip(*(timed(lambda s=s, run=run: run(s)) for s in range(seeds)), strict=True)
            rows.append(_row(players, kind, label, list(results), list(seconds), exact, unit))
        if kind == "federated":
            start = time.perf_counter()
            _, rounds = fedavg(game, everyone)
            job_s = time.perf_counter() - start
            results, seconds = zip(
                *(
                    timed(lambda s=s, r=rounds: gtg_shapley(r, lambda w: skill(w, game.test), seed=s))
                    for s in range(seeds)
                ),
                strict=True,
            )
            row = _row(players, kind, "GTG-Shapley", list(results), list(seconds), exact, unit)
            row["note"] = f"reuses one FedAvg run ({job_s:.2f} s) already done by the job"
            rows.append(row)
    return rows


HEADER = "| n | utility | method | Spearman mean (min) | trainings | evaluations | time ÷ one training |"


def _line(r: dict) -> str:
    return (
        f"| {r['players']} | {r['utility']} | {r['method']} | {r['spearman_mean']} ({r['spearman_min']}) | "
        f"{r['trainings']} | {r['evaluations']} | {r['seconds_in_trainings']} |"
    )


def _row(players, kind, label, results, seconds, exact, unit) -> dict:
    rho = [spearman(r, exact) for r in results]
    row = {
        "players": players,
        "utility": kind,
        "method": label,
        "spearman_mean": round(statistics.mean(rho), 3),
        "spearman_min": round(min(rho), 3),
        "trainings": round(statistics.mean(r.trainings for r in results), 1),
        "evaluations": round(statistics.mean(r.evaluations for r in results), 1),
        "seconds_in_trainings": round(statistics.mean(seconds) / unit, 1),
    }
    print(_line(row), flush=True)  # as it comes: the 8-player exact reference takes minutes on a busy machine
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, choices=(5, 8), action="append")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    print(HEADER)
    print("|---|---|---|---|---|---|---|", flush=True)
    rows = [row for players in (args.players or [5, 8]) for row in bench(players, args.seeds)]
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=2)


if __name__ == "__main__":
    main()
